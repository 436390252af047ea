"""Count sessions end to end on an in-memory CountStore: what each use case writes (the
records' field names and values), what it answers, and each refusal by its message code.
Written against the survivors of mutation testing (README, "Mutation testing"): the planning
of a batch, input checks, undo, finish, cancel and the report."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from errors import (
    DomainError,
    FailedPrecondition,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    Unavailable,
)
from identity import Caller
from messages import Msg
from stocktake import sessions as sessions_module
from stocktake.ports import (
    LabelInfo,
    RecentScan,
    ScanView,
    Session,
    StoredScan,
    Tally,
    Unit,
)
from stocktake.sessions import GATES, CountSessions, report_format

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
LATER = NOW + timedelta(minutes=5)
ALICE = Caller(uid="alice", email="alice@example.com", has_staff_claim=True)
BOB = Caller(uid="bob", has_staff_claim=True)
ADMIN = Caller(uid="root", is_admin=True)
GUEST = Caller(uid="guest")


def assert_msg(err: DomainError, code: str, **params: Any) -> None:
    assert err.message.code == code
    assert err.message.params == params


class MemoryStore:
    """stocktake.ports.CountStore in memory, records kept as the adapter's fields; every
    call that writes is remembered; `fail_commits` commits in a row report a conflict."""

    def __init__(self) -> None:
        self.catalog: dict[str, list[str]] = {}  # part code -> qr ids not used
        self.sessions: dict[str, dict[str, Any]] = {}
        self.units: dict[str, dict[str, dict[str, Any]]] = {}
        self.scans: dict[str, dict[str, dict[str, Any]]] = {}
        self.labels: dict[str, LabelInfo] = {}
        self.names: dict[str, str] = {}
        self.created: list[tuple[dict[str, Any], dict[str, list[str]]]] = []
        self.asked: list[tuple[str, ...] | None] = []
        self.views: list[tuple[str, list[str], list[str]]] = []
        self.commits: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
        self.commit_views: list[ScanView] = []
        self.states: list[tuple[str, tuple[str, ...], dict[str, Any]]] = []
        self.saved: list[tuple[str, dict[str, Any], dict[str, Any]]] = []
        self.names_asked: list[list[str]] = []
        self.fail_commits = 0
        self.gates: dict[str, set[int]] = {}
        self.tallies: dict[str, dict[int, dict[str, dict[str, int]]]] = {}
        self.recent_asked: list[tuple[str, datetime | None, int]] = []
        self.closed: list[tuple[str, int]] = []

    def open_session(self, sid: str = "s1", *, by: str = "alice",
                     units: Mapping[str, str] | None = None, state: str = "open",
                     gates: int = 0) -> None:
        self.sessions[sid] = {"name": "Raf A", "note": None, "partCodes": None,
                              "state": state, "startedBy": by, "startedAt": NOW,
                              "expectedCount": len(units or {}), "gates": gates}
        self.gates[sid] = set(range(gates))
        self.units[sid] = {q: {"partCode": p, "expected": True, "found": False}
                           for q, p in (units or {}).items()}
        self.scans[sid] = {}
        for q, p in (units or {}).items():
            self.labels[q] = LabelInfo(p, False)

    # -- the port --------------------------------------------------------------------------

    def units_to_count(self, part_codes: tuple[str, ...] | None) -> dict[str, list[str]]:
        self.asked.append(part_codes)
        if part_codes is None:
            return dict(self.catalog)
        return {c: self.catalog[c] for c in part_codes if c in self.catalog}

    def create_session(self, fields: dict[str, Any], expected: dict[str, list[str]],
                       gates: int) -> str:
        self.created.append((fields, expected))
        sid = f"new{len(self.created)}"
        self.gates[sid] = set(range(gates))
        self.sessions[sid] = dict(fields)
        self.units[sid] = {q: {"partCode": p, "expected": True, "found": False}
                           for p, qs in expected.items() for q in qs}
        self.scans[sid] = {}
        return sid

    def get_session(self, session_id: str) -> Session | None:
        s = self.sessions.get(session_id)
        if s is None:
            return None
        return Session(session_id, s["name"], s["note"], s["partCodes"], s["state"],
                       s["startedBy"], s["startedAt"], s["expectedCount"],
                       gates=s.get("gates", 0), expected_by_part=s.get("expectedByPart"),
                       part_names=s.get("partNames"), part_counts=s.get("partCounts"))

    def set_state(self, session_id: str, from_states: tuple[str, ...],
                  fields: dict[str, Any]) -> bool:
        self.states.append((session_id, from_states, fields))
        if self.sessions[session_id]["state"] not in from_states:
            return False
        self.sessions[session_id].update(fields)
        return True

    def scan_view(self, session_id: str, client_scan_ids: list[str],
                  qr_ids: list[str], gate: int | None = None) -> ScanView:
        self.views.append((session_id, list(client_scan_ids), sorted(qr_ids)))
        scans = self.scans[session_id]
        units = self.units[session_id]
        return ScanView(
            scans={c: StoredScan(c, scans[c]["qrId"], scans[c]["result"], scans[c]["reason"],
                                 scans[c]["undone"])
                   for c in client_scan_ids if c in scans},
            units={q: _unit(q, units[q]) for q in qr_ids if q in units},
            labels={q: self.labels[q] for q in qr_ids if q in self.labels}, gate=gate)

    def commit_scans(self, session_id: str, view: ScanView,
                     scans: Mapping[str, dict[str, Any]],
                     units: Mapping[str, dict[str, Any] | None], tally: Tally) -> bool:
        self.commit_views.append(view)
        if self.fail_commits:
            self.fail_commits -= 1
            return False
        if view.gate is not None and view.gate not in self.gates[session_id]:
            return False
        self.commits.append((session_id, dict(scans), dict(units)))
        if view.gate is not None:
            gate = self.tallies.setdefault(session_id, {}).setdefault(view.gate, {})
            for part, counts in tally.items():
                for kind, change in counts.items():
                    gate.setdefault(part, {})[kind] = gate.get(part, {}).get(kind, 0) + change
        for c, fields in scans.items():
            self.scans[session_id][c] = {**self.scans[session_id].get(c, {}), **fields}
        for q, unit_fields in units.items():
            if unit_fields is None:
                del self.units[session_id][q]
            else:
                self.units[session_id][q] = {**self.units[session_id].get(q, {}),
                                             **unit_fields}
        return True

    def close_gates(self, session_id: str, gates: int) -> None:
        self.closed.append((session_id, gates))
        self.gates[session_id].clear()
        self.tallies.pop(session_id, None)

    def gate_tallies(self, session_id: str, gates: int) -> dict[str, dict[str, int]]:
        total: dict[str, dict[str, int]] = {}
        for gate in self.tallies.get(session_id, {}).values():
            for part, counts in gate.items():
                for kind, count in counts.items():
                    total.setdefault(part, {})[kind] = total.get(part, {}).get(kind, 0) + count
        return total

    def recent_scans(self, session_id: str, since: datetime | None,
                     limit: int) -> list[RecentScan]:
        self.recent_asked.append((session_id, since, limit))
        found = [RecentScan(c, r["qrId"], r["result"], r["reason"], r["by"], r["receivedAt"])
                 for c, r in self.scans[session_id].items()
                 if since is None or r["receivedAt"] > since]
        return sorted(found, key=lambda r: r.received_at, reverse=True)[:limit]

    def all_units(self, session_id: str) -> list[Unit]:
        return [_unit(q, u) for q, u in self.units[session_id].items()]

    def part_names(self, part_codes: list[str]) -> dict[str, str]:
        self.names_asked.append(sorted(part_codes))
        return {c: self.names[c] for c in part_codes if c in self.names}

    def save_results(self, session_id: str, fields: dict[str, Any],
                     parts: dict[str, dict[str, Any]]) -> None:
        self.saved.append((session_id, fields, parts))
        self.sessions[session_id].update(fields)


def _unit(qr_id: str, u: dict[str, Any]) -> Unit:
    return Unit(qr_id, u.get("partCode"), u["expected"], u["found"], u.get("reason"),
                u.get("scan"), u.get("foundBy"), u.get("foundAt"), u.get("scannedAt"))


class Clock:
    def __init__(self, *times: datetime) -> None:
        self.times = list(times)

    def __call__(self) -> datetime:
        return self.times.pop(0) if len(self.times) > 1 else self.times[0]


def counting(store: MemoryStore, clock: Clock | None = None, **kwargs: Any) -> tuple[
        CountSessions, list[float]]:
    slept: list[float] = []
    return CountSessions(store, clock or Clock(NOW), sleep=slept.append,  # type: ignore[arg-type]
                         **kwargs), slept


def scan(qr_id: str, cid: str, scanned_at: Any = None) -> dict[str, Any]:
    return {"qr_id": qr_id, "client_scan_id": cid, "scanned_at": scanned_at}


def found_record(cid: str, by: str = "alice", scanned_at: datetime | None = None) -> dict[
        str, Any]:
    return {"found": True, "scan": cid, "foundBy": by, "foundAt": NOW, "scannedAt": scanned_at}


def scan_record(qr_id: str, result: str, reason: str | None, by: str = "alice",
                scanned_at: datetime | None = None) -> dict[str, Any]:
    return {"qrId": qr_id, "result": result, "reason": reason, "by": by,
            "scannedAt": scanned_at, "receivedAt": NOW, "undone": False}


def result(cid: str, qr_id: str, outcome: str, reason: str | None = None, *,
           resent: bool = False, undone: bool = False) -> dict[str, Any]:
    return {"client_scan_id": cid, "qr_id": qr_id, "result": outcome, "reason": reason,
            "resent": resent, "undone": undone}


UNITS = {"A-1": "A", "A-2": "A", "B-1": "B"}


@pytest.fixture
def store() -> MemoryStore:
    s = MemoryStore()
    s.open_session(units=UNITS)
    s.labels["C-1"] = LabelInfo("C", False)  # a part outside the session
    s.labels["A-9"] = LabelInfo("A", True)  # a unit marked used
    return s


# -- planning a batch --------------------------------------------------------------------------

def test_a_batch_writes_each_outcome_with_its_records(store: MemoryStore) -> None:
    at = "2026-12-01T08:59:00Z"
    when = datetime(2026, 12, 1, 8, 59, tzinfo=UTC)
    service, _ = counting(store)
    reply = service.record_scans(ALICE, {"session_id": "s1", "scans": [
        scan("A-1", "c1", at), scan("A-1", "c2"), scan("Z-1", "c3"), scan("A-9", "c4"),
        scan("C-1", "c5"), scan("C-1", "c6")]})
    assert reply == {"results": [
        result("c1", "A-1", "accepted"), result("c2", "A-1", "duplicate"),
        result("c3", "Z-1", "unexpected", "unknown"), result("c4", "A-9", "unexpected", "used"),
        result("c5", "C-1", "unexpected", "out_of_scope"),
        result("c6", "C-1", "duplicate", "out_of_scope"),
    ], "accepted": 1, "duplicate": 2, "unexpected": 3, "refused": 0, "resent": 0}
    assert store.views == [("s1", ["c1", "c2", "c3", "c4", "c5", "c6"],
                            ["A-1", "A-9", "C-1", "Z-1"])]
    ((sid, scans, units),) = store.commits
    assert sid == "s1"
    assert scans == {
        "c1": scan_record("A-1", "accepted", None, scanned_at=when),
        "c2": scan_record("A-1", "duplicate", None),
        "c3": scan_record("Z-1", "unexpected", "unknown"),
        "c4": scan_record("A-9", "unexpected", "used"),
        "c5": scan_record("C-1", "unexpected", "out_of_scope"),
        "c6": scan_record("C-1", "duplicate", "out_of_scope"),
    }
    assert units == {
        "A-1": found_record("c1", scanned_at=when),
        "Z-1": {"partCode": None, "expected": False, "reason": "unknown", **found_record("c3")},
        "A-9": {"partCode": "A", "expected": False, "reason": "used", **found_record("c4")},
        "C-1": {"partCode": "C", "expected": False, "reason": "out_of_scope",
                **found_record("c5")},
    }


def test_a_unit_found_by_an_earlier_batch_is_a_duplicate_with_its_reason(
        store: MemoryStore) -> None:
    service, _ = counting(store)
    service.record_scans(BOB, {"session_id": "s1", "scans": [scan("A-1", "c1"),
                                                             scan("Z-1", "c2")]})
    reply = service.record_scans(ALICE, {"session_id": "s1", "scans": [
        scan("A-1", "d1"), scan("Z-1", "d2")]})
    assert reply["results"] == [result("d1", "A-1", "duplicate"),
                                result("d2", "Z-1", "duplicate", "unknown")]
    assert (reply["accepted"], reply["duplicate"], reply["unexpected"]) == (0, 2, 0)
    # A duplicate writes its scan only: the unit keeps who found it first.
    assert store.commits[-1][2] == {}
    assert store.units["s1"]["A-1"]["foundBy"] == "bob"
    assert store.scans["s1"]["d1"]["by"] == "alice"


def test_a_resent_scan_answers_as_stored_and_writes_nothing(store: MemoryStore) -> None:
    service, _ = counting(store)
    service.record_scans(ALICE, {"session_id": "s1", "scans": [scan("A-1", "c1"),
                                                               scan("Z-1", "c2")]})
    reply = service.record_scans(ALICE, {"session_id": "s1", "scans": [
        scan("Z-1", "c2"), scan("A-1", "c1"), scan("A-2", "c3")]})
    assert reply == {"results": [
        result("c2", "Z-1", "unexpected", "unknown", resent=True),
        result("c1", "A-1", "accepted", resent=True),
        result("c3", "A-2", "accepted"),
    ], "accepted": 1, "duplicate": 0, "unexpected": 0, "refused": 0, "resent": 2}
    assert store.commits[-1][1:] == ({"c3": scan_record("A-2", "accepted", None)},
                                     {"A-2": found_record("c3")})


def test_a_batch_only_of_resent_scans_commits_nothing(store: MemoryStore) -> None:
    service, _ = counting(store)
    service.record_scans(ALICE, {"session_id": "s1", "scans": [scan("A-1", "c1")]})
    reply = service.record_scans(ALICE, {"session_id": "s1", "scans": [scan("A-1", "c1")]})
    assert reply["resent"] == 1 and len(store.commits) == 1


def test_a_client_scan_id_reused_for_another_unit_is_refused(store: MemoryStore) -> None:
    service, _ = counting(store)
    service.record_scans(ALICE, {"session_id": "s1", "scans": [scan("A-1", "c1")]})
    with pytest.raises(InvalidInput) as err:
        service.record_scans(ALICE, {"session_id": "s1", "scans": [
            scan("A-2", "c2"), scan("A-2", "c1")]})
    assert_msg(err.value, "stocktake.scans.reused_id", client_scan_id="'c1'",
               earlier="'A-1'", qr_id="'A-2'")
    assert len(store.commits) == 1


def test_a_scan_after_a_reused_one_in_the_same_batch_is_still_planned(
        store: MemoryStore) -> None:
    service, _ = counting(store)
    reply = service.record_scans(ALICE, {"session_id": "s1", "scans": [
        scan("A-1", "c1"), scan("A-1", "c1"), scan("A-2", "c2")]})
    assert [r["result"] for r in reply["results"]] == ["accepted", "accepted", "accepted"]
    assert [r["resent"] for r in reply["results"]] == [False, True, False]
    assert set(store.commits[0][2]) == {"A-1", "A-2"}


# -- the loop around the commits -----------------------------------------------------------

class FakeTime:
    def __init__(self) -> None:
        self.now = 100.0

    def monotonic(self) -> float:
        return self.now


class Uniform:
    def __init__(self) -> None:
        self.bounds: list[tuple[float, float]] = []

    def uniform(self, low: float, high: float) -> float:
        self.bounds.append((low, high))
        return high


def test_a_conflicting_commit_is_retried_with_a_growing_pause(
        store: MemoryStore, monkeypatch: pytest.MonkeyPatch) -> None:
    rand = Uniform()
    monkeypatch.setattr(sessions_module, "random", rand)
    store.fail_commits = 7
    service, slept = counting(store)
    reply = service.record_scans(ALICE, {"session_id": "s1", "scans": [scan("A-1", "c1")]})
    assert reply["accepted"] == 1
    assert rand.bounds == [(0, 0.02), (0, 0.04), (0, 0.08), (0, 0.16), (0, 0.32), (0, 0.5),
                           (0, 0.5)]
    assert slept == [0.02, 0.04, 0.08, 0.16, 0.32, 0.5, 0.5]
    assert len(store.views) == 8 and {v[0] for v in store.views} == {"s1"}


def test_conflicts_past_the_budget_give_up_saying_how_many_were_taken(
        monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeTime()
    monkeypatch.setattr(sessions_module, "time", clock)
    store = MemoryStore()
    qr_ids = {f"A-{n}": "A" for n in range(300)}
    store.open_session(units=qr_ids)
    service, slept = counting(store, scan_budget_s=2.0)
    calls = 0

    def commit(*args: Any) -> bool:
        nonlocal calls
        calls += 1
        clock.now += 1.0
        return calls == 1  # the first commit of 250 lands, every later one conflicts

    monkeypatch.setattr(store, "commit_scans", commit)
    with pytest.raises(Unavailable) as err:
        service.record_scans(ALICE, {"session_id": "s1", "scans": [
            scan(q, f"c{n}") for n, q in enumerate(qr_ids)]})
    assert_msg(err.value, "stocktake.scans.contention", taken=250)
    # The second commit conflicts at 102 s, exactly the deadline (100 + 2 s): no retry.
    assert calls == 2 and slept == []


def test_each_later_commit_of_a_batch_checks_the_session_again(store: MemoryStore) -> None:
    qr_ids = {f"A-{n}": "A" for n in range(600)}
    store.open_session("s2", units=qr_ids)
    service, _ = counting(store)
    looked: list[str] = []
    get = store.get_session

    def get_session(sid: str) -> Session | None:
        looked.append(sid)
        return get(sid)

    store.get_session = get_session  # type: ignore[method-assign]
    reply = service.record_scans(ALICE, {"session_id": "s2", "scans": [
        scan(q, f"c{n}") for n, q in enumerate(qr_ids)]})
    assert reply["accepted"] == 600
    assert looked == ["s2", "s2", "s2"]  # before the read, then before commits 2 and 3
    assert [len(c[1]) for c in store.commits] == [250, 250, 100]
    assert {c[0] for c in store.commits} == {"s2"}


@pytest.mark.parametrize(("state", "word"), [("finishing", "stocktake.state.finishing"),
                                             ("finished", "stocktake.state.finished"),
                                             ("cancelled", "stocktake.state.cancelled")])
def test_a_scan_into_a_closed_session_is_refused_naming_its_state(
        store: MemoryStore, state: str, word: str) -> None:
    store.sessions["s1"]["state"] = state
    service, _ = counting(store)
    reply = service.record_scans(ALICE, {"session_id": "s1", "scans": [scan("A-1", "c1")]})
    (refused,) = reply["results"]
    message = refused.pop("message")
    assert refused == {"client_scan_id": "c1", "qr_id": "A-1", "result": "refused",
                       "reason": f"session_{state}", "resent": False, "undone": False}
    assert (message.code, message.params) == ("stocktake.session.closed",
                                              {"state": Msg(word)})
    assert message.params["state"].code == word
    assert (reply["refused"], reply["accepted"]) == (1, 0)
    assert store.commits == [] and store.scans["s1"] == {}


def test_a_scan_into_no_session_is_not_found(store: MemoryStore) -> None:
    service, _ = counting(store)
    with pytest.raises(NotFound) as err:
        service.record_scans(ALICE, {"session_id": "nope", "scans": [scan("A-1", "c1")]})
    assert_msg(err.value, "stocktake.session.not_found", session_id="'nope'")


def test_only_staff_scan(store: MemoryStore) -> None:
    service, _ = counting(store)
    with pytest.raises(PermissionDenied):
        service.record_scans(GUEST, {"session_id": "s1", "scans": [scan("A-1", "c1")]})
    with pytest.raises(Unauthenticated):
        service.record_scans(None, {"session_id": "s1", "scans": [scan("A-1", "c1")]})


# -- the scans' input ---------------------------------------------------------------------------

def refusal(store: MemoryStore, data: Any) -> DomainError:
    service, _ = counting(store)
    with pytest.raises(InvalidInput) as err:
        service.record_scans(ALICE, data)
    return err.value


@pytest.mark.parametrize("scans", [None, "A-1", [], {}])
def test_scans_must_be_a_list_of_some(store: MemoryStore, scans: Any) -> None:
    assert_msg(refusal(store, {"session_id": "s1", "scans": scans}),
               "stocktake.scans.not_list")


def test_a_batch_holds_at_most_1000_scans(store: MemoryStore) -> None:
    store.open_session("s3", units={f"A-{n}": "A" for n in range(1000)})
    too_many = [scan(f"A-{n}", f"c{n}") for n in range(1001)]
    assert_msg(refusal(store, {"session_id": "s3", "scans": too_many}),
               "stocktake.scans.too_many", max_scans=1000, count=1001)
    service, _ = counting(store)
    assert service.record_scans(ALICE, {"session_id": "s3",
                                        "scans": too_many[:1000]})["accepted"] == 1000


def test_each_scan_is_checked_and_named_by_its_place(store: MemoryStore) -> None:
    ok = scan("A-1", "c0")
    assert_msg(refusal(store, {"session_id": "s1", "scans": [ok, "A-2"]}),
               "stocktake.scans.not_object", where="scans[1]")
    assert_msg(refusal(store, {"session_id": "s1", "scans": [ok, {"client_scan_id": "c1"}]}),
               "stocktake.scans.qr_id_not_text", where="scans[1]")
    bad = refusal(store, {"session_id": "s1", "scans": [ok, scan("A 1", "c1")]})
    assert bad.message.code == "stocktake.scans.bad_qr_id"
    assert bad.message.params["where"] == "scans[1]"
    assert bad.message.params["reason"].code == "qr.qr_id.bad_character"
    for cid in (None, "", "c 1", "x" * 129, 7):
        assert_msg(refusal(store, {"session_id": "s1", "scans": [ok, scan("A-2", cid)]}),
                   "stocktake.scans.client_scan_id", where="scans[1]")


def test_a_qr_id_is_trimmed_and_a_client_scan_id_may_be_128_characters(
        store: MemoryStore) -> None:
    service, _ = counting(store)
    cid = "a_b.c:d-" + "x" * 120
    reply = service.record_scans(ALICE, {"session_id": "s1", "scans": [scan("  A-1 ", cid)]})
    assert reply["results"] == [result(cid, "A-1", "accepted")]


@pytest.mark.parametrize(("given", "expected"), [
    (None, None),
    (1_764_579_600_000, datetime(2025, 12, 1, 9, 0, tzinfo=UTC)),
    (1_764_579_600_500.0, datetime(2025, 12, 1, 9, 0, 0, 500_000, tzinfo=UTC)),
    ("2026-12-01T08:59:00Z", datetime(2026, 12, 1, 8, 59, tzinfo=UTC)),
    ("2026-12-01T11:59:00+03:00", datetime(2026, 12, 1, 8, 59, tzinfo=UTC)),
])
def test_the_phones_time_of_a_scan(store: MemoryStore, given: Any, expected: Any,
                                   server_in_tokyo: None) -> None:
    service, _ = counting(store)
    service.record_scans(ALICE, {"session_id": "s1", "scans": [scan("A-1", "c1", given)]})
    stored = store.scans["s1"]["c1"]["scannedAt"]
    assert stored == expected
    if expected is not None:
        assert stored.utcoffset() == timedelta(0)
        assert stored.tzinfo == UTC


@pytest.mark.parametrize("given", [True, "2026-12-01T08:59:00", "yesterday", 10 ** 20, [1]])
def test_a_time_that_is_not_one_is_refused(store: MemoryStore, given: Any) -> None:
    assert_msg(refusal(store, {"session_id": "s1", "scans": [scan("A-1", "c0"),
                                                             scan("A-2", "c1", given)]}),
               "stocktake.scans.scanned_at", where="scans[1]")


@pytest.mark.parametrize("data", [None, [], {"session_id": None}, {"session_id": ""},
                                  {"session_id": "s-1"}, {"session_id": "x" * 65}])
def test_a_session_id_is_up_to_64_letters_and_digits(store: MemoryStore, data: Any) -> None:
    assert_msg(refusal(store, data), "stocktake.session_id")


def test_a_session_id_of_64_characters_is_taken(store: MemoryStore) -> None:
    sid = "S" * 64
    store.open_session(sid, units={"A-1": "A"})
    service, _ = counting(store)
    assert service.record_scans(ALICE, {"session_id": sid, "scans": [scan("A-1", "c")]})[
        "accepted"] == 1


# -- undo ------------------------------------------------------------------------------------------

def test_undoing_an_accepted_scan_makes_its_unit_missing_again(store: MemoryStore) -> None:
    service, _ = counting(store, Clock(NOW, LATER))
    service.record_scans(ALICE, {"session_id": "s1", "scans": [scan("A-1", "c1")]})
    reply = service.undo_scan(BOB, {"session_id": "s1", "client_scan_id": "c1"})
    assert reply == {"client_scan_id": "c1", "undone": True, "changed": True, "qr_id": "A-1"}
    assert store.views[-2:] == [("s1", ["c1"], []), ("s1", ["c1"], ["A-1"])]
    assert store.commits[-1] == ("s1", {"c1": {"undone": True, "undoneBy": "bob",
                                               "undoneAt": LATER}},
                                 {"A-1": {"found": False, "scan": None, "foundBy": None,
                                          "foundAt": None, "scannedAt": None}})
    # Committed on condition that the unit read with the scan has not changed meanwhile.
    assert set(store.commit_views[-1].units) == {"A-1"}
    again = service.undo_scan(BOB, {"session_id": "s1", "client_scan_id": "c1"})
    assert again == {"client_scan_id": "c1", "undone": True, "changed": False}
    assert len(store.commits) == 2


def test_undoing_an_unexpected_scan_removes_its_unit(store: MemoryStore) -> None:
    service, _ = counting(store)
    service.record_scans(ALICE, {"session_id": "s1", "scans": [scan("Z-1", "c1")]})
    service.undo_scan(ALICE, {"session_id": "s1", "client_scan_id": "c1"})
    assert store.commits[-1][2] == {"Z-1": None}
    assert "Z-1" not in store.units["s1"]


def test_undoing_a_duplicate_leaves_the_unit_to_the_scan_that_found_it(
        store: MemoryStore) -> None:
    service, _ = counting(store)
    service.record_scans(ALICE, {"session_id": "s1", "scans": [scan("A-1", "c1"),
                                                               scan("A-1", "c2")]})
    reply = service.undo_scan(ALICE, {"session_id": "s1", "client_scan_id": "c2"})
    assert reply["changed"] is True
    assert store.commits[-1][2] == {}
    assert store.units["s1"]["A-1"]["found"] is True


def test_undoing_a_scan_whose_unit_is_gone_changes_no_unit(store: MemoryStore) -> None:
    service, _ = counting(store)
    service.record_scans(ALICE, {"session_id": "s1", "scans": [scan("A-1", "c1")]})
    del store.units["s1"]["A-1"]
    service.undo_scan(ALICE, {"session_id": "s1", "client_scan_id": "c1"})
    assert store.commits[-1][2] == {}


def test_undoing_an_unknown_scan_or_a_bad_id_is_refused(store: MemoryStore) -> None:
    service, _ = counting(store)
    with pytest.raises(NotFound) as err:
        service.undo_scan(ALICE, {"session_id": "s1", "client_scan_id": "c9"})
    assert_msg(err.value, "stocktake.undo.no_scan", client_scan_id="'c9'")
    with pytest.raises(InvalidInput) as bad:
        service.undo_scan(ALICE, {"session_id": "s1", "client_scan_id": "c 9"})
    assert_msg(bad.value, "stocktake.scans.client_scan_id", where="client_scan_id")
    with pytest.raises(PermissionDenied):
        service.undo_scan(GUEST, {"session_id": "s1", "client_scan_id": "c9"})
    store.sessions["s1"]["state"] = "finished"
    with pytest.raises(FailedPrecondition):
        service.undo_scan(ALICE, {"session_id": "s1", "client_scan_id": "c9"})


def test_an_undo_that_conflicts_is_retried_then_given_up(
        store: MemoryStore, monkeypatch: pytest.MonkeyPatch) -> None:
    rand = Uniform()
    monkeypatch.setattr(sessions_module, "random", rand)
    service, slept = counting(store)
    service.record_scans(ALICE, {"session_id": "s1", "scans": [scan("A-1", "c1")]})
    store.fail_commits = 7
    assert service.undo_scan(ALICE, {"session_id": "s1", "client_scan_id": "c1"})["changed"]
    assert slept == [0.02, 0.04, 0.08, 0.16, 0.32, 0.5, 0.5]
    assert rand.bounds == [(0, b) for b in slept]

    clock = FakeTime()
    monkeypatch.setattr(sessions_module, "time", clock)
    service.record_scans(ALICE, {"session_id": "s1", "scans": [scan("A-2", "c2")]})
    commits = 0

    def commit(*args: Any) -> bool:
        nonlocal commits
        commits += 1
        clock.now += 5.0
        return False

    monkeypatch.setattr(store, "commit_scans", commit)
    with pytest.raises(Unavailable) as err:
        service.undo_scan(ALICE, {"session_id": "s1", "client_scan_id": "c2"})
    assert_msg(err.value, "stocktake.undo.contention")
    assert commits == 2  # 105 is before the deadline (110), 110 is not


# -- start -----------------------------------------------------------------------------------------

def test_starting_a_session_freezes_the_units_to_count() -> None:
    store = MemoryStore()
    store.catalog = {"A": ["A-1", "A-2"], "B": ["B-1"]}
    service, _ = counting(store)
    reply = service.start(ALICE, {"name": "  Raf A  ", "note": "sol duvar"})
    assert reply == {"session_id": "new1", "expected": 3, "parts": 2,
                     "part_codes_without_units": []}
    assert store.asked == [None]
    assert store.created == [({"name": "Raf A", "note": "sol duvar", "partCodes": None,
                               "state": "open", "startedBy": "alice", "startedAt": NOW,
                               "expectedCount": 3, "expectedParts": 2, "gates": GATES,
                               "expectedByPart": {"A": 2, "B": 1},
                               "partNames": {}},
                              {"A": ["A-1", "A-2"], "B": ["B-1"]})]


def test_a_session_of_some_parts_names_the_codes_with_nothing_to_count() -> None:
    store = MemoryStore()
    store.catalog = {"A": ["A-1"], "B": []}
    service, _ = counting(store)
    reply = service.start(ALICE, {"name": "x", "part_codes": ["A", "Z", "B", "A", "Y"]})
    assert store.asked == [("A", "Z", "B", "Y")]
    assert reply == {"session_id": "new1", "expected": 1, "parts": 2,
                     "part_codes_without_units": ["Y", "Z"]}
    assert store.created[0][0]["partCodes"] == ["A", "Z", "B", "Y"]


def test_a_session_with_no_unit_at_all_of_unknown_codes_is_not_started() -> None:
    store = MemoryStore()
    store.catalog = {"B": []}
    service, _ = counting(store)
    codes = [f"X{n:02d}" for n in range(12)]
    with pytest.raises(NotFound) as err:
        service.start(ALICE, {"name": "x", "part_codes": [*codes, "B"]})
    assert_msg(err.value, "stocktake.start.no_units", codes=", ".join(codes[:10]))
    assert store.created == []
    # Known codes with nothing to count and no unknown one: an empty session, as asked.
    assert service.start(ALICE, {"name": "x", "part_codes": ["B"]})["expected"] == 0


@pytest.mark.parametrize(("data", "code"), [
    (None, "stocktake.start.body"),
    ({}, "stocktake.start.name"),
    ({"name": 5}, "stocktake.start.name"),
    ({"name": "   "}, "stocktake.start.name"),
    ({"name": "x" * 101}, "stocktake.start.name"),
    ({"name": "x", "note": 5}, "stocktake.start.note"),
    ({"name": "x", "note": "n" * 501}, "stocktake.start.note"),
])
def test_a_start_with_bad_input_is_refused(data: Any, code: str) -> None:
    service, _ = counting(MemoryStore())
    with pytest.raises(InvalidInput) as err:
        service.start(ALICE, data)
    assert_msg(err.value, code)


@pytest.mark.parametrize("codes", ["A", [], [f"P{n}" for n in range(1001)]])
def test_part_codes_are_a_list_of_1_to_1000(codes: Any) -> None:
    service, _ = counting(MemoryStore())
    with pytest.raises(InvalidInput) as err:
        service.start(ALICE, {"name": "x", "part_codes": codes})
    assert_msg(err.value, "stocktake.start.part_codes", max_codes=1000)


def test_the_longest_name_note_and_code_list_are_taken() -> None:
    store = MemoryStore()
    store.catalog = {"P0": ["P0-1"]}
    service, _ = counting(store)
    codes = [f"P{n}" for n in range(1000)]
    reply = service.start(ALICE, {"name": "x" * 100, "note": "n" * 500, "part_codes": codes})
    assert reply["expected"] == 1 and len(reply["part_codes_without_units"]) == 999
    assert store.created[0][0]["note"] == "n" * 500


def test_only_staff_start_a_session() -> None:
    service, _ = counting(MemoryStore())
    with pytest.raises(PermissionDenied):
        service.start(GUEST, {"name": "x"})


# -- finish, cancel ----------------------------------------------------------------------------

def test_finishing_waits_then_saves_the_count(store: MemoryStore) -> None:
    service, slept = counting(store, Clock(NOW, NOW, LATER), finish_grace_s=2.5)
    service.record_scans(ALICE, {"session_id": "s1", "scans": [scan("A-1", "c1")]})
    reply = service.finish(ALICE, {"session_id": "s1"})
    assert store.states == [("s1", ("open", "finishing"),
                             {"state": "finishing", "finishingAt": NOW, "finishingBy": "alice"})]
    assert slept == [2.5]
    totals = {"expected": 3, "found": 1, "missing": 2, "unexpected": 0}
    ((sid, fields, parts),) = store.saved
    assert (sid, fields) == ("s1", {"state": "finished", "finishedAt": LATER,
                                    "finishedBy": "alice", "totals": totals, "partCounts": {
        "A": {"expected": 2, "found": 1, "missing": 1, "unexpected": 0},
        "B": {"expected": 1, "found": 0, "missing": 1, "unexpected": 0}}})
    assert sorted(parts) == ["A", "B"] and parts["A"]["found"] == 1
    assert reply == {"session_id": "s1", "state": "finished", "totals": totals,
                     "parts": [parts["A"], parts["B"]]}


def test_finishing_waits_three_seconds_by_default(store: MemoryStore) -> None:
    slept: list[float] = []
    CountSessions(store, Clock(NOW), sleep=slept.append).finish(  # type: ignore[arg-type]
        ALICE, {"session_id": "s1"})
    assert slept == [3.0]


def test_a_session_with_gates_finishes_by_closing_them_without_waiting(
        store: MemoryStore) -> None:
    store.open_session("g1", units={"A-1": "A", "B-1": "B"}, gates=GATES)
    service, slept = counting(store)
    service.record_scans(ALICE, {"session_id": "g1", "scans": [scan("A-1", "c1")]})
    (view,) = store.commit_views
    assert view.gate is not None and 0 <= view.gate < GATES
    assert service.finish(ALICE, {"session_id": "g1"})["totals"]["found"] == 1
    assert slept == [] and store.closed == [("g1", GATES)]
    assert store.states[0][2]["state"] == "finishing"  # no new batch starts meanwhile


def test_commits_spread_over_every_gate(store: MemoryStore) -> None:
    store.open_session("g1", units={f"A-{n}": "A" for n in range(400)}, gates=GATES)
    service, _ = counting(store)
    for n in range(400):
        service.record_scans(ALICE, {"session_id": "g1", "scans": [scan(f"A-{n}", f"c{n}")]})
    assert {view.gate for view in store.commit_views} == set(range(GATES))


def test_an_undo_goes_through_a_gate_and_is_refused_once_they_are_closed(
        store: MemoryStore) -> None:
    store.open_session("g1", units={"A-1": "A"}, gates=GATES)
    service, _ = counting(store)
    service.record_scans(ALICE, {"session_id": "g1", "scans": [scan("A-1", "c1")]})
    store.gates["g1"].clear()  # as a finish does, between the undo's read and its commit
    store.fail_commits = 0
    original = store.get_session
    calls = {"n": 0}

    def open_then_finishing(session_id: str) -> Any:
        calls["n"] += 1
        if calls["n"] > 1:
            store.sessions["g1"]["state"] = "finishing"
        return original(session_id)

    store.get_session = open_then_finishing  # type: ignore[method-assign]
    with pytest.raises(FailedPrecondition) as err:
        service.undo_scan(ALICE, {"session_id": "g1", "client_scan_id": "c1"})
    assert err.value.message.code == "stocktake.session.closed"
    assert store.units["g1"]["A-1"]["found"] is True  # the undo did not land
    assert store.commit_views[-1].gate is not None


def test_a_refused_batch_answers_what_an_earlier_send_recorded(store: MemoryStore) -> None:
    service, _ = counting(store)
    service.record_scans(ALICE, {"session_id": "s1", "scans": [scan("A-1", "c1")]})
    store.sessions["s1"]["state"] = "finished"
    reply = service.record_scans(ALICE, {"session_id": "s1", "scans": [
        scan("A-1", "c1"), scan("A-2", "c2")]})
    first, second = reply["results"]
    assert (first["result"], first["resent"]) == ("accepted", True)
    assert (second["result"], second["reason"]) == ("refused", "session_finished")
    assert (reply["accepted"], reply["refused"], reply["resent"]) == (0, 1, 1)
    with pytest.raises(InvalidInput) as err:  # an id reused for another unit, as ever
        service.record_scans(ALICE, {"session_id": "s1", "scans": [scan("A-2", "c1")]})
    assert err.value.message.code == "stocktake.scans.reused_id"


def test_an_admin_may_finish_anothers_session_a_staff_member_may_not(
        store: MemoryStore) -> None:
    service, _ = counting(store)
    with pytest.raises(PermissionDenied) as err:
        service.finish(BOB, {"session_id": "s1"})
    assert_msg(err.value, "stocktake.session.not_owner")
    assert store.states == []
    assert service.finish(ADMIN, {"session_id": "s1"})["state"] == "finished"
    assert store.states[0][2]["finishingBy"] == "root"


@pytest.mark.parametrize("state", ["finished", "cancelled"])
def test_a_closed_session_is_not_finished_again(store: MemoryStore, state: str) -> None:
    store.sessions["s1"]["state"] = state
    service, _ = counting(store)
    with pytest.raises(FailedPrecondition) as err:
        service.finish(ALICE, {"session_id": "s1"})
    assert_msg(err.value, "stocktake.finish.already", state=Msg(f"stocktake.state.{state}"))
    assert err.value.message.params["state"].code == f"stocktake.state.{state}"
    assert store.states == []


def test_a_finish_already_under_way_is_taken_up_again(store: MemoryStore) -> None:
    store.sessions["s1"]["state"] = "finishing"
    service, _ = counting(store)
    assert service.finish(ALICE, {"session_id": "s1"})["state"] == "finished"


def test_a_session_that_changed_meanwhile_is_not_finished(store: MemoryStore) -> None:
    service, _ = counting(store)
    store.set_state = lambda *a: False  # type: ignore[method-assign, assignment]
    with pytest.raises(FailedPrecondition) as err:
        service.finish(ALICE, {"session_id": "s1"})
    assert_msg(err.value, "stocktake.finish.changed")
    assert store.saved == []


def test_finishing_or_cancelling_no_session_is_not_found(store: MemoryStore) -> None:
    service, _ = counting(store)
    for act in (service.finish, service.cancel):
        with pytest.raises(NotFound) as err:
            act(ALICE, {"session_id": "gone"})
        assert_msg(err.value, "stocktake.session.not_found", session_id="'gone'")


def test_cancelling_an_open_session(store: MemoryStore) -> None:
    service, _ = counting(store)
    assert service.cancel(ALICE, {"session_id": "s1"}) == {"session_id": "s1",
                                                           "state": "cancelled"}
    assert store.states == [("s1", ("open",), {"state": "cancelled", "cancelledAt": NOW,
                                               "cancelledBy": "alice"})]
    with pytest.raises(FailedPrecondition) as err:
        service.cancel(ALICE, {"session_id": "s1"})
    assert_msg(err.value, "stocktake.cancel.not_open", state=Msg("stocktake.state.cancelled"))
    with pytest.raises(PermissionDenied):
        service.cancel(BOB, {"session_id": "s1"})


def test_a_state_without_a_word_is_named_as_it_is(store: MemoryStore) -> None:
    store.sessions["s1"]["state"] = "archived"
    service, _ = counting(store)
    with pytest.raises(FailedPrecondition) as err:
        service.cancel(ALICE, {"session_id": "s1"})
    assert_msg(err.value, "stocktake.cancel.not_open", state="archived")


# -- the report ------------------------------------------------------------------------------------

def test_the_report_lists_every_unit_by_part(store: MemoryStore) -> None:
    store.names = {"A": "Vida", "B": "Somun"}
    service, _ = counting(store)
    service.record_scans(BOB, {"session_id": "s1", "scans": [
        scan("A-2", "c1", "2026-12-01T08:59:00Z"), scan("Z-1", "c2"), scan("C-1", "c3")]})
    report = service.report(ALICE, "s1")
    assert store.names_asked == [["A", "B", "C"]]
    assert report["session_id"] == "s1" and report["name"] == "Raf A"
    assert (report["state"], report["started_by"], report["started_at"]) == (
        "open", "alice", NOW)
    assert report["totals"] == {"expected": 3, "found": 1, "missing": 2, "unexpected": 2}
    unknown, a, b, c = report["parts"]  # "(" sorts before the letters
    assert a == {
        "part_code": "A", "part_name": "Vida", "expected": 2, "found": 1, "missing": 1,
        "missing_qr_ids": ["A-1"], "unexpected": 0, "unexpected_units": [],
        "units": [
            {"qr_id": "A-1", "status": "missing", "reason": None, "found_by": None,
             "found_at": None},
            {"qr_id": "A-2", "status": "found", "reason": None, "found_by": "bob",
             "found_at": NOW}]}
    assert (b["part_name"], b["missing_qr_ids"]) == ("Somun", ["B-1"])
    assert c == {"part_code": "C", "part_name": "", "expected": 0, "found": 0, "missing": 0,
                 "missing_qr_ids": [], "unexpected": 1,
                 "unexpected_units": [{"qr_id": "C-1", "reason": "out_of_scope"}],
                 "units": [{"qr_id": "C-1", "status": "unexpected", "reason": "out_of_scope",
                            "found_by": "bob", "found_at": NOW}]}
    assert unknown["part_code"] == "(unknown)" and unknown["part_name"] == ""
    assert unknown["unexpected_units"] == [{"qr_id": "Z-1", "reason": "unknown"}]


def test_the_units_of_a_part_come_in_qr_id_order() -> None:
    store = MemoryStore()
    store.open_session(units={"A-3": "A", "A-1": "A", "A-2": "A"})
    for q in ("X-2", "X-1"):
        store.units["s1"][q] = {"partCode": "A", "expected": False, "found": True,
                                "reason": "used"}
    service, _ = counting(store)
    (part,) = service.report(ALICE, "s1")["parts"]
    assert [u["qr_id"] for u in part["units"]] == ["A-1", "A-2", "A-3", "X-1", "X-2"]
    assert part["missing_qr_ids"] == ["A-1", "A-2", "A-3"]
    assert [u["qr_id"] for u in part["unexpected_units"]] == ["X-1", "X-2"]


def test_a_report_of_no_session_is_not_found(store: MemoryStore) -> None:
    service, _ = counting(store)
    with pytest.raises(NotFound) as err:
        service.report(ALICE, "gone")
    assert_msg(err.value, "stocktake.session.not_found", session_id="'gone'")
    with pytest.raises(InvalidInput):
        service.report(ALICE, None)
    with pytest.raises(PermissionDenied):
        service.report(GUEST, "s1")


def test_the_csv_report_is_one_safe_row_per_unit(store: MemoryStore) -> None:
    store.names = {"A": "=Vida"}
    store.units["s1"] = {"A-1": {"partCode": "A", "expected": True, "found": False},
                         "A-2": {"partCode": "A", "expected": True, "found": True,
                                 "foundBy": "bob", "foundAt": NOW},
                         "Z-1": {"partCode": None, "expected": False, "found": True,
                                 "reason": "unknown", "foundBy": "bob", "foundAt": "yesterday"}}
    service, _ = counting(store)
    text = service.report_csv(ALICE, "s1")
    assert text.startswith("\ufeffpart_code,")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows == [
        ["part_code", "part_name", "qr_id", "status", "reason", "found_by", "found_at"],
        ["(unknown)", "", "Z-1", "unexpected", "unknown", "bob", ""],
        ["A", "'=Vida", "A-1", "missing", "", "", ""],
        ["A", "'=Vida", "A-2", "found", "", "bob", "2026-12-01T09:00:00+00:00"],
    ]


@pytest.mark.parametrize(("given", "expected"), [(None, "json"), ("", "json"),
                                                 ("json", "json"), ("csv", "csv")])
def test_the_report_format(given: Any, expected: str) -> None:
    assert report_format(given) == expected


@pytest.mark.parametrize("given", ["xlsx", "CSV", 1])
def test_another_report_format_is_refused(given: Any) -> None:
    with pytest.raises(InvalidInput) as err:
        report_format(given)
    assert_msg(err.value, "stocktake.report.format")


# -- live counts -------------------------------------------------------------------------------

def live_counts(reply: dict[str, Any]) -> tuple[Any, Any]:
    return reply["totals"], reply["parts"]


def report_counts(report: dict[str, Any]) -> tuple[Any, Any]:
    return report["totals"], [{k: p[k] for k in ("part_code", "part_name", "expected", "found",
                                                  "missing", "unexpected")}
                              for p in report["parts"]]


def test_live_counts_come_from_the_gates_and_agree_with_the_report_through_scans_and_undos(
        ) -> None:
    store = MemoryStore()
    store.catalog = {"A": [f"A-{n}" for n in range(6)], "B": ["B-1", "B-2"]}
    store.names = {"A": "Vida", "B": "Somun"}
    for code, qr_ids in store.catalog.items():
        for q in qr_ids:
            store.labels[q] = LabelInfo(code, False)
    store.labels["C-1"] = LabelInfo("C", False)
    service, _ = counting(store)
    sid = service.start(ALICE, {"name": "Raf"})["session_id"]
    rng = random.Random(3)
    ids = [*store.catalog["A"], *store.catalog["B"], "C-1", "LOST-1", "LOST-2"]
    sent: list[str] = []
    for n in range(60):
        if sent and rng.random() < 0.25:
            service.undo_scan(ALICE, {"session_id": sid, "client_scan_id": rng.choice(sent)})
        else:
            cid = f"c{n}"
            service.record_scans(ALICE, {"session_id": sid, "scans": [
                scan(rng.choice(ids), cid)]})
            sent.append(cid)
        live = service.live(ALICE, {"session_id": sid})
        assert live_counts(live) == report_counts(service.report(ALICE, sid))
    names = {p["part_code"]: p["part_name"] for p in live["parts"]}
    assert (names["A"], names["B"]) == ("Vida", "Somun")
    assert live["totals"]["found"] > 0 and live["totals"]["unexpected"] > 0


def test_a_finished_session_answers_its_final_counts_without_reading_gates() -> None:
    store = MemoryStore()
    store.catalog = {"A": ["A-1", "A-2"]}
    store.labels["A-1"] = LabelInfo("A", False)
    service, _ = counting(store)
    sid = service.start(ALICE, {"name": "Raf"})["session_id"]
    service.record_scans(ALICE, {"session_id": sid, "scans": [scan("A-1", "c1")]})
    done = service.finish(ALICE, {"session_id": sid})
    store.gate_tallies = None  # type: ignore[assignment, method-assign]
    live = service.live(ALICE, {"session_id": sid})
    assert live["state"] == "finished" and live["totals"] == done["totals"]
    assert live["parts"] == [{"part_code": "A", "part_name": "", "expected": 2, "found": 1,
                              "missing": 1, "unexpected": 0}]


@pytest.mark.parametrize("state", ["finishing", "cancelled"])
def test_a_session_closing_or_cancelled_has_no_live_counts(state: str) -> None:
    store = MemoryStore()
    store.catalog = {"A": ["A-1"]}
    service, _ = counting(store)
    sid = service.start(ALICE, {"name": "Raf"})["session_id"]
    store.sessions[sid]["state"] = state
    live = service.live(ALICE, {"session_id": sid})
    assert (live["state"], live["totals"], live["parts"]) == (state, None, [])


def test_a_session_from_before_the_gates_is_counted_from_its_units(store: MemoryStore) -> None:
    service, _ = counting(store)
    service.record_scans(ALICE, {"session_id": "s1", "scans": [scan("A-1", "c1")]})
    live = service.live(ALICE, {"session_id": "s1"})
    assert live_counts(live) == report_counts(service.report(ALICE, "s1"))


def test_recent_scans_follow_the_cursor() -> None:
    store = MemoryStore()
    store.catalog = {"A": ["A-1", "A-2", "A-3"]}
    clock = Clock(NOW)
    service, _ = counting(store, clock)
    sid = service.start(ALICE, {"name": "Raf"})["session_id"]
    service.record_scans(ALICE, {"session_id": sid, "scans": [scan("A-1", "c1")]})
    first = service.live(ALICE, {"session_id": sid})
    assert [r["client_scan_id"] for r in first["recent"]] == ["c1"]
    assert first["recent"][0] == {"client_scan_id": "c1", "qr_id": "A-1",
                                  "result": "accepted", "reason": None, "by": "alice",
                                  "received_at": NOW.isoformat()}
    assert first["cursor"] == NOW.isoformat()
    clock.times = [LATER]
    service.record_scans(BOB, {"session_id": sid, "scans": [scan("A-2", "c2")]})
    second = service.live(ALICE, {"session_id": sid, "since": first["cursor"]})
    assert [r["client_scan_id"] for r in second["recent"]] == ["c2"]
    assert second["cursor"] == LATER.isoformat()
    quiet = service.live(ALICE, {"session_id": sid, "since": second["cursor"]})
    assert (quiet["recent"], quiet["cursor"]) == ([], LATER.isoformat())
    assert store.recent_asked[-1] == (sid, LATER, 20)


@pytest.mark.parametrize("since", ["yesterday", "2026-12-01T09:00:00", 17, True, {},
                                   "0001-01-01T00:00:00+14:00"])
def test_a_bad_since_is_refused(store: MemoryStore, since: Any) -> None:
    service, _ = counting(store)
    with pytest.raises(InvalidInput) as err:
        service.live(ALICE, {"session_id": "s1", "since": since})
    assert_msg(err.value, "stocktake.live.since")


def test_live_counts_are_for_staff(store: MemoryStore) -> None:
    service, _ = counting(store)
    with pytest.raises(PermissionDenied):
        service.live(Caller("nobody"), {"session_id": "s1"})
    with pytest.raises(NotFound):
        service.live(ALICE, {"session_id": "nope"})


def test_a_refused_scans_message_names_the_state_and_an_unknown_session_its_id(
        store: MemoryStore) -> None:
    store.sessions["s1"]["state"] = "finishing"
    service, _ = counting(store)
    (refused,) = service.record_scans(ALICE, {"session_id": "s1", "scans": [
        scan("A-1", "c1")]})["results"]
    assert str(refused["message"]) == "The session is finishing: it takes no more scans."
    assert set(refused) == {"client_scan_id", "qr_id", "result", "reason", "resent",
                            "undone", "message"}
    with pytest.raises(NotFound) as err:
        service.live(ALICE, {"session_id": "nope"})
    assert_msg(err.value, "stocktake.session.not_found", session_id="'nope'")


def test_a_reused_id_sent_to_a_closed_session_names_both_units(store: MemoryStore) -> None:
    service, _ = counting(store)
    service.record_scans(ALICE, {"session_id": "s1", "scans": [scan("A-1", "c1")]})
    store.sessions["s1"]["state"] = "cancelled"
    with pytest.raises(InvalidInput) as err:
        service.record_scans(ALICE, {"session_id": "s1", "scans": [scan("A-2", "c1")]})
    assert_msg(err.value, "stocktake.scans.reused_id", client_scan_id="'c1'",
               earlier="'A-1'", qr_id="'A-2'")


def test_a_live_answer_names_its_session_and_takes_a_cursor_in_z_or_offset_form() -> None:
    store = MemoryStore()
    store.catalog = {"A": ["A-1"]}
    service, _ = counting(store, Clock(NOW))
    sid = service.start(ALICE, {"name": "Raf B"})["session_id"]
    live = service.live(ALICE, {"session_id": sid, "since": "2026-12-01T08:00:00Z"})
    assert (live["session_id"], live["name"], live["state"]) == (sid, "Raf B", "open")
    assert store.recent_asked[-1][1] == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    service.live(ALICE, {"session_id": sid, "since": "2026-12-01T11:00:00+03:00"})
    since = store.recent_asked[-1][1]
    assert since == datetime(2026, 12, 1, 8, 0, tzinfo=UTC) and since.tzinfo is UTC
