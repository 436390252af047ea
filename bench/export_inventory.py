"""The inventory export (export_inventory), on the real Firestore emulator: N units over P
parts, a part of them printed, downloaded, used and counted, exported as xlsx and as CSV
through the functions framework, the body read as a client reads a stream.

Run from the repository root:  .venv/bin/python bench/export_inventory.py [--units 50000]

Target: 50,000 units in under 10 s and under 200 MB. The units are seeded in a child
process so that this one's peak resident memory is the export's (it is printed, with the
growth over the process before the first export). Every export is opened again (openpyxl,
csv) and its rows counted and checked against what was seeded (exit status 1 if any
differs).
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import resource
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "functions"), str(ROOT)]

from devtools import firestore_emulator  # noqa: E402

PROJECT = "demo-bench-export"


def seed(units: int, parts: int) -> None:
    """Written directly, 500 a commit (this measures the export, not the upload)."""
    from google.cloud import firestore

    client = firestore.Client(project=PROJECT)
    counted = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    per_part = units // parts
    writes = []
    for p in range(parts):
        code = f"P-{p:04d}"
        writes.append((f"parts/{code}", {
            "part_code": code, "part_name": f"Parça {p} çelik vida", "qr_count": per_part,
            "used_count": per_part // 10, "printed_units": per_part // 2,
            "downloaded_units": per_part // 5, "first_qr_id": f"{code}-{0:012d}",
            "min_units": 5, "below_minimum": False}))
        for u in range(per_part):
            qr_id = f"{code}-{u:012d}"
            unit: dict[str, object] = {
                "qr_id": qr_id, "part_code": code, "part_name": f"Parça {p} çelik vida",
                "payload": qr_id, "stored": True, "print_count": 1 if u % 2 == 0 else 0,
                "download_count": 1 if u % 5 == 0 else 0, "created_at": counted}
            if u % 10 == 0:
                unit.update(used=True, used_at=counted, used_by="bench",
                            used_reason="sold")
            if u % 3 == 0:
                unit["counts"] = {"session-1": {"at": counted, "by": "bench"}}
            writes.append((f"qr_codes/{qr_id}", unit))
    for start in range(0, len(writes), 500):
        batch = client.batch()
        for path, data in writes[start:start + 500]:
            batch.set(client.document(path), data)
        batch.commit()


def export(fmt: str, scope: str, token: str) -> tuple[float, float, bytes]:
    """(seconds to the first byte, seconds to the last, the body) of one export."""
    from devtools.function_apps import function_app

    client = function_app("export_inventory").test_client()
    started = time.perf_counter()
    reply = client.get(f"/?format={fmt}&scope={scope}",
                       headers={"Authorization": f"Bearer {token}",
                                "Accept-Language": "tr-TR"}, buffered=False)
    assert reply.status_code == 200, reply.get_data(as_text=True)
    chunks, first = [], None
    for chunk in reply.response:
        if first is None:
            first = time.perf_counter() - started
        chunks.append(chunk)
    reply.close()
    return first or 0.0, time.perf_counter() - started, b"".join(chunks)


def rows_in(fmt: str, body: bytes) -> int:
    if fmt == "csv":
        return len(list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))) - 1
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(body), read_only=True)
    return sum(1 for _ in book.worksheets[0].iter_rows()) - 1


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=50_000)
    parser.add_argument("--parts", type=int, default=500)
    parser.add_argument("--seed-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed_only:
        seed(args.units, args.parts)
        return 0

    print("starting the Firestore emulator ...", flush=True)
    emulator = firestore_emulator.start()
    bucket = f"{PROJECT}.appspot.com"
    os.environ.update(FIRESTORE_EMULATOR_HOST=emulator.host, GOOGLE_CLOUD_PROJECT=PROJECT,
                      GCLOUD_PROJECT=PROJECT, FIREBASE_AUTH_EMULATOR_HOST="127.0.0.1:9",
                      STORAGE_BUCKET=bucket, QR_STORE_MODE="in_process",
                      LOCAL_BLOB_DIR="/tmp/bench-export-blobs",
                      FIREBASE_CONFIG=f'{{"projectId": "{PROJECT}", '
                                      f'"storageBucket": "{bucket}"}}')
    try:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, __file__, "--seed-only", "--units", str(args.units),
                        "--parts", str(args.parts)], check=True, env=os.environ.copy())
        print(f"seeded {args.units:,} units over {args.parts} parts in "
              f"{time.perf_counter() - t0:.1f} s", flush=True)
        import composition
        from devtools.tokens import mint_id_token

        composition.reset()
        token = mint_id_token("bench-staff", project_id=PROJECT, staff=True)
        from devtools.function_apps import function_app

        function_app("export_inventory")  # import main and the app before measuring
        base = peak_mb()
        print(f"process before the first export: {base:.0f} MB peak resident")
        failed = False
        for fmt, scope, expected in (("xlsx", "units", args.units), ("csv", "units",
                                                                     args.units),
                                     ("xlsx", "parts", args.parts)):
            first, total, body = export(fmt, scope, token)
            rows = rows_in(fmt, body)
            ok = rows == expected
            failed |= not ok
            print(f"{scope:5} {fmt:4}: {rows:,} rows, {len(body) / 1e6:.1f} MB, first byte "
                  f"{first:.2f} s, all {total:.2f} s, peak resident {peak_mb():.0f} MB"
                  f"{'' if ok else f'  MISMATCH: expected {expected:,} rows'}", flush=True)
        return 1 if failed else 0
    finally:
        emulator.stop()


if __name__ == "__main__":
    sys.exit(main())
