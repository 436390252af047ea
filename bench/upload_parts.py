"""10,000 units in one upload_parts request against the local run.

    .venv/bin/python bench/upload_parts.py [--units 10000] [--parts 100]

Starts a Firestore emulator and the local run (scripts/dev's server) in a subprocess,
posts one parts list, and prints: time until the 201 reply (target < 10 s), time until
every PNG is stored, and the server process's peak memory (VmHWM).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "functions"), str(REPO)]

from devtools import firestore_emulator  # noqa: E402
from devtools.tokens import mint_id_token  # noqa: E402

PROJECT = "demo-bench"


def wait_for(url: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"{url} did not come up")


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--units", type=int, default=10_000)
    parser.add_argument("--parts", type=int, default=100)
    args = parser.parse_args()

    emulator = firestore_emulator.start()
    blob_dir = Path(tempfile.mkdtemp(prefix="bench-blobs-"))
    port = firestore_emulator.free_port()
    env = {**os.environ, "FIRESTORE_EMULATOR_HOST": emulator.host,
           "GOOGLE_CLOUD_PROJECT": PROJECT, "GCLOUD_PROJECT": PROJECT,
           "LOCAL_BLOB_DIR": str(blob_dir),
           "PYTHONPATH": f"{REPO / 'functions'}:{REPO}"}
    server = subprocess.Popen([sys.executable, "-m", "devtools.local_run", "--port", str(port),
                               "--no-vision"], env=env, cwd=REPO,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_for(base + "/")
        per_part = args.units // args.parts
        parts = [{"part_code": f"BENCH-{i:04d}", "part_name": f"Bench part {i} – çğıöşü",
                  "quantity": per_part} for i in range(args.parts)]
        body = json.dumps({"parts": parts}).encode()
        token = mint_id_token("bench", project_id=PROJECT, staff=True)
        request = urllib.request.Request(
            base + "/upload_parts", data=body, method="POST",
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        start = time.perf_counter()
        with urllib.request.urlopen(request, timeout=300) as response:
            reply = json.loads(response.read())
            status = response.status
        replied = time.perf_counter() - start
        created = len(reply["qr_ids"])

        from google.cloud import firestore

        os.environ["FIRESTORE_EMULATOR_HOST"] = emulator.host
        db = firestore.Client(project=PROJECT)
        query = db.collection("qr_codes").where(
            filter=firestore.FieldFilter("stored", "==", True)).count()
        stored = 0
        while stored < created and time.perf_counter() - start < 900:
            stored = int(query.get()[0][0].value)
            if stored < created:
                time.sleep(0.5)
        all_stored = time.perf_counter() - start
        files = len(list((blob_dir / "qr_codes").glob("*.png")))
        print(f"units requested        {args.units} ({args.parts} parts x {per_part})")
        print(f"reply                  HTTP {status}, {created} qr ids")
        print(f"time to reply          {replied:.2f} s   (target < 10 s)")
        print(f"time to all stored     {all_stored:.2f} s   ({stored} records stored, "
              f"{files} files)")
        print(f"store throughput       {created / max(all_stored - replied, 1e-9):.0f} files/s "
              "after the reply")
        print(f"server peak memory     {peak_rss_mb(server.pid):.0f} MB (VmHWM)")
    finally:
        server.terminate()
        server.wait(timeout=10)
        emulator.stop()


if __name__ == "__main__":
    main()
