"""A burst of uploads against the local run, over real HTTP: is every image judged?

Run from the repository root:

    .venv/bin/python bench/moderation_burst.py                  # 300 images + 60 again
    .venv/bin/python bench/moderation_burst.py --vision-down 60 # Vision out for a minute

It starts the Firestore emulator, a Cloud Storage emulator and a Vision server of its own,
then the local run (`python -m devtools.local_run`) as a separate process pointed at them.
It uploads N distinct PNGs, posts their `object.finalized` CloudEvents to
moderate_uploaded_image all at once (plus some redeliveries), and prints the delivery
latencies, then waits until every image carries a verdict and prints the outcomes, the
usage the quota status reports, and the units the Vision server would bill.

With --vision-down, Vision answers 503 for that many seconds from the start: the burst gets
the fallback, the re-check queue retries with back-off, and the script prints how long
after Vision came back every image was approved. The local run keeps its own re-check
timings (30 s first delay, back-off from 10 s) unless --recheck-delay says otherwise.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent.parent)]

from bench.local_stack import Stack, local_stack, png  # noqa: E402
from bench.stats import percentile  # noqa: E402

PROJECT = "demo-burst"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=300)
    parser.add_argument("--redeliveries", type=int, default=60)
    parser.add_argument("--vision-down", type=float, default=0.0,
                        help="seconds of Vision outage from the start of the burst")
    parser.add_argument("--recheck-delay", type=float, default=None,
                        help="first re-check delay in the local run (default: its own)")
    parser.add_argument("--wait", type=float, default=900.0,
                        help="give up waiting for verdicts after this many seconds")
    args = parser.parse_args()

    print("starting the Firestore emulator, Cloud Storage, Vision and the local run ...",
          flush=True)
    extra = {"RECHECK_DELAY_S": str(args.recheck_delay)} if args.recheck_delay else {}
    with local_stack(PROJECT, extra) as stack:
        run_burst(args, stack)


def run_burst(args: argparse.Namespace, stack: Stack) -> None:
    vision = stack.vision
    # Each image from an account of its own, as a burst from many users is (one account
    # sending 300 would meet its allowance: bench/account_allowance.py).
    blobs = [stack.upload(f"users/burst-{index:03d}/photo.png", png(index))
             for index in range(args.images)]
    deliveries = blobs + blobs[:args.redeliveries]
    if args.vision_down:
        vision.outage(args.vision_down)
    vision_back = time.monotonic() + args.vision_down
    barrier = threading.Barrier(len(deliveries))
    latencies: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()

    def deliver(blob: object) -> None:
        barrier.wait()
        started = time.perf_counter()
        status = stack.deliver(blob)
        with lock:
            latencies.append(time.perf_counter() - started)
            statuses.append(status)

    started = time.perf_counter()
    with ThreadPoolExecutor(len(deliveries)) as pool:
        list(pool.map(deliver, deliveries))
    burst_s = time.perf_counter() - started
    first = verdicts(blobs)
    print(f"burst: {len(deliveries)} deliveries ({args.images} images + "
          f"{args.redeliveries} redeliveries) in {burst_s:.1f} s; HTTP "
          f"{sorted(set(statuses))}; delivery p50 {percentile(latencies, 50):.2f} s, "
          f"p99 {percentile(latencies, 99):.2f} s, max {max(latencies):.2f} s")
    print(f"right after the burst: {summary(first)}")

    deadline = time.monotonic() + args.wait
    while time.monotonic() < deadline:
        now = verdicts(blobs)
        if all(v == "approved" for v in now.values()):
            break
        time.sleep(1.0)
    final = verdicts(blobs)
    after_back = time.monotonic() - vision_back
    status = stack.quota_status()
    print(f"final: {summary(final)}"
          + (f"; all approved {after_back:.0f} s after Vision came back"
             if args.vision_down and all(v == "approved" for v in final.values()) else ""))
    print(f"quota status: used {status['used']} of {status['limit']}, re-check backlog "
          f"{status['recheckBacklog']}; Vision billable units {vision.billable_units}, "
          f"requests {vision.request_count}")
    ok = (all(v == "approved" for v in final.values()) and status["used"] == args.images
          and vision.billable_units == args.images)
    print("PASS" if ok else "FAIL", "(every image approved, usage and billed units "
          f"== {args.images})")
    if not ok:
        raise SystemExit(1)


def verdicts(blobs: list) -> dict[str, str]:
    found = {}
    for blob in blobs:
        blob.reload()
        found[blob.name] = (blob.metadata or {}).get("moderationStatus", "none")
    return found


def summary(found: dict[str, str]) -> str:
    counts: dict[str, int] = {}
    for status in found.values():
        counts[status] = counts.get(status, 0) + 1
    return ", ".join(f"{status} {n}" for status, n in sorted(counts.items()))


if __name__ == "__main__":
    main()
