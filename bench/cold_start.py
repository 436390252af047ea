"""Cold start: how long a fresh instance takes to import main.py, beside importing
google.cloud.vision alone, and which heavy modules each kind of function pulls in.

    .venv/bin/python bench/cold_start.py

Each figure is the median of several fresh processes. Exits non-zero if the moderation
path imports qrcode or b2sdk, or the QR path imports google.cloud.vision.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

MODERATION_PATH = ("import main, composition\ncomposition.upload_moderation()\n"
                   "composition.vision_classifier().warm_up()")
REPO = Path(__file__).resolve().parent.parent
RUNS = 5

PROBE = r"""
import json, sys, time
t0 = time.perf_counter()
{code}
elapsed = time.perf_counter() - t0
heavy = sorted({{m.split(".")[0] if not m.startswith("google.cloud") else ".".join(m.split(".")[:3])
           for m in sys.modules if m.startswith(("qrcode", "b2sdk", "google.cloud.vision",
                                                 "PIL", "openpyxl"))}})
print(json.dumps({{"seconds": elapsed, "heavy": heavy}}))
"""

CASES = {
    "import google.cloud.vision alone": "from google.cloud import vision",
    "import main (all functions declared)": "import main",
    "main + build the moderation use case": (
        MODERATION_PATH),
    "main + build the QR use case": "import main, composition\ncomposition.qr_labels()",
}


def run(code: str) -> dict:
    env = {**os.environ, "PYTHONPATH": f"{REPO / 'functions'}:{REPO}",
           "GOOGLE_CLOUD_PROJECT": "demo-bench",
           "FIREBASE_CONFIG": json.dumps({"projectId": "demo-bench",
                                          "storageBucket": "demo-bench.appspot.com"}),
           "STORAGE_EMULATOR_HOST": "http://127.0.0.1:9", "FIRESTORE_EMULATOR_HOST": "127.0.0.1:9",
           "VISION_API_ENDPOINT": "http://127.0.0.1:9",
           "LOCAL_BLOB_DIR": "/tmp/bench-blobs"}
    out = subprocess.run([sys.executable, "-c", PROBE.format(code=code)], env=env,
                         capture_output=True, text=True, check=True, cwd=REPO)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    results = {}
    for label, code in CASES.items():
        runs = [run(code) for _ in range(RUNS)]
        seconds = statistics.median(r["seconds"] for r in runs)
        results[label] = (seconds, runs[0]["heavy"])
        print(f"{label:42} {seconds * 1000:8.1f} ms   heavy modules: "
              f"{', '.join(runs[0]['heavy']) or '-'}")
    failures = []
    moderation_heavy = results["main + build the moderation use case"][1]
    if {"qrcode", "b2sdk", "PIL", "openpyxl"} & set(moderation_heavy):
        failures.append(f"moderation path imports {moderation_heavy}")
    if any(m.startswith("google.cloud.vision") for m in results["main + build the QR use case"][1]):
        failures.append("QR path imports google.cloud.vision")
    if results["import main (all functions declared)"][1]:
        failures.append("importing main.py alone pulls heavy modules")
    for failure in failures:
        print("FAIL:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
