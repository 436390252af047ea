"""How a batch of scans is committed, on an in-memory stand-in for our CountStore port (the
Firestore adapter is tested end to end in tests/e2e/test_count_sessions.py)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from errors import InvalidInput
from identity import Caller
from stocktake.ports import LabelInfo, ScanView, Session, StoredScan, Tally, Unit
from stocktake.sessions import GATES, SCANS_PER_COMMIT, CountSessions

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ALICE = Caller(uid="alice", email="alice@example.com", has_staff_claim=True)


class Store:
    """stocktake.ports.CountStore in memory: one session; each record has a version, and a
    commit succeeds only if every record it writes is at the version its view read and
    its view's gate is still there."""

    def __init__(self, qr_ids: list[str], gates: int = GATES) -> None:
        self.gates = set(range(gates))
        self.gate_count = gates
        self.tally: dict[tuple[str, str], int] = {}
        self.labels = {q: LabelInfo("P", False) for q in qr_ids}
        self.units: dict[str, dict[str, Any]] = {
            q: {"partCode": "P", "expected": True, "found": False} for q in qr_ids}
        self.scans: dict[str, dict[str, Any]] = {}
        self.version: dict[tuple[str, str], int] = {}
        self.state = "open"
        self.commits: list[int] = []  # writes per successful commit
        self.before_commit: Callable[[int], None] = lambda n: None

    def get_session(self, session_id: str) -> Session | None:
        return Session(session_id, "Raf", None, None, self.state,  # type: ignore[arg-type]
                       "alice", NOW, len(self.units), gates=self.gate_count)

    def set_state(self, session_id: str, from_states: tuple[str, ...],
                  fields: dict[str, Any]) -> bool:
        if self.state not in from_states:
            return False
        self.state = fields["state"]
        return True

    def close_gates(self, session_id: str, gates: int) -> None:
        self.gates.clear()

    def all_units(self, session_id: str) -> list[Unit]:
        return [Unit(q, u.get("partCode"), u["expected"], u["found"], u.get("reason"),
                     u.get("scan")) for q, u in self.units.items()]

    def part_names(self, part_codes: list[str]) -> dict[str, str]:
        return {}

    def save_results(self, session_id: str, fields: dict[str, Any],
                     parts: dict[str, dict[str, Any]]) -> None:
        self.state = fields["state"]
        self.saved_totals = fields["totals"]

    def scan_view(self, session_id: str, client_scan_ids: list[str],
                  qr_ids: list[str], gate: int | None = None) -> ScanView:
        keys = [("scan", c) for c in client_scan_ids] + [("unit", q) for q in qr_ids]
        return ScanView(
            scans={c: StoredScan(c, s["qrId"], s["result"], s["reason"])
                   for c, s in self.scans.items() if c in client_scan_ids},
            units={q: Unit(q, u.get("partCode"), u["expected"], u["found"], u.get("reason"),
                           u.get("scan")) for q, u in self.units.items() if q in qr_ids},
            labels={q: self.labels[q] for q in qr_ids if q in self.labels},
            versions={k: self.version.get(k, 0) for k in keys}, gate=gate)

    def commit_scans(self, session_id: str, view: ScanView,
                     scans: Mapping[str, dict[str, Any]],
                     units: Mapping[str, dict[str, Any] | None], tally: Tally) -> bool:
        self.before_commit(len(self.commits))
        keys = [("scan", c) for c in scans] + [("unit", q) for q in units]
        if any(self.version.get(k, 0) != view.versions[k] for k in keys):
            return False
        if view.gate is not None and view.gate not in self.gates:
            return False
        assert len(keys) <= 500, "Firestore takes 500 writes a commit"
        for c, fields in scans.items():
            self.scans[c] = dict(fields)
        for q, unit_fields in units.items():
            assert unit_fields is not None
            self.units[q] = {**self.units.get(q, {}), **unit_fields}
        for k in keys:
            self.version[k] = self.version.get(k, 0) + 1
        for part, counts in tally.items():
            for kind, change in counts.items():
                self.tally[(part, kind)] = self.tally.get((part, kind), 0) + change
        self.commits.append(len(keys))
        return True


def sessions(store: Store) -> CountSessions:
    return CountSessions(store, lambda: NOW, sleep=lambda s: None)  # type: ignore[arg-type]


def batch(qr_ids: list[str], prefix: str = "p1") -> dict[str, Any]:
    return {"session_id": "s1", "scans": [{"qr_id": q, "client_scan_id": f"{prefix}-{n}"}
                                          for n, q in enumerate(qr_ids)]}


QR_IDS = [f"P-{n:012d}" for n in range(1000)]


def test_a_batch_of_1000_is_taken_in_commits_firestore_accepts():
    store = Store(QR_IDS)
    reply = sessions(store).record_scans(ALICE, batch(QR_IDS))
    assert reply["accepted"] == 1000 and reply["resent"] == 0
    assert store.commits == [2 * SCANS_PER_COMMIT] * 4
    assert all(u["found"] for u in store.units.values())


def test_a_commit_that_meets_another_phone_replans_only_its_own_scans():
    store = Store(QR_IDS)
    contested = QR_IDS[600]  # in the third commit

    def other_phone_finds_it(commits_so_far: int) -> None:
        if commits_so_far == 2 and not store.units[contested]["found"]:
            store.units[contested] |= {"found": True, "scan": "p2-1"}
            store.version[("unit", contested)] = store.version.get(("unit", contested), 0) + 1

    store.before_commit = other_phone_finds_it
    reply = sessions(store).record_scans(ALICE, batch(QR_IDS))
    results = reply["results"]
    assert [r["client_scan_id"] for r in results] == [f"p1-{n}" for n in range(1000)]
    assert not any(r["resent"] for r in results)  # earlier commits are not "resent"
    assert results[600]["result"] == "duplicate"
    assert (reply["accepted"], reply["duplicate"]) == (999, 1)
    assert len(store.scans) == 1000


def test_a_batch_with_a_reused_client_scan_id_is_refused_before_any_commit():
    store = Store(QR_IDS)
    scans = batch(QR_IDS[:600])
    scans["scans"][599]["client_scan_id"] = "p1-0"  # same id as the first, other unit
    with pytest.raises(InvalidInput, match="give each scan its own id"):
        sessions(store).record_scans(ALICE, scans)
    assert store.commits == [] and store.scans == {}


def test_a_batch_that_straddles_finishing_answers_scan_by_scan_as_the_count_has_it():
    store = Store(QR_IDS)
    counting = sessions(store)

    def finish_during_second(commits_so_far: int) -> None:
        if commits_so_far == 1:  # the second commit saw the session open: it is refused
            counting.finish(ALICE, {"session_id": "s1"})

    store.before_commit = finish_during_second
    reply = counting.record_scans(ALICE, batch(QR_IDS))
    results = reply["results"]
    assert [r["client_scan_id"] for r in results] == [f"p1-{n}" for n in range(1000)]
    assert [r["result"] for r in results] == \
        ["accepted"] * SCANS_PER_COMMIT + ["refused"] * (1000 - SCANS_PER_COMMIT)
    assert {r["reason"] for r in results[SCANS_PER_COMMIT:]} == {"session_finished"}
    assert (reply["accepted"], reply["refused"]) == (SCANS_PER_COMMIT, 1000 - SCANS_PER_COMMIT)
    assert len(store.scans) == SCANS_PER_COMMIT
    assert store.saved_totals["found"] == SCANS_PER_COMMIT
    # Sent again: the same answers, the taken ones as resent.
    again = counting.record_scans(ALICE, batch(QR_IDS))["results"]
    assert [(r["result"], r["resent"]) for r in again] == \
        [("accepted", True)] * SCANS_PER_COMMIT + [("refused", False)] * 750


def test_a_commit_slower_than_any_grace_lands_before_the_count_or_not_at_all():
    """The commit read the session open, then took longer than the old 3 s grace: with the
    gates gone it fails, and its scans are answered refused; the totals never change."""
    store = Store(QR_IDS)
    counting = CountSessions(store, lambda: NOW,  # type: ignore[arg-type]
                             sleep=lambda s: None, finish_grace_s=3.0)
    slow = {"done": False}

    def finish_while_committing(commits_so_far: int) -> None:
        if not slow["done"]:
            slow["done"] = True
            counting.finish(ALICE, {"session_id": "s1"})  # meanwhile, the count is taken

    store.before_commit = finish_while_committing
    reply = counting.record_scans(ALICE, batch(QR_IDS[:10]))
    assert reply["refused"] == 10 and reply["accepted"] == 0
    assert store.scans == {} and store.saved_totals["found"] == 0
    assert sum(u["found"] for u in store.units.values()) == 0


def test_a_session_without_gates_is_closed_between_commits_by_its_state():
    store = Store(QR_IDS, gates=0)

    def finishing_during_second(commits_so_far: int) -> None:
        if commits_so_far == 1:
            store.state = "finishing"

    store.before_commit = finishing_during_second
    reply = sessions(store).record_scans(ALICE, batch(QR_IDS))
    assert [r["result"] for r in reply["results"]].count("accepted") == 2 * SCANS_PER_COMMIT
    assert reply["refused"] == 1000 - 2 * SCANS_PER_COMMIT
    assert {r["reason"] for r in reply["results"] if r["result"] == "refused"} == {
        "session_finishing"}


def test_resending_the_batch_answers_alike_and_writes_nothing():
    store = Store(QR_IDS)
    first = sessions(store).record_scans(ALICE, batch(QR_IDS))
    commits = len(store.commits)
    again = sessions(store).record_scans(ALICE, batch(QR_IDS))
    assert again["resent"] == 1000 and again["accepted"] == 0
    assert [r["result"] for r in again["results"]] == [r["result"] for r in first["results"]]
    assert len(store.commits) == commits
