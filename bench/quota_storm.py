"""Storm the Vision quota ledger with concurrent reservations on the real Firestore emulator.

Run from the repository root:

    .venv/bin/python bench/quota_storm.py [--cases a,b,c,d] [--threads 50]

What it measures: how many reservations are granted, denied and failed, the usage the ledger
ends with, and the latency of every `begin` (exceptions included) when many callers reserve
at once. Only the ledger's public API is used (begin, set_monthly_limit, reset_month,
month_usage, read_settings), so the same script measures any implementation of it.

Cases (one unit per reservation, every reservation on its own job document):
  a  N threads x 1 reservation, started together, limit 21, on a month that already exists
     (a warm-up reservation creates it, then reset_month brings usage back to 0)
  b  the same on a month that has no documents yet (freshly wiped database)
  c  N threads x 4 reservations against limit 150, existing month
  d  N threads reserving continuously for --storm-seconds against limit 120 while an admin
     thread resets the month (~1.5 s), lowers the limit (~3.5 s, never raises it) and resets
     again (~6 s); a sampler reads usage and limit every ~100 ms, and usage must never be
     above the limit.

The emulator serialises conflicting transactions: a transaction waiting for a document
lock another one holds gives up after a 2 s lock timeout. Contention figures therefore say
more about the emulator than about Cloud Firestore; what must hold everywhere is the exact
counts (a-c), no errors and usage never above the limit (d).

The first line printed names the ledger file measured and a hash of it. Each case prints one
line; the last line gives PASS/FAIL per target (exit status 1 on any FAIL). A case still
running after --watchdog seconds is reported, told to stop, and given 180 s to drain.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import threading
import time
import urllib.error
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "functions"), str(ROOT)]

from bench.stats import percentile  # noqa: E402
from devtools import firestore_emulator  # noqa: E402
from identity import Caller  # noqa: E402
from tests.support.spenders import MonthLedger  # noqa: E402

PROJECT = "demo-bench-storm"
TZ = ZoneInfo("America/Los_Angeles")
ADMIN = Caller(uid="bench-admin", is_admin=True)
P99_TARGET_S = 10.0
SAMPLE_EVERY_S = 0.1
DRAIN_S = 180.0  # after the watchdog: how long in-flight begins may take to finish


def current_month() -> str:
    from moderation.quota import month_key

    return month_key(datetime.now(UTC), TZ)


def make_ledger(limit: int) -> Any:  # -> FirestoreVisionLedger
    from google.cloud import firestore

    from moderation.settings import VisionSettings

    client = firestore.Client(project=PROJECT)
    return MonthLedger(client, VisionSettings(monthly_limit=limit), TZ,
                                 lambda: datetime.now(UTC))


def error_name(err: BaseException) -> str:
    """The exception's class, with the class of its cause (StoreUnavailable<-Aborted)."""
    cause = err.__cause__ or err.__context__
    return type(err).__name__ + (f"<-{type(cause).__name__}" if cause else "")


# -- tallies ------------------------------------------------------------------------------


@dataclass
class Tally:
    """What the reservation threads saw, shared by all of them."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    kinds: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    grants_over_limit: int = 0  # a granted Begin whose own usage is above its own limit
    first_error: str = ""

    def timed_begin(self, ledger: Any, job_path: str) -> str | None:
        """One begin, timed including exceptions; the Begin kind, or None on error."""
        t0 = time.perf_counter()
        try:
            result = ledger.begin(job_path, 1, {"bench": "quota_storm"})
        except Exception as err:  # counted and reported, never hidden
            self._add(time.perf_counter() - t0, error=error_name(err),
                      text=str(err.__cause__ or err))
            return None
        over = result.kind == "reserved" and result.usage > result.limit
        self._add(time.perf_counter() - t0, kind=result.kind, over=over)
        return result.kind

    def _add(self, elapsed: float, *, kind: str | None = None, error: str | None = None,
             over: bool = False, text: str = "") -> None:
        with self.lock:
            self.first_error = self.first_error or text
            self.latencies.append(elapsed)
            if kind is not None:
                self.kinds[kind] += 1
            if error is not None:
                self.errors[error] += 1
            self.grants_over_limit += int(over)


@dataclass(frozen=True)
class Run:
    wall_s: float  # from the barrier's release until the last thread ended (or gave up)
    watchdog_s: float
    at_watchdog: int = 0  # threads still running when the watchdog fired
    after_drain: int = 0  # of those, still running DRAIN_S later (abandoned)
    drain_s: float = 0.0  # how long the drain took

    @property
    def clean(self) -> bool:
        return self.at_watchdog == 0

    def note(self) -> str:
        if self.clean:
            return ""
        drained = (f"{self.after_drain} abandoned after {DRAIN_S:.0f} s" if self.after_drain
                   else f"all ended {self.drain_s:.1f} s later")
        return (f"; WATCHDOG fired at {self.watchdog_s:.0f} s with {self.at_watchdog} threads "
                f"running, {drained}")


@dataclass
class CaseResult:
    name: str
    tally: Tally
    usage: int | None
    expected: int | None  # exact granted count and usage (a-c); None for d
    run: Run
    detail: str = ""
    ok_extra: bool = True  # case-specific invariant (d: usage never above the limit)
    side_errors: int = 0  # d: failed admin and sampler calls

    @property
    def granted(self) -> int:
        return self.tally.kinds["reserved"]

    @property
    def p99(self) -> float:
        return percentile(self.tally.latencies, 99)

    @property
    def exact(self) -> bool:
        return (self.expected is not None and self.run.clean
                and self.granted == self.expected and self.usage == self.expected)

    def line(self) -> str:
        t = self.tally
        others = {k: v for k, v in t.kinds.items() if k not in ("reserved", "exhausted")}
        errors = f" {dict(t.errors)} first: {t.first_error!r}" if t.errors else ""
        expected = self.expected if self.expected is not None else self.detail
        over = t.grants_over_limit
        return (f"{self.name}: granted {self.granted}, denied {t.kinds['exhausted']}"
                f"{f', other {others}' if others else ''}, errors {sum(t.errors.values())}"
                f"{errors}, usage after {self.usage}, expected {expected}"
                f"{f', GRANTS OVER LIMIT {over}' if over else ''}"
                f"; begins {len(t.latencies)}, latency p50 {percentile(t.latencies, 50):.2f} s,"
                f" p99 {self.p99:.2f} s, max {max(t.latencies, default=float('nan')):.2f} s;"
                f" wall {self.run.wall_s:.1f} s{self.run.note()}")


# -- running threads ----------------------------------------------------------------------


def join_all(pool: list[threading.Thread], seconds: float) -> int:
    """Join every thread within `seconds` in all; the number still running."""
    deadline = time.monotonic() + seconds
    for thread in pool:
        thread.join(timeout=max(0.0, deadline - time.monotonic()))
    return sum(thread.is_alive() for thread in pool)


def run_together(threads: int, work: Callable[[int], None], watchdog_s: float,
                 stop: threading.Event,
                 started: Callable[[float], None] | None = None) -> Run:
    """Start `threads` daemon threads running work(i) and release them together through a
    barrier. If they are not done within `watchdog_s`, set `stop` (work must check it
    between begins) and give the begins in flight DRAIN_S more to finish."""
    barrier = threading.Barrier(threads + 1)

    def run(index: int) -> None:
        barrier.wait(timeout=60)
        work(index)

    pool = [threading.Thread(target=run, args=(i,), daemon=True, name=f"storm-{i}")
            for i in range(threads)]
    for thread in pool:
        thread.start()
    barrier.wait(timeout=60)
    t0 = time.perf_counter()
    if started is not None:
        started(t0)
    at_watchdog = join_all(pool, watchdog_s)
    stop.set()
    fired = time.perf_counter()
    after_drain = join_all(pool, DRAIN_S) if at_watchdog else 0
    now = time.perf_counter()
    return Run(now - t0, watchdog_s, at_watchdog, after_drain, now - fired if at_watchdog else 0)


def wipe(emulator: firestore_emulator.FirestoreEmulator) -> None:
    """Clear the database; the emulator answers 409 while transactions still hold locks."""
    deadline = time.monotonic() + 120
    while True:
        try:
            emulator.clear(PROJECT)
            return
        except urllib.error.HTTPError as err:
            if err.code != 409 or time.monotonic() > deadline:
                raise
            time.sleep(1)


def prepare(emulator: firestore_emulator.FirestoreEmulator, limit: int,
            existing: bool) -> tuple[Any, str, int]:
    """A wiped database and a ledger with `limit`; with `existing`, the current month is
    created by a warm-up reservation and reset to usage 0. Returns (ledger, month, usage)."""
    wipe(emulator)
    ledger = make_ledger(limit)
    ledger.read_settings()  # open the channel before the clock starts
    key = current_month()
    if existing:
        ledger.begin("bench_jobs/warmup", 1, {"bench": "warmup"})
        ledger.reset_month(ADMIN)
    return ledger, key, ledger.month_usage(key)[0]


# -- cases a-c: bursts --------------------------------------------------------------------


def burst(emulator: firestore_emulator.FirestoreEmulator, case: str, label: str,
          threads: int, per_thread: int, limit: int, existing: bool,
          watchdog_s: float) -> CaseResult:
    ledger, key, prior = prepare(emulator, limit, existing)
    tally = Tally()
    stop = threading.Event()

    def work(index: int) -> None:
        for n in range(per_thread):
            if stop.is_set():
                return
            tally.timed_begin(ledger, f"bench_jobs/{case}-{index}-{n}")

    run = run_together(threads, work, watchdog_s, stop)
    usage = safe_usage(ledger, key)
    total = threads * per_thread
    name = f"{case} {label} {threads}x{per_thread} vs limit {limit} (prior usage {prior})"
    return CaseResult(name, tally, usage, min(total, limit - prior), run)


def safe_usage(ledger: Any, key: str) -> int | None:
    try:
        return ledger.month_usage(key)[0]
    except Exception as err:
        print(f"  (month_usage after the case failed: {error_name(err)})", flush=True)
        return None


# -- case d: storm with admin changes -----------------------------------------------------


@dataclass
class Storm:
    ledger: Any
    key: str
    seconds: float
    events: list[str] = field(default_factory=list)
    samples: list[tuple[float, int, int, int]] = field(default_factory=list)  # t, u, lim, mlim
    side_errors: Counter[str] = field(default_factory=Counter)  # admin and sampler
    t0: float = 0.0
    workers_done: threading.Event = field(default_factory=threading.Event)
    stop: threading.Event = field(default_factory=threading.Event)

    def elapsed(self) -> float:
        return time.perf_counter() - self.t0

    def wait_until(self, at_s: float) -> None:
        time.sleep(max(0.0, at_s - self.elapsed()))

    def worker(self, tally: Tally, index: int) -> None:
        streak = n = 0
        while self.elapsed() < self.seconds and not self.stop.is_set():
            kind = tally.timed_begin(self.ledger, f"bench_jobs/d-{index}-{n}")
            n += 1
            streak = streak + 1 if kind == "exhausted" else 0
            if streak >= 3:
                time.sleep(0.05)

    def admin(self) -> None:
        for at_s, action in ((1.5, self.reset), (3.5, self.lower_limit), (6.0, self.reset)):
            self.wait_until(at_s)
            try:
                action()
            except Exception as err:
                self.side_errors[f"admin:{error_name(err)}"] += 1
                self.events.append(f"{action.__name__} FAILED {error_name(err)}")

    def reset(self) -> None:
        started = self.elapsed()
        self.ledger.reset_month(ADMIN)
        self.events.append(f"reset {started:.1f}-{self.elapsed():.1f} s")

    def lower_limit(self) -> None:
        started = self.elapsed()
        usage = self.ledger.month_usage(self.key)[0]
        current = self.ledger.read_settings().monthly_limit
        new = min(current, max(usage + 40, current // 2))  # never raise it
        if new == current:
            self.events.append(f"limit kept at {current} (usage {usage})")
            return
        self.ledger.set_monthly_limit(ADMIN, new)
        after = self.ledger.month_usage(self.key)[0]
        self.events.append(f"limit {current}->{new} {started:.1f}-{self.elapsed():.1f} s "
                           f"(usage {usage} before, {after} just after)")

    def sampler(self) -> None:
        while not self.workers_done.is_set():
            try:
                # Limit first: it only ever goes down here, so a sound ledger always shows
                # usage <= the limit read before it.
                limit = self.ledger.read_settings().monthly_limit
                usage, month_limit, _ = self.ledger.month_usage(self.key)
                self.samples.append((self.elapsed(), usage, limit, month_limit))
            except Exception as err:
                self.side_errors[f"sampler:{error_name(err)}"] += 1
            self.workers_done.wait(SAMPLE_EVERY_S)


def storm(emulator: firestore_emulator.FirestoreEmulator, threads: int, seconds: float,
          watchdog_s: float) -> CaseResult:
    limit = 120
    ledger, key, prior = prepare(emulator, limit, existing=True)
    state = Storm(ledger, key, seconds)
    tally = Tally()
    side = [threading.Thread(target=state.admin, daemon=True, name="storm-admin"),
            threading.Thread(target=state.sampler, daemon=True, name="storm-sampler")]

    def started(t0: float) -> None:
        state.t0 = t0
        for thread in side:
            thread.start()

    run = run_together(threads, lambda i: state.worker(tally, i), seconds + watchdog_s,
                       state.stop, started)
    state.workers_done.set()
    for thread in side:
        thread.join(timeout=30)
    usage = safe_usage(ledger, key)
    final_limit = safe_limit(ledger)
    above = [s for s in state.samples if s[1] > s[2]]
    over = grown_over_limit(state.samples)
    over_month = sum(1 for s in state.samples if s[1] > s[3])
    final_ok = usage is not None and final_limit is not None and usage <= final_limit
    detail = (f"<= final limit {final_limit}; samples {len(state.samples)}, usage grown past "
              f"the limit in {len(over)}{' e.g. ' + str(over[:3]) if over else ''} (above a "
              f"limit lowered below it in {len(above)}, > month-doc limit in {over_month}), "
              f"max sampled usage {max((s[1] for s in state.samples), default=0)}"
              f"; admin: {'; '.join(state.events)}"
              f"{'; side errors ' + str(dict(state.side_errors)) if state.side_errors else ''}")
    name = f"d storm {threads} threads x {seconds:.0f} s, limit {limit} (prior usage {prior})"
    return CaseResult(name, tally, usage, None, run, detail,
                      ok_extra=not over and final_ok and bool(state.samples),
                      side_errors=sum(state.side_errors.values()))


def grown_over_limit(samples: list[tuple[float, int, int, int]]
                     ) -> list[tuple[float, int, int, int]]:
    """Samples that show a grant past the limit: usage above the limit and higher than in
    the previous sample taken under that same limit. A limit lowered below the usage of
    the moment shows usage > limit with no grant at all (the ledger never takes units
    back), so that alone is not a violation; the admin's change can land seconds after
    the usage it was computed from was read."""
    return [cur for prev, cur in pairwise(samples)
            if cur[1] > cur[2] and prev[2] == cur[2] and cur[1] > prev[1]]


def safe_limit(ledger: Any) -> int | None:
    try:
        return ledger.read_settings().monthly_limit
    except Exception as err:
        print(f"  (read_settings after the case failed: {error_name(err)})", flush=True)
        return None


# -- verdict and main ---------------------------------------------------------------------


def verdict(results: list[CaseResult], crashed: list[str]) -> tuple[str, bool]:
    checks: list[tuple[str, bool]] = [(f"{case} ran", False) for case in crashed]
    for r in results:
        case = r.name.split()[0]
        if r.expected is not None:
            checks.append((f"exact {case}", r.exact))
        else:
            checks.append((f"{case} usage<=limit", r.ok_extra))
    checks.append(("0 errors", all(not r.tally.errors and not r.side_errors for r in results)))
    checks.append(("no watchdog", all(r.run.clean for r in results)))
    checks.append((f"p99<{P99_TARGET_S:.0f}s", all(r.p99 < P99_TARGET_S for r in results)))
    ok = all(passed for _, passed in checks)
    text = ", ".join(f"{label} {'PASS' if passed else 'FAIL'}" for label, passed in checks)
    return f"{'PASS' if ok else 'FAIL'}: {text}", ok


def run_case(emulator: firestore_emulator.FirestoreEmulator, case: str,
             args: argparse.Namespace) -> CaseResult:
    n, watchdog = args.threads, args.watchdog
    if case == "a":
        return burst(emulator, "a", "existing month", n, 1, 21, True, watchdog)
    if case == "b":
        return burst(emulator, "b", "new month", n, 1, 21, False, watchdog)
    if case == "c":
        return burst(emulator, "c", "existing month", n, 4, 150, True, watchdog)
    return storm(emulator, n, args.storm_seconds, watchdog)


def ledger_identity() -> str:
    """Which ledger code this run measures: its file and a hash of its text."""
    import infra.firestore_vision_ledger as module

    path = Path(module.__file__ or "")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    return f"ledger {path} sha256:{digest}"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--cases", default="a,b,c,d", help="comma-separated subset of a,b,c,d")
    parser.add_argument("--threads", type=int, default=50)
    parser.add_argument("--storm-seconds", type=float, default=10.0, help="duration of case d")
    parser.add_argument("--watchdog", type=float, default=300.0,
                        help="seconds a case may run before it is reported and abandoned")
    args = parser.parse_args()
    args.cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    if not args.cases or set(args.cases) - set("abcd") or args.threads < 1:
        parser.error("--cases takes a subset of a,b,c,d and --threads must be >= 1")
    return args


def main() -> int:
    args = parse_args()
    print(ledger_identity(), flush=True)
    print("starting the Firestore emulator ...", flush=True)
    emulator = firestore_emulator.start()
    os.environ["FIRESTORE_EMULATOR_HOST"] = emulator.host
    results: list[CaseResult] = []
    crashed: list[str] = []
    try:
        for case in args.cases:
            try:
                results.append(run_case(emulator, case, args))
            except Exception as err:  # reported; the other cases still run
                crashed.append(case)
                print(f"{case}: CRASHED {error_name(err)}: {err}", flush=True)
                continue
            print(results[-1].line(), flush=True)
    finally:
        emulator.stop()
    text, ok = verdict(results, crashed)
    print(text, flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
