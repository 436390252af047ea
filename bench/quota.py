"""Benchmark the Vision quota ledger on the real Firestore emulator.

Run from the repository root:  .venv/bin/python bench/quota.py [--sequential N]

Prints sequential reservation throughput and latency (distinct jobs, one unit each), then
the contention case: 4 threads x 5 reservations against a limit of 15 on one month
document. The emulator serialises conflicting transactions with a 2 s lock timeout, so the
contention figures say more about the emulator than about Cloud Firestore; what must hold
everywhere is granted == 15, denied == 5, errors == 0.
"""

from __future__ import annotations

import argparse
import os
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "functions"), str(ROOT)]

from bench.stats import percentile  # noqa: E402
from devtools import firestore_emulator  # noqa: E402
from tests.support.spenders import MonthLedger  # noqa: E402

PROJECT = "demo-bench"
TZ = ZoneInfo("America/Los_Angeles")


def make_ledger(limit: int):  # -> FirestoreVisionLedger
    from google.cloud import firestore

    from moderation.settings import VisionSettings

    client = firestore.Client(project=PROJECT)
    return MonthLedger(client, VisionSettings(monthly_limit=limit), TZ,
                                 lambda: datetime.now(UTC))


def sequential(emulator: firestore_emulator.FirestoreEmulator, count: int) -> None:
    emulator.clear(PROJECT)
    ledger = make_ledger(limit=count)
    ledger.begin("bench_jobs/warmup", 1, {})  # channel set-up is not part of the figure
    emulator.clear(PROJECT)
    latencies: list[float] = []
    started = time.perf_counter()
    for n in range(count):
        t0 = time.perf_counter()
        kind = ledger.begin(f"bench_jobs/seq-{n}", 1, {"n": n}).kind
        latencies.append(time.perf_counter() - t0)
        assert kind == "reserved", kind
    total = time.perf_counter() - started
    print(f"sequential: {count} begins on distinct jobs in {total:.2f} s "
          f"= {count / total:.1f} reservations/s; latency p50 "
          f"{percentile(latencies, 50) * 1000:.1f} ms, p99 "
          f"{percentile(latencies, 99) * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms")

    # complete() on the same jobs (release half of them), for the other half of a call.
    latencies = []
    for n in range(count):
        t0 = time.perf_counter()
        ledger.complete(f"bench_jobs/seq-{n}", {"ok": True}, release=n % 2 == 0)
        latencies.append(time.perf_counter() - t0)
    usage = ledger.month_usage(ledger_month())[0]
    print(f"sequential: {count} completes, p50 {percentile(latencies, 50) * 1000:.1f} ms, "
          f"p99 {percentile(latencies, 99) * 1000:.1f} ms; usage after releasing half: "
          f"{usage} (expected {count - (count + 1) // 2})")


def ledger_month() -> str:
    from moderation.quota import month_key

    return month_key(datetime.now(UTC), TZ)


def contention(emulator: firestore_emulator.FirestoreEmulator, threads: int, per_thread: int,
               limit: int) -> None:
    emulator.clear(PROJECT)
    ledger = make_ledger(limit=limit)
    ledger.read_settings()  # open the channel before the clock starts
    lock = threading.Lock()
    kinds: list[str] = []
    errors: list[str] = []
    latencies: list[float] = []

    def worker(index: int) -> None:
        for n in range(per_thread):
            t0 = time.perf_counter()
            try:
                kind = ledger.begin(f"bench_jobs/c{index}-{n}", 1, {}).kind
            except Exception as err:  # counted and reported, never hidden
                kind = None
                with lock:
                    errors.append(type(err).__name__)
            elapsed = time.perf_counter() - t0
            with lock:
                latencies.append(elapsed)
                if kind is not None:
                    kinds.append(kind)

    started = time.perf_counter()
    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    total = time.perf_counter() - started
    usage = ledger.month_usage(ledger_month())[0]
    print(f"contention: {threads} threads x {per_thread} against limit {limit}: "
          f"granted {kinds.count('reserved')}, denied {kinds.count('exhausted')}, "
          f"errors {len(errors)}{' ' + str(sorted(set(errors))) if errors else ''}, "
          f"usageCount {usage}; latency p50 {percentile(latencies, 50):.2f} s, "
          f"p99 {percentile(latencies, 99):.2f} s; total {total:.1f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequential", type=int, default=200)
    args = parser.parse_args()
    print("starting the Firestore emulator ...", flush=True)
    emulator = firestore_emulator.start()
    os.environ["FIRESTORE_EMULATOR_HOST"] = emulator.host
    try:
        sequential(emulator, args.sequential)
        contention(emulator, threads=4, per_thread=5, limit=15)
    finally:
        emulator.stop()


if __name__ == "__main__":
    main()
