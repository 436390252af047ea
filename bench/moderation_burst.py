"""A burst of uploads against the local run, over real HTTP: is every image judged?

Run from the repository root:

    .venv/bin/python bench/moderation_burst.py                  # 30 images at once
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
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "functions"), str(ROOT)]

from bench.stats import percentile  # noqa: E402
from devtools import firestore_emulator  # noqa: E402
from devtools.firestore_emulator import free_port  # noqa: E402
from devtools.storage_emulator import running_storage_emulator  # noqa: E402
from devtools.storage_events import storage_finalized_event, to_structured_http  # noqa: E402
from devtools.tokens import mint_id_token  # noqa: E402
from devtools.vision_server import VisionServer  # noqa: E402

PROJECT = "demo-burst"
BUCKET = f"{PROJECT}.appspot.com"


def png(index: int) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (index % 256, index // 256 % 256, 7)).save(buffer, "PNG")
    return buffer.getvalue()


def post(url: str, body: bytes, headers: dict[str, str], timeout: float = 300) -> int:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=timeout) as response:
        response.read()
        return response.status


def start_local_run(port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "devtools.local_run", "--port", str(port), "--run-info",
         str(log.with_suffix(".json")), "--sweep-every", "10"],
        cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1):
                return process
        except OSError:
            if process.poll() is not None:
                raise SystemExit(f"the local run exited; see {log}") from None
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"the local run did not start; see {log}")


def quota_status(base: str) -> dict:
    token = mint_id_token("bench-admin", project_id=PROJECT, admin=True)
    request = urllib.request.Request(
        f"{base}/getVisionApiQuotaStatus", data=json.dumps({"data": {}}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        method="POST")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())["result"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=30)
    parser.add_argument("--redeliveries", type=int, default=10)
    parser.add_argument("--vision-down", type=float, default=0.0,
                        help="seconds of Vision outage from the start of the burst")
    parser.add_argument("--recheck-delay", type=float, default=None,
                        help="first re-check delay in the local run (default: its own)")
    parser.add_argument("--wait", type=float, default=900.0,
                        help="give up waiting for verdicts after this many seconds")
    args = parser.parse_args()

    print("starting the Firestore emulator, Cloud Storage, Vision and the local run ...",
          flush=True)
    firestore = firestore_emulator.start()
    vision = VisionServer().start()
    work = Path(tempfile.mkdtemp(prefix="burst-"))
    try:
        with running_storage_emulator(BUCKET, project=PROJECT) as gcs:
            port = free_port()
            env = {**os.environ, "GOOGLE_CLOUD_PROJECT": PROJECT, "GCLOUD_PROJECT": PROJECT,
                   "STORAGE_BUCKET": BUCKET, "FIRESTORE_EMULATOR_HOST": firestore.host,
                   "STORAGE_EMULATOR_HOST": gcs.host, "VISION_API_ENDPOINT": vision.endpoint,
                   "LOCAL_BLOB_DIR": str(work / "blobs"),
                   "FIREBASE_CONFIG": json.dumps({"projectId": PROJECT,
                                                  "storageBucket": BUCKET}),
                   "PYTHONPATH": f"{ROOT / 'functions'}:{ROOT}"}
            if args.recheck_delay is not None:
                env["RECHECK_DELAY_S"] = str(args.recheck_delay)
            process = start_local_run(port, env, work / "local_run.log")
            try:
                run_burst(args, f"http://127.0.0.1:{port}", gcs, vision)
            finally:
                process.terminate()
                process.wait(timeout=20)
    finally:
        vision.stop()
        firestore.stop()


def run_burst(args: argparse.Namespace, base: str, gcs: object, vision: VisionServer) -> None:
    bucket = gcs.bucket()  # type: ignore[attr-defined]
    blobs = []
    for index in range(args.images):
        blob = bucket.blob(f"uploads/burst/{index:03d}.png")
        blob.upload_from_string(png(index), content_type="image/png")
        blob.reload()
        blobs.append(blob)
    deliveries = blobs + blobs[:args.redeliveries]
    if args.vision_down:
        vision.outage(args.vision_down)
    vision_back = time.monotonic() + args.vision_down
    barrier = threading.Barrier(len(deliveries))
    latencies: list[float] = []
    statuses: list[int] = []
    lock = threading.Lock()

    def deliver(blob: object) -> None:
        event = storage_finalized_event(BUCKET, blob.name, str(blob.generation),  # type: ignore[attr-defined]
                                        content_type="image/png", size=blob.size)  # type: ignore[attr-defined]
        headers, body = to_structured_http(event)
        barrier.wait()
        started = time.perf_counter()
        status = post(f"{base}/moderate_uploaded_image", body, headers)
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
    status = quota_status(base)
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
