"""The console's parts list (list_parts), on the real Firestore emulator: N parts of U units,
a third of the units printed and a fifth downloaded; pages of 50 read one after another.

Run from the repository root:  .venv/bin/python bench/parts_listing.py [--parts 200 --units 20]
                               .venv/bin/python bench/parts_listing.py --legacy

A part keeps its printed and downloaded counters and names its first unit, so a page is
one query. `--legacy` seeds parts as an earlier version wrote them (none of those fields):
then a page is 1 + 3 x 50 queries, 8 at a time (two COUNT aggregations and a first-unit
read per part). Prints the seconds a page takes (p50, p99 over every page of the list,
read --rounds times) and checks every count against what was seeded (exit status 1 if any
differs).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "functions"), str(ROOT)]

from bench.stats import percentile  # noqa: E402
from devtools import firestore_emulator  # noqa: E402
from identity import Caller  # noqa: E402

PROJECT = "demo-bench-parts-listing"


def seed(client: object, parts: int, units: int, legacy: bool
         ) -> dict[str, tuple[int, int]]:
    """Parts and their unit records, written directly (this measures reading the list);
    -> {part_code: (printed, downloaded)}."""
    expected: dict[str, tuple[int, int]] = {}
    writes = []
    for p in range(parts):
        code = f"P-{p:05d}"
        part = {"part_code": code, "part_name": f"Parça {p}", "qr_count": units,
                "used_count": 0}
        writes.append((f"parts/{code}", part))
        printed = downloaded = 0
        for u in range(units):
            is_printed, is_downloaded = u % 3 == 0, u % 5 == 0
            printed += is_printed
            downloaded += is_downloaded
            writes.append((f"qr_codes/{code}-{u:012d}", {
                "qr_id": f"{code}-{u:012d}", "part_code": code, "part_name": f"Parça {p}",
                "print_count": 1 if is_printed else 0, "is_downloaded": is_downloaded}))
        expected[code] = (printed, downloaded)
        if not legacy:  # as infra/firestore_qr_repository.py keeps them
            part.update(printed_units=printed, downloaded_units=downloaded,
                        first_qr_id=f"{code}-{0:012d}")
    for start in range(0, len(writes), 500):
        batch = client.batch()  # type: ignore[attr-defined]
        for path, data in writes[start:start + 500]:
            batch.set(client.document(path), data)  # type: ignore[attr-defined]
        batch.commit()
    return expected


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--parts", type=int, default=200)
    parser.add_argument("--units", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--legacy", action="store_true",
                        help="parts without counters: counted by queries")
    args = parser.parse_args()
    print("starting the Firestore emulator ...", flush=True)
    emulator = firestore_emulator.start()
    os.environ["FIRESTORE_EMULATOR_HOST"] = emulator.host
    try:
        sys.exit(run(args))
    finally:
        emulator.stop()


def run(args: argparse.Namespace) -> int:
    from google.cloud import firestore

    from infra.firestore_listings import FirestoreListings
    from qr.listing import PartsListing

    client = firestore.Client(project=PROJECT)
    t0 = time.perf_counter()
    expected = seed(client, args.parts, args.units, args.legacy)
    print(f"seeded {args.parts} parts x {args.units} units in {time.perf_counter() - t0:.1f} s")
    listing = PartsListing(FirestoreListings(client))
    staff = Caller("bench-staff", has_staff_claim=True)
    pages: list[float] = []
    wrong: list[str] = []
    for _ in range(args.rounds):
        after = None
        seen = 0
        while True:
            t0 = time.perf_counter()
            reply = listing.list_parts(staff, {"limit": 50, **({"after": after} if after else {})})
            pages.append(time.perf_counter() - t0)
            for part in reply["parts"]:
                seen += 1
                if (part["printed"], part["downloaded"]) != expected[part["part_code"]] \
                        or part["units"] != args.units or not part["first_qr_id"]:
                    wrong.append(part["part_code"])
            after = reply["next"]
            if after is None:
                break
        if seen != args.parts:
            wrong.append(f"listed {seen} of {args.parts}")
    print(f"pages of 50: {len(pages)} read; p50 {percentile(pages, 50):.3f} s, "
          f"p99 {percentile(pages, 99):.3f} s; queries a page: "
          f"{'1 + 3 x 50' if args.legacy else '1'}")
    print(f"counts exact: {'yes' if not wrong else 'NO: ' + ', '.join(wrong[:5])}")
    # What one query of a page costs alone, one at a time.
    from google.cloud.firestore_v1.base_query import FieldFilter

    units = client.collection("qr_codes").where(filter=FieldFilter("part_code", "==", "P-00007"))
    counts, reads = [], []
    for _ in range(20):
        t0 = time.perf_counter()
        units.where(filter=FieldFilter("print_count", ">", 0)).count().get()
        counts.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        list(units.select([]).limit(1).stream())
        reads.append(time.perf_counter() - t0)
    print(f"one query alone: COUNT p50 {percentile(counts, 50) * 1000:.0f} ms, first unit "
          f"p50 {percentile(reads, 50) * 1000:.0f} ms ({args.parts * args.units} units stored)")
    marking(client, args)
    return 1 if wrong else 0


def marking(client: object, args: argparse.Namespace) -> None:
    """What keeping the counters costs the download and print paths: marking through the
    repository (optimistic transaction: read units and parts, conditional commit) against
    the plain batch update it replaced (no counters)."""
    from google.cloud import firestore

    from infra.firestore_qr_repository import FirestoreQrRepository

    repo = FirestoreQrRepository(client)  # type: ignore[arg-type]
    unit = repo.get_many(["P-00001-000000000001"])
    one, plain = [], []
    for _ in range(20):
        t0 = time.perf_counter()
        repo.mark_downloaded(unit, "bench")
        one.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        client.collection("qr_codes").document(unit[0].qr_id).update(  # type: ignore[attr-defined]
            {"download_count": firestore.Increment(1)})
        plain.append(time.perf_counter() - t0)
    # Up to 1,000 units that exist, from the third part on.
    sheet = [f"P-{p:05d}-{u:012d}" for p in range(2, args.parts) for u in range(args.units)]
    records = repo.get_many(sheet[:1000])  # what the label-sheet use case has read already
    t0 = time.perf_counter()
    repo.mark_printed(records, "bench", "avery-l7160")
    printed = time.perf_counter() - t0
    print(f"marking: one download p50 {percentile(one, 50) * 1000:.0f} ms (plain update "
          f"{percentile(plain, 50) * 1000:.0f} ms); a sheet of {len(sheet[:1000])} units "
          f"printed {printed:.2f} s")


if __name__ == "__main__":
    main()
