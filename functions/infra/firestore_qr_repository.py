"""QR records in Firestore: `qr_codes/{qr_id}` and `parts/{part_code}`.

Smart add is transactional on the part documents: `parts/{code}.qr_count` is the number of
units that have a label, read and raised in the same transaction that creates the new
`qr_codes` documents. Two uploads of the same list at once therefore cannot both add the
missing units. Transactions are sized to stay well under Firestore's per-commit write
limit, so a part with thousands of units is filled over several transactions, each one
re-reading the count.

Units taken from stock follow the same rule: `parts/{code}.used_count` is raised in the
transaction that marks the units used, after reading those units in it, so a unit marked
by two calls at once is counted once and the total always equals the used units. So do
`printed_units` and `downloaded_units` (units printed / downloaded at least once), which
the console's parts list reads instead of counting units; a part created before they
existed has neither and is counted by a query.
"""

from __future__ import annotations

import contextvars
import dataclasses
import logging
import uuid
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from google.cloud import firestore

from errors import StoreUnavailable
from identity import Caller
from infra.firestore_audit import audit_entry
from infra.firestore_calls import Doc, FirestoreCalls, Write
from messages import Msg
from qr import stock_levels
from qr.ports import (
    MinimumOutcome,
    PartOutcome,
    PartRequest,
    PartState,
    QrRecord,
    StoredBlob,
    UnitFile,
    UsedOutcome,
)
from qr.stock_levels import StockLevel

log = logging.getLogger(__name__)

QR_COLLECTION = "qr_codes"
PARTS_COLLECTION = "parts"
NOTIFICATIONS_COLLECTION = "admin_notifications"
ACTIONS_COLLECTION = "admin_actions"
SESSIONS_COLLECTION = "count_sessions"
# qr_codes/{id}: the unit's repeatable events (printed, downloaded), appended as they happen;
# and `counts`: {session id: {at, by}}, the counts that found it (infra/firestore_count_store).
EVENTS = "events"
COUNTS = "counts"
MINIMUM_ACTION = "set_part_minimum"
# + up to PARTS_PER_TRANSACTION low-stock alerts (one a part at most): < 500 writes a commit
WRITES_PER_TRANSACTION = 380
PARTS_PER_TRANSACTION = 100
PARALLEL_TRANSACTIONS = 4
# Units a mark-printed/downloaded transaction takes: their writes plus one per part stay
# under Firestore's 500 writes a commit.
MARK_CHUNK = 200
# parts/{code}: how many of its units were printed / downloaded at least once.
PRINTED_UNITS = "printed_units"
DOWNLOADED_UNITS = "downloaded_units"
FIRST_QR_ID = "first_qr_id"
_GET_MANY_CHUNK = 300
_DELETE_PAGE = 500  # Firestore's writes per commit


def _now() -> datetime:
    return datetime.now(UTC)


class FirestoreQrRepository:
    def __init__(self, client: firestore.Client,
                 clock: Callable[[], datetime] = _now) -> None:
        self._db = client
        self._clock = clock
        # Marking printed / downloaded: a few seconds of contention or outage, then 503.
        self._calls = FirestoreCalls(client, rpc_timeout_s=8.0, unavailable_budget_s=10.0,
                                     max_attempts=60)

    # -- smart add ------------------------------------------------------------------------

    def add_missing_units(self, parts: list[PartRequest], new_id: Callable[[str], str],
                          created_by: str) -> list[PartOutcome]:
        added: dict[str, list[str]] = {p.part_code: [] for p in parts}
        existing: dict[str, int] = {}
        renamed: dict[str, str] = {}
        minimums: dict[str, int | None] = {}

        def fill_group(group: list[PartRequest]) -> None:
            pending = group
            while pending:
                pending = self._fill(pending, new_id, created_by, added, existing, renamed,
                                     minimums)

        # Groups hold disjoint parts, so their transactions never contend; running a few
        # at once overlaps building the writes (CPU) with committing them (network).
        groups = _groups(parts)
        try:
            with ThreadPoolExecutor(max_workers=min(PARALLEL_TRANSACTIONS, len(groups) or 1),
                                    thread_name_prefix="smart-add") as pool:
                # Each group in a copy of this context: the request's deadline holds there too.
                futures = [pool.submit(contextvars.copy_context().run, fill_group, g)
                           for g in groups]
                try:
                    for future in futures:
                        future.result()
                except StoreUnavailable:
                    pool.shutdown(wait=True, cancel_futures=True)  # no group starts late
                    raise
        except StoreUnavailable as err:
            raise err.saying(Msg("qr.upload.database_down")) from err
        return [
            PartOutcome(p.part_code, p.part_name, p.quantity, existing[p.part_code],
                        tuple(added[p.part_code]), renamed.get(p.part_code),
                        minimums.get(p.part_code), p.part_code in minimums)
            for p in parts
        ]

    def _fill(self, group: list[PartRequest], new_id: Callable[[str], str], created_by: str,
              added: dict[str, list[str]], existing: dict[str, int],
              renamed: dict[str, str], minimums: dict[str, int | None]
              ) -> list[PartRequest]:
        """One optimistic transaction over a group of parts (their counts read, the new
        units created, the counts raised, committed only if no part changed meanwhile);
        returns the parts it could not finish."""
        refs = [self._part_ref(p.part_code) for p in group]

        def plan(docs: list[Doc]) -> tuple[list[Write], tuple[list[PartRequest], dict]]:
            writes: list[Write] = []
            budget = WRITES_PER_TRANSACTION
            unfinished: list[PartRequest] = []
            staged: dict[str, Any] = {"added": {}, "existing": {}, "renamed": {},
                                      "minimum": {}}
            now = self._clock()
            for part, doc in zip(group, docs, strict=True):
                count = int(doc.data.get("qr_count", 0)) if doc.data else 0
                staged["existing"][part.part_code] = count - len(added[part.part_code])
                old_name = (doc.data or {}).get("part_name")
                renamed = doc.data is not None and old_name != part.part_name
                if renamed:
                    staged["renamed"][part.part_code] = old_name
                missing = max(0, part.quantity - count)
                take = min(missing, max(0, budget - 1))
                if missing and take == 0:
                    unfinished.append(part)
                    continue
                before = stock_levels.level_of(doc.data)
                minimum = before.min_units if part.min_units is None else part.min_units
                if minimum != before.min_units:
                    staged["minimum"][part.part_code] = before.min_units
                if doc.data and not (take or renamed or minimum != before.min_units):
                    continue  # nothing to change: the part is left exactly as it is
                after = StockLevel(units=count + take, used=before.used, min_units=minimum)
                change = stock_levels.transition(before, after)
                new_ids = [new_id(part.part_code) for _ in range(take)]
                # A new unit is created only if its id is free (a collision loses the
                # commit, and the retry draws new ids).
                writes.extend((Doc(self._unit_ref(qr_id), None, None),
                               _new_record(qr_id, part, created_by, now)) for qr_id in new_ids)
                writes.extend(self._alert(part.part_code, part.part_name, after, change, now))
                writes.append((doc, {
                    "part_code": part.part_code,
                    "part_name": part.part_name,
                    "quantity": part.quantity,
                    "qr_count": count + take,
                    "updated_at": now,
                    "min_units": minimum,
                    **change.fields,
                    # A new part counts its printed and downloaded units from the start
                    # (see _mark_chunk); one made before these counters has none.
                    **({} if doc.data else {"created_at": now, PRINTED_UNITS: 0,
                                            DOWNLOADED_UNITS: 0}),
                    # A label the console can show for the part: its first unit made.
                    **({FIRST_QR_ID: new_ids[0]} if new_ids and not (doc.data or {}).get(
                        FIRST_QR_ID) else {}),
                }))
                budget -= take + 1 + (1 if change.alert_number else 0)
                staged["added"][part.part_code] = new_ids
                if take < missing:
                    unfinished.append(part)
            return writes, (unfinished, staged)

        unfinished, staged = self._calls.optimistic(refs, plan)
        # Only what the committed attempt wrote is counted (a lost attempt starts over).
        for code, new_ids in staged["added"].items():
            added[code].extend(new_ids)
        for code, count in staged["existing"].items():
            existing.setdefault(code, count)
        for code, old_name in staged["renamed"].items():
            renamed.setdefault(code, old_name)
        for code, old_minimum in staged["minimum"].items():
            minimums.setdefault(code, old_minimum)
        return unfinished

    def _alert(self, part_code: str, part_name: str, level: StockLevel,
               change: stock_levels.Transition, now: datetime) -> list[Write]:
        """The low-stock notice a transition raises, as a create in the same commit as the
        part's state: a retry reads the part again and finds the alert raised."""
        if change.alert_number is None:
            return []
        ref = self._db.collection(NOTIFICATIONS_COLLECTION).document(
            stock_levels.notice_id(part_code, change.alert_number, uuid.uuid4().hex[:10]))
        return [(Doc(ref, None, None), stock_levels.notice(part_code, part_name, level, now,
                                                           change.alert_number))]

    # -- reads ----------------------------------------------------------------------------

    def _unit_ref(self, qr_id: str) -> firestore.DocumentReference:
        return self._db.collection(QR_COLLECTION).document(qr_id)

    def _part_ref(self, part_code: str) -> firestore.DocumentReference:
        return self._db.collection(PARTS_COLLECTION).document(part_code)

    def get(self, qr_id: str) -> QrRecord | None:
        (doc,) = self._calls.read_view([self._unit_ref(qr_id)])
        return _record(doc.data) if doc.data is not None else None

    def get_many(self, qr_ids: list[str]) -> list[QrRecord]:
        found: dict[str, QrRecord] = {}
        for start in range(0, len(qr_ids), _GET_MANY_CHUNK):
            refs = [self._unit_ref(q) for q in qr_ids[start:start + _GET_MANY_CHUNK]]
            for doc in self._calls.read_view(refs):
                if doc.data is not None:
                    found[doc.ref.id] = _record(doc.data)
        return [found[q] for q in qr_ids if q in found]

    def list_part(self, part_code: str, limit: int) -> list[QrRecord]:
        query = (self._db.collection(QR_COLLECTION)
                 .where(filter=firestore.FieldFilter("part_code", "==", part_code))
                 .limit(limit))
        records = [_record(s.to_dict()) for s in self._calls.query(query)]
        return sorted(records, key=lambda r: r.qr_id)

    def unstored_ids(self, limit: int) -> list[str]:
        query = (self._db.collection(QR_COLLECTION)
                 .where(filter=firestore.FieldFilter("stored", "==", False))
                 .select([]).limit(limit))
        return [s.id for s in self._calls.query(query)]

    # -- writes ---------------------------------------------------------------------------

    def mark_stored(self, blobs: dict[str, StoredBlob]) -> int:
        """Each chunk in one optimistic transaction that updates only the records still
        there: a record cleared meanwhile never comes back as a stub."""
        now = self._clock()
        items = list(blobs.items())
        updated = 0
        for start in range(0, len(items), WRITES_PER_TRANSACTION):
            chunk = dict(items[start:start + WRITES_PER_TRANSACTION])

            def plan(docs: list[Doc], chunk: dict[str, StoredBlob] = chunk
                     ) -> tuple[list[Write], int]:
                writes: list[Write] = [
                    (doc, {"stored": True, "sha1": chunk[doc.ref.id].sha1,
                           "size": chunk[doc.ref.id].size, "stored_at": now})
                    for doc in docs if doc.exists]
                return writes, len(writes)

            updated += self._calls.optimistic([self._unit_ref(q) for q in chunk], plan)
        return updated

    def mark_downloaded(self, records: list[QrRecord], by: str) -> None:
        now = self._clock()
        change = {"is_downloaded": True, "downloaded_at": now,
                  "download_count": firestore.Increment(1),
                  EVENTS: firestore.ArrayUnion([{"kind": "downloaded", "at": now, "by": by}])}
        self._mark(records, change, DOWNLOADED_UNITS,
                   first_time=lambda unit: not unit.get("is_downloaded"))

    def mark_printed(self, records: list[QrRecord], by: str, layout: str) -> None:
        now = self._clock()
        change = {"printed_at": now, "print_count": firestore.Increment(1),
                  EVENTS: firestore.ArrayUnion([{"kind": "printed", "at": now, "by": by,
                                                 "layout": layout}])}
        self._mark(records, change, PRINTED_UNITS,
                   first_time=lambda unit: not int(unit.get("print_count") or 0))

    def _mark(self, records: list[QrRecord], change: dict[str, Any], counter: str,
              first_time: Callable[[dict[str, Any]], bool]) -> None:
        """Apply `change` to the units that exist (one cleared meanwhile is skipped, never
        written back as a stub), and raise each part's `counter` by its units marked for
        the first time, in one optimistic transaction per chunk (infra/firestore_calls.py):
        the writes commit only if none of the units and parts changed since they were read,
        so the counter always equals the units marked, however many calls run at once.
        Optimistic, not the server SDK's locking transactions: many people downloading
        labels of one part would queue behind each other's locks (ending in lock timeouts
        on the emulator); here a lost race costs one more read. A unit's part never
        changes, so the records the caller read say which parts to read."""
        part_of = {r.qr_id: r.part_code for r in records}
        unique = list(part_of)
        try:
            for start in range(0, len(unique), MARK_CHUNK):
                chunk = unique[start:start + MARK_CHUNK]
                self._mark_chunk({q: part_of[q] for q in chunk}, change, counter, first_time)
        except StoreUnavailable as err:
            log.warning("marking %d units (%s) failed: %s", len(unique), counter, err)
            raise err.saying(Msg("qr.mark.database_down")) from err

    def _mark_chunk(self, part_of: dict[str, str], change: dict[str, Any], counter: str,
                    first_time: Callable[[dict[str, Any]], bool]) -> None:
        unit_refs = [self._db.collection(QR_COLLECTION).document(q) for q in part_of]
        codes = list(dict.fromkeys(part_of.values()))
        part_refs = [self._db.collection(PARTS_COLLECTION).document(c) for c in codes]

        def plan(docs: list[Doc]) -> tuple[list[Write], None]:
            writes: list[Write] = []
            newly: Counter[str] = Counter()
            for doc in docs[:len(unit_refs)]:
                if doc.data is None:
                    continue  # cleared since the caller read it
                if first_time(doc.data):
                    newly[part_of[doc.ref.id]] += 1
                writes.append((doc, change))
            for doc in docs[len(unit_refs):]:
                before = (doc.data or {}).get(counter)
                # A part from before the counters has none: it is counted by a query
                # (infra/firestore_listings.py) rather than from a wrong start.
                if isinstance(before, int) and newly[doc.ref.id]:
                    writes.append((doc, {counter: before + newly[doc.ref.id]}))
            return writes, None

        self._calls.optimistic(unit_refs + part_refs, plan)

    def mark_used(self, qr_ids: list[str], used_by: str, reason: str) -> UsedOutcome:
        try:
            part_of = {r.qr_id: r.part_code for r in self.get_many(qr_ids)}
            unknown = tuple(q for q in qr_ids if q not in part_of)
            if unknown:  # checked before any write: a wrong list marks nothing
                return UsedOutcome(unknown=unknown)
            tally = _UsedTally()
            change = {"used": True, "used_at": self._clock(), "used_by": used_by,
                      "used_reason": reason}
            for chunk in _used_chunks(qr_ids, part_of):
                tally.add(self._mark_used_chunk(chunk, change))
        except StoreUnavailable as err:
            raise err.saying(Msg("qr.used.database_down")) from err
        return tally.outcome(qr_ids)

    def _mark_used_chunk(self, chunk: list[tuple[str, str]], change: dict[str, Any]
                         ) -> _UsedChunk:
        """One optimistic transaction: read the chunk's units and parts, mark the units not
        used yet, raise each part's used_count by its newly marked units. Two people taking
        the same units at once: one commit wins, the other reads again and finds them
        used (no locks, so neither waits on the other's lock)."""
        unit_refs = [self._unit_ref(q) for q, _ in chunk]
        codes = list(dict.fromkeys(code for _, code in chunk))
        part_refs = [self._part_ref(c) for c in codes]

        def plan(docs: list[Doc]) -> tuple[list[Write], _UsedChunk]:
            writes: list[Write] = []
            result = _UsedChunk()
            newly: Counter[str] = Counter()
            for (qr_id, code), doc in zip(chunk, docs[:len(unit_refs)], strict=True):
                if doc.data is None:
                    # Cleared by an admin since the check above; clear_all removes its part
                    # too, so there is nothing left to mark or count.
                    continue
                if doc.data.get("used"):
                    result.already_used.append(qr_id)
                    continue
                writes.append((doc, change))
                result.marked.append(qr_id)
                newly[code] += 1
            now = change["used_at"]
            for code, doc in zip(codes, docs[len(unit_refs):], strict=True):
                before = stock_levels.level_of(doc.data)
                result.used_counts[code] = before.used + newly[code]
                if newly[code]:
                    after = dataclasses.replace(before, used=before.used + newly[code])
                    level = stock_levels.transition(before, after)
                    writes.extend(self._alert(code, str((doc.data or {}).get("part_name") or ""),
                                              after, level, now))
                    writes.append((doc, {"part_code": code, "used_count": after.used,
                                         **level.fields}))
            return writes, result

        return self._calls.optimistic(unit_refs + part_refs, plan)

    # -- minimums ----------------------------------------------------------------------------

    def part_states(self, part_codes: list[str]) -> dict[str, PartState]:
        states: dict[str, PartState] = {}
        for start in range(0, len(part_codes), _GET_MANY_CHUNK):
            refs = [self._part_ref(c) for c in part_codes[start:start + _GET_MANY_CHUNK]]
            for doc in self._calls.read_view(refs):
                if doc.data is not None:
                    level = stock_levels.level_of(doc.data)
                    states[doc.ref.id] = PartState(doc.ref.id,
                                                   str(doc.data.get("part_name") or ""),
                                                   level.units, level.min_units)
        return states

    def set_minimum(self, part_code: str, min_units: int | None,
                    by: Caller) -> MinimumOutcome | None:
        def plan(docs: list[Doc]) -> tuple[list[Write], MinimumOutcome | None]:
            (doc,) = docs
            if doc.data is None:
                return [], None
            now = self._clock()
            before = stock_levels.level_of(doc.data)
            after = dataclasses.replace(before, min_units=min_units)
            change = stock_levels.transition(before, after)
            entry = audit_entry(MINIMUM_ACTION, by, target={"part_code": part_code},
                                before={"min_units": before.min_units},
                                after={"min_units": min_units}, at=now)
            writes: list[Write] = [
                (doc, {"min_units": min_units, **change.fields}),
                (Doc(self._db.collection(ACTIONS_COLLECTION).document(), None, None), entry),
                *self._alert(part_code, str(doc.data.get("part_name") or ""), after, change,
                             now)]
            return writes, MinimumOutcome(part_code, before.min_units, min_units,
                                          after.available, change.fields["below_minimum"],
                                          change.alert_number is not None)

        try:
            return self._calls.optimistic([self._part_ref(part_code)], plan)
        except StoreUnavailable as err:
            raise err.saying(Msg("qr.minimum.database_down")) from err

    # -- a unit's life ------------------------------------------------------------------------

    def unit_file(self, qr_id: str) -> UnitFile | None:
        (doc,) = self._calls.read_view([self._unit_ref(qr_id)])
        if doc.data is None:
            return None
        counts = doc.data.get(COUNTS)
        sessions = sorted(counts) if isinstance(counts, dict) else []
        names: dict[str, str] = {}
        if sessions:
            refs = [self._db.collection(SESSIONS_COLLECTION).document(s) for s in sessions]
            names = {d.ref.id: str(d.data.get("name") or "")
                     for d in self._calls.read_view(refs) if d.data is not None}
        return UnitFile(_record(doc.data), doc.data, names)

    def delete_all(self) -> tuple[int, int]:
        return (self._delete_collection(QR_COLLECTION),
                self._delete_collection(PARTS_COLLECTION))

    def _delete_collection(self, name: str) -> int:
        """Page by page (ids only), one bounded batch commit per page. Stopped by an outage
        half-way, what is left is deleted by the next call."""
        deleted = 0
        query = self._db.collection(name).select([]).limit(_DELETE_PAGE)
        while snaps := self._calls.query(query):
            self._calls.delete_all([snap.reference for snap in snaps])
            deleted += len(snaps)
        return deleted


@dataclass
class _UsedChunk:
    """What one committed mark-used transaction did."""

    marked: list[str] = field(default_factory=list)
    already_used: list[str] = field(default_factory=list)
    used_counts: dict[str, int] = field(default_factory=dict)


@dataclass
class _UsedTally:
    """The chunks of one call added up (a retried attempt's result is never seen here)."""

    marked: set[str] = field(default_factory=set)
    already_used: set[str] = field(default_factory=set)
    used_counts: dict[str, int] = field(default_factory=dict)

    def add(self, chunk: _UsedChunk) -> None:
        self.marked.update(chunk.marked)
        self.already_used.update(chunk.already_used)
        # A part spread over several chunks: the later chunk committed later, so its
        # count is the one after this call.
        self.used_counts.update(chunk.used_counts)

    def outcome(self, qr_ids: list[str]) -> UsedOutcome:
        """In the order the ids were asked for, not the order the chunks ran in."""
        return UsedOutcome(marked=tuple(q for q in qr_ids if q in self.marked),
                           already_used=tuple(q for q in qr_ids if q in self.already_used),
                           used_counts=dict(self.used_counts))


def _used_chunks(qr_ids: list[str], part_of: dict[str, str]) -> list[list[tuple[str, str]]]:
    """(qr_id, part_code) pairs in transaction-sized chunks, units of one part together so
    each part is written once per chunk: at most WRITES_PER_TRANSACTION unit writes plus
    PARTS_PER_TRANSACTION part writes, under Firestore's 500 writes a commit."""
    ordered = sorted(qr_ids, key=lambda q: part_of[q])  # stable: request order within a part
    chunks: list[list[tuple[str, str]]] = []
    current: list[tuple[str, str]] = []
    parts: set[str] = set()
    for qr_id in ordered:
        code = part_of[qr_id]
        if current and (len(current) >= WRITES_PER_TRANSACTION
                        or (code not in parts and len(parts) >= PARTS_PER_TRANSACTION)):
            chunks.append(current)
            current, parts = [], set()
        current.append((qr_id, code))
        parts.add(code)
    if current:
        chunks.append(current)
    return chunks


def _groups(parts: list[PartRequest]) -> list[list[PartRequest]]:
    """Split parts into groups whose requested units fit one transaction (a part with more
    units than that is a group of its own and is filled over several transactions)."""
    groups: list[list[PartRequest]] = []
    current: list[PartRequest] = []
    load = 0
    for part in parts:
        cost = min(part.quantity, WRITES_PER_TRANSACTION) + 1
        if current and (load + cost > WRITES_PER_TRANSACTION
                        or len(current) >= PARTS_PER_TRANSACTION):
            groups.append(current)
            current, load = [], 0
        current.append(part)
        load += cost
    if current:
        groups.append(current)
    return groups


def _new_record(qr_id: str, part: PartRequest, created_by: str, now: datetime) -> dict:
    return {
        "qr_id": qr_id,
        "part_code": part.part_code,
        "part_name": part.part_name,
        "payload": qr_id,
        "created_at": now,
        "created_by": created_by,
        "blob_key": f"qr_codes/{qr_id}.png",
        "stored": False,
        "sha1": None,
        "is_downloaded": False,
        "downloaded_at": None,
        "download_count": 0,
    }


def _record(doc: dict[str, Any] | None) -> QrRecord:
    doc = doc or {}
    return QrRecord(
        qr_id=doc["qr_id"],
        part_code=doc.get("part_code", ""),
        part_name=doc.get("part_name", ""),
        payload=doc.get("payload", doc["qr_id"]),
        blob_key=doc.get("blob_key", f"qr_codes/{doc['qr_id']}.png"),
        stored=bool(doc.get("stored")),
        sha1=doc.get("sha1"),
        is_downloaded=bool(doc.get("is_downloaded")),
        download_count=int(doc.get("download_count") or 0),
        print_count=int(doc.get("print_count") or 0),
        used=bool(doc.get("used")),
    )
