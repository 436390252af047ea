"""Count sessions in Firestore, behind stocktake.ports.CountStore.

Documents:
  count_sessions/{id}                   name, note, partCodes, state, startedBy, startedAt,
                                        expectedCount, expectedParts (+ finishing/finished/
                                        cancelled fields, totals)
  count_sessions/{id}/units/{qr_id}     partCode, expected, found, reason, scan, foundBy,
                                        foundAt, scannedAt: one per expected unit (written
                                        at the start) and per unexpected unit scanned
  count_sessions/{id}/scans/{key}       clientScanId, qrId, result, reason, by, scannedAt,
                                        receivedAt, undone (key: a hash of clientScanId,
                                        which may not be a valid document id as sent)
  count_sessions/{id}/results/{part}    the finished session's per-part results
  count_sessions/{id}/gates/g{n}        commits: the session's gates (stocktake/sessions.py,
                                        "Finishing is final"), removed when it finishes

A batch of scans is one optimistic transaction over its own scan and unit documents (see
infra/firestore_calls.py): phones scanning different units never touch the same document,
and the session document takes no write per scan. Each commit also increments one of the
session's gate documents, picked at random, on condition it exists.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter
from google.cloud.firestore_v1.field_path import FieldPath

from infra.firestore_calls import Conflict, Doc, FirestoreCalls, Write
from infra.firestore_qr_repository import COUNTS
from stocktake.ports import LabelInfo, RecentScan, ScanView, Session, StoredScan, Tally, Unit

SESSIONS_COLLECTION = "count_sessions"
QR_COLLECTION = "qr_codes"
PARTS_COLLECTION = "parts"
_WRITES_PER_BATCH = 500
_IN_LIMIT = 30  # values in one Firestore "in" filter


class FirestoreCountStore:
    def __init__(self, client: firestore.Client, clock: Callable[[], datetime], *,
                 rpc_timeout_s: float = 20.0) -> None:
        self._db = client
        self._clock = clock
        self._calls = FirestoreCalls(client, rpc_timeout_s=rpc_timeout_s,
                                     unavailable_budget_s=5.0, max_attempts=10)

    def _session_ref(self, session_id: str) -> firestore.DocumentReference:
        return self._db.collection(SESSIONS_COLLECTION).document(session_id)

    # -- the expected set -------------------------------------------------------------------

    def units_to_count(self, part_codes: tuple[str, ...] | None) -> dict[str, list[str]]:
        queries = ([self._db.collection(QR_COLLECTION)] if part_codes is None else
                   [self._db.collection(QR_COLLECTION).where(
                       filter=FieldFilter("part_code", "in", list(part_codes[i:i + _IN_LIMIT])))
                    for i in range(0, len(part_codes), _IN_LIMIT)])
        found: dict[str, list[str]] = {}
        for query in queries:
            for snap in self._stream(query.select(["part_code", "used"])):
                data = snap.to_dict() or {}
                if data.get("used") is True:
                    continue  # taken from stock: not expected on the shelf any more
                found.setdefault(str(data.get("part_code") or ""), []).append(snap.id)
        return {code: sorted(qr_ids) for code, qr_ids in sorted(found.items())}

    def create_session(self, fields: dict[str, Any], expected: dict[str, list[str]],
                       gates: int) -> str:
        session = self._db.collection(SESSIONS_COLLECTION).document()
        units = [(session.collection("units").document(qr_id),
                  {"partCode": code, "expected": True, "found": False})
                 for code, qr_ids in expected.items() for qr_id in qr_ids]
        units += [(self._gate_ref(session.id, gate), {"commits": 0}) for gate in range(gates)]
        # The units first, the session last: until it exists nobody can scan into it, and
        # a start that died half-way leaves only units nobody reads.
        for start in range(0, len(units), _WRITES_PER_BATCH):
            batch = self._db.batch()
            for ref, data in units[start:start + _WRITES_PER_BATCH]:
                batch.set(ref, data)
            self._commit(batch)
        self._calls.with_retries(lambda timeout: session.create(fields, retry=None,
                                                                timeout=timeout))
        return session.id

    # -- the session ------------------------------------------------------------------------

    def get_session(self, session_id: str) -> Session | None:
        (doc,) = self._calls.read_view([self._session_ref(session_id)])
        return _session(session_id, doc.data) if doc.data is not None else None

    def set_state(self, session_id: str, from_states: tuple[str, ...],
                  fields: dict[str, Any]) -> bool:
        def plan(docs: list[Doc]) -> tuple[list[Write], bool]:
            (doc,) = docs
            if doc.data is None or doc.data.get("state") not in from_states:
                return [], False
            return [(doc, fields)], True

        return self._calls.optimistic([self._session_ref(session_id)], plan)

    # -- scans --------------------------------------------------------------------------------

    def scan_view(self, session_id: str, client_scan_ids: list[str],
                  qr_ids: list[str], gate: int | None = None) -> ScanView:
        session = self._session_ref(session_id)
        scan_refs = [session.collection("scans").document(scan_key(c)) for c in client_scan_ids]
        unit_refs = [session.collection("units").document(q) for q in qr_ids]
        label_refs = [self._db.collection(QR_COLLECTION).document(q) for q in qr_ids]
        docs = self._calls.read_view([*scan_refs, *unit_refs, *label_refs])
        scan_docs = docs[:len(scan_refs)]
        unit_docs = docs[len(scan_refs):len(scan_refs) + len(unit_refs)]
        label_docs = docs[len(scan_refs) + len(unit_refs):]
        versions = {("scan", c): d for c, d in zip(client_scan_ids, scan_docs, strict=True)}
        versions |= {("unit", q): d for q, d in zip(qr_ids, unit_docs, strict=True)}
        return ScanView(
            scans={c: _stored_scan(c, d.data) for c, d in zip(client_scan_ids, scan_docs,
                                                               strict=True) if d.data},
            units={q: _unit(q, d.data) for q, d in zip(qr_ids, unit_docs, strict=True)
                   if d.data},
            labels={q: LabelInfo(str(d.data.get("part_code") or ""),
                                 d.data.get("used") is True)
                    for q, d in zip(qr_ids, label_docs, strict=True) if d.data},
            versions=versions, gate=gate)

    def commit_scans(self, session_id: str, view: ScanView,
                     scans: Mapping[str, dict[str, Any]],
                     units: Mapping[str, dict[str, Any] | None], tally: Tally) -> bool:
        versions: dict[tuple[str, str], Doc] = view.versions
        writes: list[Write] = []
        for client_id, fields in scans.items():
            doc = versions[("scan", client_id)]
            writes.append((doc, fields if doc.exists else {"clientScanId": client_id,
                                                            **fields}))
        for qr_id, unit_fields in units.items():
            writes.append((versions[("unit", qr_id)], unit_fields))
        gate = [] if view.gate is None else [
            (self._gate_ref(session_id, view.gate), _gate_counts(tally))]
        try:
            self._calls.commit_unchanged(writes, must_exist=[
                *gate, *self._counted_on_labels(session_id, view, units)])
        except Conflict:
            return False
        return True

    def _counted_on_labels(self, session_id: str, view: ScanView,
                           units: Mapping[str, dict[str, Any] | None]) -> list[Any]:
        """A unit found (or no longer found, after an undo) in this count, recorded on its
        label in the same commit: `qr_codes/{id}.counts.{session}` = {at, by}, which a
        unit's history and the inventory export read. Written on the only condition that
        the label exists (a label cleared meanwhile fails the commit, and the retry sees it
        gone), so printing or downloading the label at the same time never conflicts."""
        touches: list[Any] = []
        for qr_id, fields in units.items():
            if not fields or "found" not in fields or qr_id not in view.labels:
                continue
            path = FieldPath(COUNTS, session_id).to_api_repr()
            touches.append((self._db.collection(QR_COLLECTION).document(qr_id), {
                path: {"at": fields.get("foundAt"), "by": fields.get("foundBy")}
                if fields["found"] else firestore.DELETE_FIELD}))
        return touches

    def gate_tallies(self, session_id: str, gates: int) -> dict[str, dict[str, int]]:
        tallies: dict[str, dict[str, int]] = {}
        for doc in self._calls.read_view([self._gate_ref(session_id, g)
                                          for g in range(gates)]):
            for part, counts in ((doc.data or {}).get("parts") or {}).items():
                mine = tallies.setdefault(part, {})
                for kind, count in (counts or {}).items():
                    mine[kind] = mine.get(kind, 0) + int(count)
        return tallies

    def recent_scans(self, session_id: str, since: datetime | None,
                     limit: int) -> list[RecentScan]:
        query = self._session_ref(session_id).collection("scans")
        if since is not None:
            query = query.where(filter=FieldFilter("receivedAt", ">", since))
        query = query.order_by("receivedAt", direction=firestore.Query.DESCENDING).limit(limit)
        return [RecentScan(str(d.get("clientScanId")), str(d.get("qrId")),
                           d.get("result", "accepted"), d.get("reason"), str(d.get("by")),
                           d["receivedAt"])
                for d in (s.to_dict() or {} for s in self._stream(query))
                if d.get("receivedAt") is not None]

    def close_gates(self, session_id: str, gates: int) -> None:
        self._calls.delete_all([self._gate_ref(session_id, g) for g in range(gates)])

    def _gate_ref(self, session_id: str, gate: int) -> Any:
        return self._session_ref(session_id).collection("gates").document(f"g{gate}")

    # -- the count ----------------------------------------------------------------------------

    def all_units(self, session_id: str) -> list[Unit]:
        units = self._session_ref(session_id).collection("units")
        return [_unit(s.id, s.to_dict() or {}) for s in self._stream(units)]

    def _stream(self, query: Any) -> list[Any]:
        def run(timeout: float) -> list[Any]:
            return list(query.stream(retry=None, timeout=timeout))

        return self._calls.with_retries(run)

    def _commit(self, batch: Any) -> None:
        def run(timeout: float) -> None:
            batch.commit(retry=None, timeout=timeout)

        self._calls.with_retries(run)

    def part_names(self, part_codes: list[str]) -> dict[str, str]:
        refs = [self._db.collection(PARTS_COLLECTION).document(c) for c in part_codes]
        names: dict[str, str] = {}
        for start in range(0, len(refs), _WRITES_PER_BATCH):
            for doc in self._calls.read_view(refs[start:start + _WRITES_PER_BATCH]):
                if doc.data is not None:
                    names[doc.ref.id] = str(doc.data.get("part_name") or "")
        return names

    def save_results(self, session_id: str, fields: dict[str, Any],
                     parts: dict[str, dict[str, Any]]) -> None:
        session = self._session_ref(session_id)
        items = list(parts.items())
        for start in range(0, len(items), _WRITES_PER_BATCH):
            batch = self._db.batch()
            for code, result in items[start:start + _WRITES_PER_BATCH]:
                batch.set(session.collection("results").document(_result_key(code)),
                          {k: v for k, v in result.items() if k != "units"})
            self._commit(batch)
        self._calls.with_retries(lambda timeout: session.update(fields, retry=None,
                                                                timeout=timeout))


def _gate_counts(tally: Tally) -> dict[str, Any]:
    """The gate's update: one more commit, and the tally added to its per-part counts
    (a part code is one field name, whatever its letters)."""
    update: dict[str, Any] = {"commits": firestore.Increment(1)}
    for part, counts in tally.items():
        for kind, change in counts.items():
            if change:
                update[FieldPath("parts", part, kind).to_api_repr()] = \
                    firestore.Increment(change)
    return update


def scan_key(client_scan_id: str) -> str:
    """A document id for a client's scan id (which could be ".." or "__x__" as sent)."""
    digest = hashlib.sha256(client_scan_id.encode()).digest()[:18]
    return "s" + base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _result_key(part_code: str) -> str:
    return part_code if part_code and not part_code.startswith("(") else "_unknown"


def _session(session_id: str, data: dict[str, Any]) -> Session:
    codes = data.get("partCodes")
    return Session(id=session_id, name=str(data.get("name") or ""), note=data.get("note"),
                   part_codes=tuple(codes) if isinstance(codes, list) else None,
                   state=data.get("state", "open"), started_by=str(data.get("startedBy")),
                   started_at=data["startedAt"],
                   expected_count=int(data.get("expectedCount") or 0),
                   finished_at=data.get("finishedAt"), totals=data.get("totals"),
                   gates=int(data.get("gates") or 0),
                   expected_by_part=data.get("expectedByPart"),
                   part_names=data.get("partNames"), part_counts=data.get("partCounts"))


def _stored_scan(client_id: str, data: dict[str, Any]) -> StoredScan:
    return StoredScan(client_id, str(data.get("qrId")), data.get("result", "accepted"),
                      data.get("reason"), bool(data.get("undone")))


def _unit(qr_id: str, data: dict[str, Any]) -> Unit:
    return Unit(qr_id=qr_id, part_code=data.get("partCode"),
                expected=bool(data.get("expected")), found=bool(data.get("found")),
                reason=data.get("reason"), scan=data.get("scan"),
                found_by=data.get("foundBy"), found_at=data.get("foundAt"),
                scanned_at=data.get("scannedAt"))
