"""Count sessions: staff scan labels into a session and get found, missing and unexpected
units per part.

- A session's expected set (the units of its parts not marked used) is frozen when it
  starts: one record per unit, so a scan only touches its own unit's record and the
  session record never takes a write per scan, however many phones scan at once.
- A scan is idempotent per `client_scan_id`: a phone resending its offline queue gets the
  same answers and counts nothing twice. A unit scanned twice is counted once and the
  second scan is reported as a duplicate; an unknown id, a unit outside the scope and a
  unit marked used are recorded as unexpected, each with its reason.
- Finishing is final. Every commit of scans (and of an undo) also writes one of the
  session's gate records, picked at random, on condition that it still exists; finishing
  moves the session to "finishing", so no new batch starts, then removes every gate in
  one commit, then adds up the units. A commit either landed before the gates went (and
  is in the count) or fails (and its scans are answered refused): nothing lands after the
  count is taken, so the saved totals and the report agree forever. (A session started
  before there were gates waits out a grace instead.) The session is then read-only.
- A batch answers scan by scan, always: each scan accepted, duplicate, unexpected, or
  refused with the reason (the session finishing, finished or cancelled), so a batch
  that straddles finishing says which of its scans counted; resending it answers alike.
- The report comes as JSON or as a spreadsheet-safe CSV.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from errors import FailedPrecondition, InvalidInput, NotFound, PermissionDenied, Unavailable
from identity import Caller, require_staff
from messages import Msg
from qr import ids
from spreadsheet_safe import csv_chunks, safe_row
from stocktake.ports import CountStore, Scan, ScanView, Session, StoredScan, Tally, Unit

# A phone's offline queue arrives in batches of up to 1000 scans. A scan writes two records
# (the scan and its unit) and a Firestore commit takes 500 writes, so a batch is committed
# 250 scans at a time, in order; the scans of a commit that failed are read and planned
# again, those of the commits before it stay taken.
MAX_SCANS_PER_BATCH = 1000
SCANS_PER_COMMIT = 250
MAX_PART_CODES = 1000
# Gate records a session's commits spread over: a commit writes one, so the gates take few
# writes a second each however many phones scan (ten phones committing 250 scans at a
# time make about 16 commits a second in all).
GATES = 16
RECENT_SCANS = 20  # at most, in a live poll
_SESSION_ID = re.compile(r"[A-Za-z0-9]{1,64}")
_CLIENT_SCAN_ID = re.compile(r"[A-Za-z0-9_.:-]{1,128}")
UNKNOWN_PART = "(unknown)"
# A session's state as a person reads it in a message; the reply's "state" stays the token.
_STATE_WORDS = {
    "open": Msg("stocktake.state.open"),
    "finishing": Msg("stocktake.state.finishing"),
    "finished": Msg("stocktake.state.finished"),
    "cancelled": Msg("stocktake.state.cancelled"),
}


def _state_word(state: str) -> str:
    return _STATE_WORDS.get(state, state)


class CountSessions:
    def __init__(self, store: CountStore, clock: Callable[[], datetime], *,
                 finish_grace_s: float = 3.0, scan_budget_s: float = 10.0,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self._store = store
        self._clock = clock
        # Longer than a batch of scans takes from its read to its commit, so none that
        # saw the session open lands after the count is taken.
        self._finish_grace_s = finish_grace_s
        self._scan_budget_s = scan_budget_s
        self._sleep = sleep

    # -- start ------------------------------------------------------------------------------

    def start(self, caller: Caller | None, data: Any) -> dict[str, Any]:
        staff = require_staff(caller)
        name, note, part_codes = _start_input(data)
        expected = self._store.units_to_count(part_codes)
        unknown: list[str] = []
        if part_codes is not None:
            unknown = sorted(set(part_codes) - set(expected))
            if unknown and not any(expected.values()):
                raise NotFound(Msg("stocktake.start.no_units", codes=", ".join(unknown[:10])))
        now = self._clock()
        count = sum(len(v) for v in expected.values())
        session_id = self._store.create_session({
            "name": name, "note": note, "partCodes": list(part_codes) if part_codes else None,
            "state": "open", "startedBy": staff.uid, "startedAt": now,
            "expectedCount": count, "expectedParts": len(expected), "gates": GATES,
            # For the live counts: read with the session, never recounted.
            "expectedByPart": {code: len(units) for code, units in expected.items()},
            "partNames": self._store.part_names(sorted(expected))}, expected, GATES)
        # Codes with nothing to count are named, so a typo in a long list is seen at once.
        return {"session_id": session_id, "expected": count, "parts": len(expected),
                "part_codes_without_units": unknown}

    # -- scans ------------------------------------------------------------------------------

    def record_scans(self, caller: Caller | None, data: Any) -> dict[str, Any]:
        staff = require_staff(caller)
        session_id = _session_id(data)
        pending = _scans(data)
        deadline = time.monotonic() + self._scan_budget_s
        results: list[dict[str, Any]] = []
        attempt = 0
        while pending:
            session = self._session(session_id)
            if session.state != "open":
                results += self._refused(session, pending)
                break
            view = self._store.scan_view(session_id, [s.client_scan_id for s in pending],
                                         list({s.qr_id for s in pending}), _gate(session))
            steps = _plan_scans(view, pending, staff.uid, self._clock())
            taken = self._commit_steps(session, view, steps)
            results += [step.result for step in steps[:taken]]
            pending = pending[taken:]
            if not pending:
                break
            if time.monotonic() >= deadline:
                raise Unavailable(Msg("stocktake.scans.contention", taken=len(results)))
            self._sleep(random.uniform(0, min(0.5, 0.02 * 2 ** attempt)))
            attempt += 1
        return _scan_reply(results)

    def _commit_steps(self, session: Session, view: ScanView, steps: list[_Step]) -> int:
        """Commit the steps' writes in order, in commits Firestore takes; the number of steps
        committed before one of their records turned out changed since `view` was read, or
        the gate was gone."""
        done = 0
        while done < len(steps):
            chunk = steps[done:done + SCANS_PER_COMMIT]
            scans = {s.result["client_scan_id"]: s.scan_write for s in chunk
                     if s.scan_write is not None}
            units = {s.qr_id: s.unit_write for s in chunk if s.unit_write is not None}
            tally = _tally(s.tally for s in chunk if s.tally is not None)
            if scans:
                # A session without gates: a later commit checks the session is still open.
                if done and not session.gates \
                        and self._session(session.id).state != "open":
                    return done
                if not self._store.commit_scans(session.id, view, scans, units, tally):
                    return done
            done += len(chunk)
        return done

    def _refused(self, session: Session, scans: list[Scan]) -> list[dict[str, Any]]:
        """The answers of scans sent to a session that takes none: those already recorded
        (by an earlier send of the same batch) as they were, the others refused."""
        stored = self._store.scan_view(session.id, [s.client_scan_id for s in scans], []).scans
        reason = f"session_{session.state}"
        message = Msg("stocktake.session.closed", state=_state_word(session.state))
        answers = []
        for scan in scans:
            earlier = stored.get(scan.client_scan_id)
            if earlier is not None:
                _same_unit(earlier, scan)
                answers.append(_result(earlier, resent=True))
            else:
                answers.append({"client_scan_id": scan.client_scan_id, "qr_id": scan.qr_id,
                                "result": "refused", "reason": reason, "resent": False,
                                "undone": False, "message": message})
        return answers

    def undo_scan(self, caller: Caller | None, data: Any) -> dict[str, Any]:
        staff = require_staff(caller)
        session_id = _session_id(data)
        client_id = _client_scan_id(data.get("client_scan_id"), "client_scan_id")
        deadline = time.monotonic() + self._scan_budget_s
        for attempt in range(1_000_000):
            session = self._open_session(session_id)
            view = self._store.scan_view(session_id, [client_id], [])
            stored = view.scans.get(client_id)
            if stored is None:
                raise NotFound(Msg("stocktake.undo.no_scan", client_scan_id=repr(client_id)))
            if stored.undone:
                return {"client_scan_id": client_id, "undone": True, "changed": False}
            unit_view = self._store.scan_view(session_id, [client_id], [stored.qr_id],
                                              _gate(session))
            unit_writes, taken_back = _undo_units(unit_view, stored)
            if self._store.commit_scans(session_id, unit_view, {client_id: {
                    "undone": True, "undoneBy": staff.uid, "undoneAt": self._clock()}},
                    unit_writes, _tally([taken_back] if taken_back else [], -1)):
                return {"client_scan_id": client_id, "undone": True, "changed": True,
                        "qr_id": stored.qr_id}
            if time.monotonic() >= deadline:
                raise Unavailable(Msg("stocktake.undo.contention"))
            self._sleep(random.uniform(0, min(0.5, 0.02 * 2 ** attempt)))
        raise AssertionError("unreachable")

    # -- finish, cancel, report -------------------------------------------------------------

    def finish(self, caller: Caller | None, data: Any) -> dict[str, Any]:
        staff = require_staff(caller)
        session = self._owned_session(staff, _session_id(data))
        if session.state in ("finished", "cancelled"):
            raise FailedPrecondition(Msg("stocktake.finish.already",
                                         state=_state_word(session.state)))
        now = self._clock()
        if not self._store.set_state(session.id, ("open", "finishing"), {
                "state": "finishing", "finishingAt": now, "finishingBy": staff.uid}):
            raise FailedPrecondition(Msg("stocktake.finish.changed"))
        if session.gates:
            self._store.close_gates(session.id, session.gates)
        else:
            self._sleep(self._finish_grace_s)
        summary = self._summary(session.id)
        self._store.save_results(session.id, {
            "state": "finished", "finishedAt": self._clock(), "finishedBy": staff.uid,
            "totals": summary["totals"],
            "partCounts": {p["part_code"]: {k: p[k] for k in _COUNTS}
                           for p in summary["parts"]}},
            {p["part_code"]: p for p in summary["parts"]})
        return {"session_id": session.id, "state": "finished", **summary}

    def cancel(self, caller: Caller | None, data: Any) -> dict[str, Any]:
        staff = require_staff(caller)
        session = self._owned_session(staff, _session_id(data))
        if not self._store.set_state(session.id, ("open",), {
                "state": "cancelled", "cancelledAt": self._clock(), "cancelledBy": staff.uid}):
            raise FailedPrecondition(Msg("stocktake.cancel.not_open",
                                         state=_state_word(session.state)))
        return {"session_id": session.id, "state": "cancelled"}

    def report(self, caller: Caller | None, session_id: Any) -> dict[str, Any]:
        """The session's count as it stands (final once finished)."""
        require_staff(caller)
        sid = _session_id({"session_id": session_id})
        session = self._store.get_session(sid)
        if session is None:
            raise NotFound(Msg("stocktake.session.not_found", session_id=repr(sid)))
        return {"session_id": sid, "name": session.name, "state": session.state,
                "started_by": session.started_by, "started_at": session.started_at,
                **self._summary(sid)}

    def live(self, caller: Caller | None, data: Any) -> dict[str, Any]:
        """`count_session_live` {session_id, since?}: the counts as they stand, per part,
        from the session and its gates (about 20 reads however many units), and the scans
        received since `since` (the `cursor` of the previous answer), newest first."""
        require_staff(caller)
        sid = _session_id(data)
        since = _since(data.get("since"))
        session = self._session(sid)
        head = {"session_id": sid, "name": session.name, "state": session.state}
        if session.gates and session.expected_by_part is not None:
            counts = _live_counts(session, self._store.gate_tallies(sid, session.gates)
                                  if session.state == "open" else None)
        else:  # a session from before the gates: counted from its units
            summary = self._summary(sid)
            counts = {"totals": summary["totals"],
                      "parts": [{k: v for k, v in p.items() if k in _LIVE_PART_FIELDS}
                                for p in summary["parts"]]}
        recent = self._store.recent_scans(sid, since, RECENT_SCANS)
        # Times as RFC 3339 text to the microsecond: the cursor comes back as `since`.
        cursor = recent[0].received_at if recent else since
        return {**head, **counts, "recent": [
            {"client_scan_id": r.client_scan_id, "qr_id": r.qr_id, "result": r.result,
             "reason": r.reason, "by": r.by, "received_at": r.received_at.isoformat()}
            for r in recent], "cursor": cursor.isoformat() if cursor else None}

    def report_csv(self, caller: Caller | None, session_id: Any) -> str:
        """One row per unit (found, missing or unexpected), spreadsheet-safe, with a BOM
        so that Excel reads the UTF-8 (Turkish letters) right."""
        report = self.report(caller, session_id)
        rows = (safe_row([part["part_code"], part["part_name"], unit["qr_id"], unit["status"],
                          unit["reason"] or "", unit["found_by"] or "",
                          _iso(unit["found_at"]) or ""])
                for part in report["parts"] for unit in part["units"])
        return "".join(csv_chunks(["part_code", "part_name", "qr_id", "status", "reason",
                                   "found_by", "found_at"], rows))

    # -- helpers ----------------------------------------------------------------------------

    def _session(self, session_id: str) -> Session:
        session = self._store.get_session(session_id)
        if session is None:
            raise NotFound(Msg("stocktake.session.not_found", session_id=repr(session_id)))
        return session

    def _open_session(self, session_id: str) -> Session:
        session = self._session(session_id)
        if session.state != "open":
            raise FailedPrecondition(Msg("stocktake.session.closed",
                                         state=_state_word(session.state)))
        return session

    def _owned_session(self, staff: Caller, session_id: str) -> Session:
        session = self._store.get_session(session_id)
        if session is None:
            raise NotFound(Msg("stocktake.session.not_found", session_id=repr(session_id)))
        if not (staff.is_admin or session.started_by == staff.uid):
            raise PermissionDenied(Msg("stocktake.session.not_owner"))
        return session

    def _summary(self, session_id: str) -> dict[str, Any]:
        units = self._store.all_units(session_id)
        by_part: dict[str, list[Unit]] = {}
        for unit in units:
            by_part.setdefault(unit.part_code or UNKNOWN_PART, []).append(unit)
        names = self._store.part_names([p for p in by_part if p != UNKNOWN_PART])
        parts = [_part_summary(code, names.get(code, ""), by_part[code])
                 for code in sorted(by_part)]
        totals = {key: sum(p[key] for p in parts)
                  for key in ("expected", "found", "missing", "unexpected")}
        return {"totals": totals, "parts": parts}


# -- the rules of a batch (pure) -------------------------------------------------------------

@dataclass(frozen=True)
class _Step:
    """One scan of a batch: its answer, the records it writes (none when resent), and what
    it adds to the live counts: (part key, "found" | "unexpected")."""

    result: dict[str, Any]
    qr_id: str
    scan_write: dict[str, Any] | None = None
    unit_write: dict[str, Any] | None = None
    tally: tuple[str, str] | None = None


def _plan_scans(view: ScanView, scans: list[Scan], by: str, now: datetime) -> list[_Step]:
    """Each scan's answer and writes, from one read, in the order the scans came."""
    units = dict(view.units)
    stored = dict(view.scans)
    steps: list[_Step] = []
    for scan in scans:
        earlier = stored.get(scan.client_scan_id)
        if earlier is not None:
            _same_unit(earlier, scan)
            steps.append(_Step(_result(earlier, resent=True), scan.qr_id))
            continue
        unit = units.get(scan.qr_id)
        found = {"found": True, "scan": scan.client_scan_id, "foundBy": by, "foundAt": now,
                 "scannedAt": scan.scanned_at}
        unit_write: dict[str, Any] | None = None
        tally: tuple[str, str] | None = None
        if unit is not None and unit.found:
            outcome, reason = "duplicate", unit.reason
        elif unit is not None and unit.expected:
            outcome, reason = "accepted", None
            unit_write = found
            tally = (part_key(unit.part_code), "found")
            units[scan.qr_id] = Unit(scan.qr_id, unit.part_code, True, True, None,
                                     scan.client_scan_id)
        else:
            label = view.labels.get(scan.qr_id)
            reason = "unknown" if label is None else "used" if label.used else "out_of_scope"
            outcome = "unexpected"
            part_code = label.part_code if label else None
            unit_write = {"partCode": part_code, "expected": False, "reason": reason, **found}
            tally = (part_key(part_code), "unexpected")
            units[scan.qr_id] = Unit(scan.qr_id, part_code, False, True, reason,
                                     scan.client_scan_id)
        record = StoredScan(scan.client_scan_id, scan.qr_id, outcome, reason)  # type: ignore[arg-type]
        stored[scan.client_scan_id] = record
        steps.append(_Step(_result(record, resent=False), scan.qr_id, scan_write={
            "qrId": scan.qr_id, "result": outcome, "reason": reason, "by": by,
            "scannedAt": scan.scanned_at, "receivedAt": now, "undone": False},
            unit_write=unit_write, tally=tally))
    return steps


def part_key(part_code: str | None) -> str:
    """The part a unit counts under: its code, or "(unknown)" for a label nobody made."""
    return part_code or UNKNOWN_PART


def _tally(changes: Any, sign: int = 1) -> dict[str, dict[str, int]]:
    tally: dict[str, dict[str, int]] = {}
    for part, kind in changes:
        counts = tally.setdefault(part, {})
        counts[kind] = counts.get(kind, 0) + sign
    return tally


_COUNTS = ("expected", "found", "missing", "unexpected")
_LIVE_PART_FIELDS = ("part_code", "part_name", *_COUNTS)


def _live_counts(session: Session, tallies: Tally | None) -> dict[str, Any]:
    """Totals and per-part counts from the expected units and the gates' tallies (None:
    the session is not open; a finished one has its final counts, others none)."""
    if tallies is None:
        final = session.part_counts
        if final is None:
            return {"totals": None, "parts": []}
        rows = {code: dict(counts) for code, counts in final.items()}
    else:
        expected = session.expected_by_part or {}
        rows = {}
        for code in sorted(set(expected) | set(tallies)):
            found = tallies.get(code, {}).get("found", 0)
            rows[code] = {"expected": expected.get(code, 0), "found": found,
                          "missing": expected.get(code, 0) - found,
                          "unexpected": tallies.get(code, {}).get("unexpected", 0)}
    names = session.part_names or {}
    parts = [{"part_code": code, "part_name": names.get(code, ""), **rows[code]}
             for code in sorted(rows)]
    return {"totals": {k: sum(p[k] for p in parts) for k in _COUNTS}, "parts": parts}


def _same_unit(earlier: StoredScan, scan: Scan) -> None:
    if earlier.qr_id != scan.qr_id:
        raise InvalidInput(Msg("stocktake.scans.reused_id",
                               client_scan_id=repr(scan.client_scan_id),
                               earlier=repr(earlier.qr_id), qr_id=repr(scan.qr_id)))


def _gate(session: Session) -> int | None:
    """The gate a commit goes through: any of the session's, so that commits spread."""
    return random.randrange(session.gates) if session.gates else None


def _undo_units(view: ScanView, scan: StoredScan
                ) -> tuple[dict[str, dict[str, Any] | None], tuple[str, str] | None]:
    """What undoing `scan` changes: the unit it found is not found any more (an
    unexpected unit it brought in goes away); a duplicate changed nothing. And which
    live count it takes one from."""
    unit = view.units.get(scan.qr_id)
    if unit is None or unit.scan != scan.client_scan_id:
        return {}, None
    if unit.expected:
        return {scan.qr_id: {"found": False, "scan": None, "foundBy": None, "foundAt": None,
                             "scannedAt": None}}, (part_key(unit.part_code), "found")
    return {scan.qr_id: None}, (part_key(unit.part_code), "unexpected")


def _result(scan: StoredScan, *, resent: bool) -> dict[str, Any]:
    return {"client_scan_id": scan.client_scan_id, "qr_id": scan.qr_id,
            "result": scan.result, "reason": scan.reason, "resent": resent,
            "undone": scan.undone}


def _scan_reply(results: list[dict[str, Any]]) -> dict[str, Any]:
    counts = {kind: sum(1 for r in results if r["result"] == kind and not r["resent"])
              for kind in ("accepted", "duplicate", "unexpected", "refused")}
    return {"results": results, **counts,
            "resent": sum(1 for r in results if r["resent"])}


def _part_summary(code: str, name: str, units: list[Unit]) -> dict[str, Any]:
    expected = [u for u in units if u.expected]
    unexpected = [u for u in units if not u.expected]
    missing = sorted(u.qr_id for u in expected if not u.found)
    rows = [{"qr_id": u.qr_id, "status": ("found" if u.found else "missing") if u.expected
             else "unexpected", "reason": u.reason, "found_by": u.found_by,
             "found_at": u.found_at}
            for u in sorted(units, key=lambda u: u.qr_id)]
    return {"part_code": code, "part_name": name, "expected": len(expected),
            "found": len(expected) - len(missing), "missing": len(missing),
            "missing_qr_ids": missing, "unexpected": len(unexpected),
            "unexpected_units": [{"qr_id": u.qr_id, "reason": u.reason}
                                 for u in sorted(unexpected, key=lambda u: u.qr_id)],
            "units": rows}


# -- input --------------------------------------------------------------------------------

def report_format(value: Any) -> str:
    """The report's format: "json" (the default) or "csv"."""
    if value is None or value == "":
        return "json"
    if value not in ("json", "csv"):
        raise InvalidInput(Msg("stocktake.report.format"))
    return str(value)

def _start_input(data: Any) -> tuple[str, str | None, tuple[str, ...] | None]:
    if not isinstance(data, dict):
        raise InvalidInput(Msg("stocktake.start.body"))
    name = data.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 100:
        raise InvalidInput(Msg("stocktake.start.name"))
    note = data.get("note")
    if note is not None and (not isinstance(note, str) or len(note) > 500):
        raise InvalidInput(Msg("stocktake.start.note"))
    codes = data.get("part_codes")
    if codes is None:
        return name.strip(), note, None
    if not isinstance(codes, list) or not codes or len(codes) > MAX_PART_CODES:
        raise InvalidInput(Msg("stocktake.start.part_codes", max_codes=MAX_PART_CODES))
    return name.strip(), note, tuple(dict.fromkeys(ids.normalize_part_code(c) for c in codes))


def _session_id(data: Any) -> str:
    value = data.get("session_id") if isinstance(data, dict) else None
    if not isinstance(value, str) or not _SESSION_ID.fullmatch(value):
        raise InvalidInput(Msg("stocktake.session_id"))
    return value


def _client_scan_id(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _CLIENT_SCAN_ID.fullmatch(value):
        raise InvalidInput(Msg("stocktake.scans.client_scan_id", where=where))
    return value


def _scans(data: Any) -> list[Scan]:
    raw = data.get("scans")
    if not isinstance(raw, list) or not raw:
        raise InvalidInput(Msg("stocktake.scans.not_list"))
    if len(raw) > MAX_SCANS_PER_BATCH:
        raise InvalidInput(Msg("stocktake.scans.too_many", max_scans=MAX_SCANS_PER_BATCH,
                               count=len(raw)))
    scans = []
    for index, item in enumerate(raw):
        where = f"scans[{index}]"
        if not isinstance(item, dict):
            raise InvalidInput(Msg("stocktake.scans.not_object", where=where))
        qr_id = item.get("qr_id")
        if not isinstance(qr_id, str):
            raise InvalidInput(Msg("stocktake.scans.qr_id_not_text", where=where))
        try:
            qr_id = ids.validate_qr_id(qr_id.strip())
        except InvalidInput as err:
            raise InvalidInput(Msg("stocktake.scans.bad_qr_id", where=where,
                                   reason=err.message)) from err
        scans.append(Scan(qr_id, _client_scan_id(item.get("client_scan_id"), where),
                          _scanned_at(item.get("scanned_at"), where)))
    return scans


def _rfc3339(value: Any) -> datetime | None:
    """RFC 3339 text with its offset ("Z" too), as UTC; None for anything else."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed.astimezone(UTC) if parsed.tzinfo is not None else None
    except (ValueError, OverflowError):
        return None


def _since(value: Any) -> datetime | None:
    """A live poll's `since`: the `cursor` it was given last time."""
    if value is None:
        return None
    since = _rfc3339(value)
    if since is None:
        raise InvalidInput(Msg("stocktake.live.since"))
    return since


def _scanned_at(value: Any, where: str) -> datetime | None:
    """The phone's time of the scan: RFC 3339 text or milliseconds since the epoch."""
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value / 1000, UTC)
        except (ValueError, OverflowError, OSError):
            pass
    elif (scanned := _rfc3339(value)) is not None:
        return scanned
    raise InvalidInput(Msg("stocktake.scans.scanned_at", where=where))


def _iso(value: Any) -> str | None:
    return value.isoformat() if isinstance(value, datetime) else None
