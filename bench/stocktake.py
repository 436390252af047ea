"""Stock-taking under load, on the real Firestore emulator: 10 phones send 10,000 scans in
batches of 50 into one count session, 10 % of the batches twice (an offline queue sent
again), then the session is finished.

Run from the repository root:  .venv/bin/python bench/stocktake.py [--scans 10000]

Meanwhile each phone polls the live counts (count_session_live) every 2 s, as the
Counting page does.

Prints the start (freezing the expected set), scans/s over the whole run, batch latency
p50/p99, the live poll's documents read, bytes (its JSON as the callable sends it) and
p50/p99 time, the same for the full report the page polled before, the finish time, and
whether every scan was counted exactly once (found == scans, no unit twice, resent
batches answered alike, one scan record per scan).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "functions"), str(ROOT)]

from bench.stats import percentile  # noqa: E402
from devtools import firestore_emulator  # noqa: E402
from identity import Caller  # noqa: E402

PROJECT = "demo-bench-stocktake"


def seed_labels(client: object, count: int) -> list[str]:
    """`count` label records (100 units a part), written directly: this measures
    counting, not uploading."""
    ids = [f"PART-{n // 100:04d}-{n:012x}" for n in range(count)]
    for start in range(0, count, 500):
        batch = client.batch()  # type: ignore[attr-defined]
        for qr_id in ids[start:start + 500]:
            part = qr_id.rsplit("-", 1)[0]
            batch.set(client.collection("qr_codes").document(qr_id),  # type: ignore[attr-defined]
                      {"qr_id": qr_id, "part_code": part, "part_name": f"Parça {part}"})
        batch.commit()
    return ids


class ReadCounter:
    """Documents the store reads between counting() and done(), per thread (Firestore bills
    a document read per document returned, and one for a query that returns none)."""

    def __init__(self) -> None:
        self.local = threading.local()

    def counting(self) -> None:
        self.local.reads = 0

    def add(self, n: int) -> None:
        if getattr(self.local, "reads", None) is not None:
            self.local.reads += n

    def done(self) -> int:
        reads, self.local.reads = self.local.reads, None
        return int(reads)


def count_reads(store: object) -> ReadCounter:
    counter = ReadCounter()
    calls = store._calls  # type: ignore[attr-defined]
    read_view, stream = calls.read_view, store._stream  # type: ignore[attr-defined]

    def counted_read_view(refs, **kwargs):  # type: ignore[no-untyped-def]
        counter.add(len(refs))
        return read_view(refs, **kwargs)

    def counted_stream(query):  # type: ignore[no-untyped-def]
        found = stream(query)
        counter.add(max(1, len(found)))
        return found

    calls.read_view = counted_read_view
    store._stream = counted_stream  # type: ignore[attr-defined]
    return counter


def as_sent(reply: object) -> bytes:
    """The reply as the callable protocol sends it (times as text)."""
    return json.dumps({"result": reply}, default=str, ensure_ascii=False,
                      separators=(",", ":")).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=int, default=10_000)
    parser.add_argument("--phones", type=int, default=10)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--resent", type=float, default=0.10)
    parser.add_argument("--finish-grace", type=float, default=3.0,
                        help="only for sessions started without gates")
    args = parser.parse_args()
    print("starting the Firestore emulator ...", flush=True)
    emulator = firestore_emulator.start()
    os.environ["FIRESTORE_EMULATOR_HOST"] = emulator.host
    try:
        run(args)
    finally:
        emulator.stop()


def run(args: argparse.Namespace) -> None:
    from google.cloud import firestore

    from infra.firestore_count_store import FirestoreCountStore
    from stocktake.sessions import CountSessions

    client = firestore.Client(project=PROJECT)
    ids = seed_labels(client, args.scans)
    store = FirestoreCountStore(client, lambda: datetime.now(UTC))
    sessions = CountSessions(store, lambda: datetime.now(UTC), finish_grace_s=args.finish_grace)
    reads = count_reads(store)
    boss = Caller("bench-boss", has_staff_claim=True)
    started = time.perf_counter()
    session = sessions.start(boss, {"name": "bench"})["session_id"]
    print(f"start: {args.scans} expected units frozen in {time.perf_counter() - started:.1f} s")

    rng = random.Random(7)
    shuffled = rng.sample(ids, len(ids))
    share = len(ids) // args.phones
    # Exactly the asked share of batches is sent twice, picked at random: (phone, start).
    per_phone = [(i, s) for i in range(args.phones) for s in range(0, share, args.batch)]
    resend = set(rng.sample(per_phone, round(len(per_phone) * args.resent)))
    latencies: list[float] = []
    answers: dict[str, str] = {}
    mismatches: list[str] = []
    errors: list[str] = []
    lock = threading.Lock()

    def phone(index: int) -> None:
        caller = Caller(f"phone-{index}", has_staff_claim=True)
        mine = shuffled[index * share:(index + 1) * share]
        for start in range(0, len(mine), args.batch):
            batch = [{"qr_id": q, "client_scan_id": f"p{index}-{start + n}",
                      "scanned_at": int(time.time() * 1000)}
                     for n, q in enumerate(mine[start:start + args.batch])]
            sends = 2 if (index, start) in resend else 1
            for _ in range(sends):
                t0 = time.perf_counter()
                try:
                    reply = sessions.record_scans(caller, {"session_id": session,
                                                           "scans": batch})
                except Exception as err:  # counted and reported
                    with lock:
                        errors.append(type(err).__name__)
                    continue
                with lock:
                    latencies.append(time.perf_counter() - t0)
                    for result in reply["results"]:
                        seen = answers.setdefault(result["client_scan_id"], result["result"])
                        if seen != result["result"]:
                            mismatches.append(result["client_scan_id"])

    polls: list[tuple[float, int, int]] = []  # seconds, documents read, bytes
    scanning_done = threading.Event()

    def poller(index: int) -> None:
        caller = Caller(f"phone-{index}", has_staff_claim=True)
        cursor, pause = None, 0.2 * index  # the phones' polls spread over the 2 s
        while not scanning_done.wait(pause):
            pause = 2.0
            reads.counting()
            t0 = time.perf_counter()
            live = sessions.live(caller, {"session_id": session, "since": cursor})
            took = time.perf_counter() - t0
            cursor = live["cursor"]
            with lock:
                polls.append((took, reads.done(), len(as_sent(live))))

    threads = [threading.Thread(target=phone, args=(i,)) for i in range(args.phones)]
    pollers = [threading.Thread(target=poller, args=(i,)) for i in range(args.phones)]
    t0 = time.perf_counter()
    for thread in [*threads, *pollers]:
        thread.start()
    for thread in threads:
        thread.join()
    scanning = time.perf_counter() - t0
    scanning_done.set()
    for thread in pollers:
        thread.join()
    print(f"scans: {len(answers)} scans ({len(latencies)} batches of {args.batch}, "
          f"{len(latencies) - args.scans // args.batch} sent twice) from {args.phones} "
          f"phones in {scanning:.1f} s = {len(answers) / scanning:.0f} scans/s; batch p50 "
          f"{percentile(latencies, 50):.2f} s, p99 {percentile(latencies, 99):.2f} s; "
          f"errors {len(errors)}")
    seconds = [p[0] for p in polls]
    print(f"live poll (10 phones every 2 s while scanning, {len(polls)} polls): "
          f"documents read max {max(p[1] for p in polls)}, bytes max "
          f"{max(p[2] for p in polls):,}; p50 {percentile(seconds, 50) * 1000:.0f} ms, "
          f"p99 {percentile(seconds, 99) * 1000:.0f} ms")
    reads.counting()
    t0 = time.perf_counter()
    full = sessions.report(boss, session)
    print(f"the full report (what the page polled before): documents read {reads.done():,}, "
          f"bytes {len(as_sent(full)):,}, {time.perf_counter() - t0:.2f} s")

    t0 = time.perf_counter()
    done = sessions.finish(boss, {"session_id": session})
    finishing = time.perf_counter() - t0
    totals = done["totals"]
    scan_records = sum(1 for _ in client.collection(
        f"count_sessions/{session}/scans").select([]).stream())
    # A session with gates is closed by deleting them: no grace is waited out.
    print(f"finish: {finishing:.1f} s (closing the gates, no grace); totals {totals}; "
          f"scan records {scan_records}")
    exact = (totals["found"] == args.scans and totals["missing"] == 0
             and totals["unexpected"] == 0 and scan_records == args.scans
             and list(answers.values()).count("accepted") == args.scans
             and not mismatches and not errors)
    print("PASS" if exact else "FAIL", "(every scan counted exactly once; resent batches "
          "answered alike; no errors)")


if __name__ == "__main__":
    main()
