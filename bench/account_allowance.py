"""One account tries to drain the Vision budget while others upload: does its allowance hold,
and does it slow anybody else down? Against the local run, over real HTTP.

Run from the repository root:

    .venv/bin/python bench/account_allowance.py

It starts the local run with its real parts (bench/local_stack.py) twice. In the first run
one established account (created two days ago in the run's Auth emulator, so its allowance
is the ordinary `daily`, 20 by default) sends 200 distinct images from 20 threads: half to
the pre-upload check, half as uploads to its own folder; meanwhile 30 other accounts upload
3 images each. The second run has the 30 accounts alone. It prints:

- the units the abusing account took (must equal its daily allowance exactly),
- the other accounts' p50 / p99 from upload to verdict (upload, then the finalized event
  delivered to the trigger, until the trigger has answered), with and without the abuser
  (the p99 with the abuser must stay within 1.5x of the p99 without),
- the month's usage (never over the limit) and the errors (must be 0: any HTTP status that
  is not 200, or 429 for the abuser's pre-upload checks over its allowance).

Exit status 1 when any of these does not hold.
"""

from __future__ import annotations

import argparse
import base64
import json
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent.parent)]

from bench.local_stack import Stack, local_stack, png  # noqa: E402
from bench.stats import percentile  # noqa: E402

ABUSER = "abuser"


def create_established_account(stack: Stack, uid: str) -> None:
    """An account created two days ago, in the run's Auth emulator."""
    host = stack.run_info["auth_emulator"]
    created = int((datetime.now(UTC) - timedelta(days=2)).timestamp() * 1000)
    body = json.dumps({"users": [{"localId": uid, "email": f"{uid}@example.com",
                                  "createdAt": str(created)}]}).encode()
    request = urllib.request.Request(
        f"http://{host}/identitytoolkit.googleapis.com/v1/projects/{stack.project}"
        "/accounts:batchCreate", data=body, method="POST",
        headers={"Content-Type": "application/json", "Authorization": "Bearer owner"})
    with urllib.request.urlopen(request, timeout=10) as reply:
        reply.read()


def run_once(stack: Stack, *, abuser_images: int, threads: int, accounts: int,
             per_account: int) -> dict[str, object]:
    errors: list[str] = []
    lock = threading.Lock()
    latencies: list[float] = []
    abuse_done = threading.Event()

    def abuse(index: int) -> None:
        data = png(index, salt=99)
        if index % 2:
            status, reply = stack.call("analyzeImageBeforeUpload",
                                       {"image": base64.b64encode(data).decode()},
                                       stack.token(ABUSER))
            if status not in (200, 429):
                with lock:
                    errors.append(f"abuser check: HTTP {status} {reply}")
        else:
            status = stack.deliver(stack.upload(f"users/{ABUSER}/{index:03d}.png", data))
            if status != 200:
                with lock:
                    errors.append(f"abuser upload: HTTP {status}")

    def honest(index: int) -> None:
        uid, n = divmod(index, per_account)
        started = time.perf_counter()
        blob = stack.upload(f"users/member-{uid:02d}/{n}.png", png(index, salt=11))
        status = stack.deliver(blob)
        elapsed = time.perf_counter() - started
        blob.reload()
        verdict = (blob.metadata or {}).get("moderationStatus")
        with lock:
            latencies.append(elapsed)
            if status != 200 or verdict != "approved":
                errors.append(f"member upload {blob.name}: HTTP {status}, {verdict}")

    def abuser_load() -> None:
        with ThreadPoolExecutor(threads) as pool:
            list(pool.map(abuse, range(abuser_images)))
        abuse_done.set()

    started = time.perf_counter()
    loader = threading.Thread(target=abuser_load) if abuser_images else None
    if loader is not None:
        loader.start()
        time.sleep(0.5)  # the abuser is in full swing when the others start
    with ThreadPoolExecutor(accounts) as pool:
        list(pool.map(honest, range(accounts * per_account)))
    if loader is not None:
        loader.join()
    status = stack.quota_status()
    top = {a["uid"]: a for a in status["topAccounts"]}
    return {"latencies": latencies, "errors": errors, "status": status,
            "abuser_units": (top.get(ABUSER) or {}).get("unitsThisMonth", 0),
            "seconds": time.perf_counter() - started}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--abuser-images", type=int, default=200)
    parser.add_argument("--threads", type=int, default=20)
    parser.add_argument("--accounts", type=int, default=30)
    parser.add_argument("--per-account", type=int, default=3)
    args = parser.parse_args()

    results = {}
    for label, abuser_images in (("with the abuser", args.abuser_images),
                                 ("without the abuser", 0)):
        print(f"starting the local run ({label}) ...", flush=True)
        with local_stack("demo-allowance") as stack:
            create_established_account(stack, ABUSER)
            results[label] = run_once(stack, abuser_images=abuser_images,
                                      threads=args.threads, accounts=args.accounts,
                                      per_account=args.per_account)
            results[label]["billed"] = stack.vision.billable_units

    daily = results["with the abuser"]["status"]["allowance"]["daily"]
    ok = True
    for label, result in results.items():
        lat = result["latencies"]
        status = result["status"]
        print(f"{label}: {len(lat)} uploads by {args.accounts} accounts, upload to verdict "
              f"p50 {percentile(lat, 50):.2f} s, p99 {percentile(lat, 99):.2f} s; usage "
              f"{status['used']} of {status['limit']}, Vision billed {result['billed']}; "
              f"{len(result['errors'])} errors; {result['seconds']:.1f} s in all")
        for error in result["errors"][:5]:
            print(f"  error: {error}")
        ok &= not result["errors"] and status["used"] <= status["limit"]
        ok &= status["used"] == result["billed"]
    abuser = results["with the abuser"]["abuser_units"]
    print(f"the abusing account sent {args.abuser_images} images from {args.threads} threads "
          f"and took {abuser} units (its daily allowance: {daily})")
    ok &= abuser == daily
    p99_with = percentile(results["with the abuser"]["latencies"], 99)
    p99_without = percentile(results["without the abuser"]["latencies"], 99)
    ratio = p99_with / p99_without if p99_without else float("inf")
    print(f"others' p99 with / without the abuser: {ratio:.2f}x (must be <= 1.5x)")
    ok &= ratio <= 1.5
    print("PASS" if ok else "FAIL")
    if not ok:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
