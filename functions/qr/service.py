"""QR label use cases: import a parts list, store files durably, view, download, mark units
taken from stock, clear.

Plain Python: the repository, blob store and store queue are ports (qr/ports.py) built in
the composition root. The PNG of a qr_id is a pure function of the id (qr/render.py), so a
file not stored yet is rendered on the fly and the stored copy is byte-identical to it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from errors import FailedPrecondition, InvalidInput, NotFound, StoreUnavailable, Unavailable
from identity import Caller, require_admin, require_staff
from log_fields import log_fields
from messages import Msg
from qr import ids, label_sheet, parts_import, render, sheet_request, stock_levels, unit_history
from qr.ports import (
    BlobStore,
    BlobStoreError,
    PartOutcome,
    PartRequest,
    QrRecord,
    QrRepository,
    StoredBlob,
    StoreQueue,
)

log = logging.getLogger(__name__)

BLOB_PREFIX = "qr_codes/"
CLEAR_CONFIRMATION = "DELETE ALL QR CODES"
MAX_IDS_PER_ZIP = 5_000
# Units marked used in one call: Firestore's 500 writes a commit. Every unit is read and
# written in a transaction together with its part's total, so a call is a few transactions
# of a few hundred writes (seconds, far below the callable's 60 s); a bigger job is several
# calls, each safe to send again.
MAX_IDS_PER_USE = 500
MAX_USED_REASON_CHARS = 200


def blob_key(qr_id: str) -> str:
    return f"{BLOB_PREFIX}{qr_id}.png"


@dataclass(frozen=True)
class LabelSheet:
    pdf: bytes
    filename: str
    count: int


@dataclass(frozen=True)
class QrImage:
    qr_id: str
    part_code: str
    png: bytes
    etag: str  # strong ETag: the hex SHA-1 of the bytes


@dataclass(frozen=True)
class StoreReport:
    stored: int
    already_stored: int
    missing: int
    failed: tuple[str, ...]


class QrLabels:
    def __init__(self, repository: QrRepository, blobs: BlobStore, queue: StoreQueue,
                 batch_size: int = 100) -> None:
        self._repo = repository
        self._blobs = blobs
        self._queue = queue
        self._batch_size = batch_size

    # -- import ---------------------------------------------------------------------------

    def upload_parts(self, caller: Caller | None, *, filename: str | None = None,
                     content: bytes | None = None, body: Any = None,
                     dry_run: Any = False) -> dict[str, Any]:
        """Smart-add the units of a parts list. Every row is checked before anything is
        written, so a bad list changes nothing. A dry run answers what the list would do
        (units added, minimums changed, rows refused) and writes nothing."""
        caller = require_staff(caller)
        if isinstance(body, dict) and "dry_run" in body:
            dry_run = body["dry_run"]
            body = {k: v for k, v in body.items() if k != "dry_run"}
        if content is not None:
            check = parts_import.check_parts_upload(filename, content)
        elif body is not None:
            check = parts_import.check_parts_json(body)
        else:
            raise InvalidInput(Msg("qr.upload.no_body"))
        if _dry_run_flag(dry_run):
            return self._dry_run(check)
        rows = check.rows_or_raise()
        requests = [PartRequest(r.part_code, r.part_name, r.quantity, r.min_units)
                    for r in rows]
        outcomes = self._repo.add_missing_units(requests, ids.new_qr_id, caller.uid)
        new_ids = [qr_id for outcome in outcomes for qr_id in outcome.added_ids]
        self._enqueue(new_ids)
        return {"summary": _summary(outcomes), "qr_ids": new_ids,
                "minimum_changes": _minimum_changes(outcomes, rows)}

    def _dry_run(self, check: parts_import.PartsCheck) -> dict[str, Any]:
        """What importing the list's good rows would do, from the parts as they stand."""
        refused: list[dict[str, Any]] = []
        problem: Any = None
        try:
            check.rows_or_raise()
        except InvalidInput as err:
            refused = list((err.details or {}).get("errors") or [])
            problem = err.message
        states = self._repo.part_states([r.part_code for r in check.rows])
        outcomes = []
        for row in check.rows:
            state = states.get(row.part_code)
            existing = state.units if state else 0
            minimum_before = state.min_units if state else None
            minimum_after = minimum_before if row.min_units is None else row.min_units
            outcomes.append(PartOutcome(  # as a real upload's, with no ids drawn yet
                row.part_code, row.part_name, row.quantity, existing,
                tuple("" for _ in range(max(0, row.quantity - existing))),
                state.part_name if state and state.part_name != row.part_name else None,
                minimum_before, minimum_after != minimum_before))
        return {"dry_run": True, "summary": _summary(outcomes),
                "minimum_changes": _minimum_changes(outcomes, check.rows),
                "refused": refused, "refused_count": len(check.errors), "problem": problem}

    def _enqueue(self, qr_ids: list[str]) -> None:
        """Hand the new ids to the durable store queue. A failure here loses nothing: the
        records say stored=False and the sweeper re-enqueues them."""
        for start in range(0, len(qr_ids), self._batch_size):
            batch = qr_ids[start:start + self._batch_size]
            try:
                self._queue.enqueue(batch)
            except Exception:  # the records are safe; the sweeper retries
                log.exception("could not enqueue %d QR ids for storage; the sweeper will",
                              len(batch))

    # -- durable storage ------------------------------------------------------------------

    def store_files(self, qr_ids: Iterable[str]) -> StoreReport:
        """Render and store each id's PNG; safe to run again (stored ids are skipped).
        Raises Unavailable when any put failed so that the task queue retries the batch."""
        # A task's ids are unique, but a hand-made or merged task may repeat one: one put.
        wanted = list(dict.fromkeys(ids.validate_qr_id(q) for q in qr_ids))
        records = {r.qr_id: r for r in self._repo.get_many(wanted)}
        already = 0
        done: dict[str, StoredBlob] = {}
        failed: list[str] = []
        for qr_id in wanted:
            record = records.get(qr_id)
            if record is None:
                continue  # cleared since it was queued
            if record.stored:
                already += 1
                continue
            try:
                done[qr_id] = self._blobs.put(record.blob_key, render.render_png(record.payload),
                                              "image/png")
            except BlobStoreError as err:
                with log_fields(qr_id=qr_id, part_code=record.part_code):
                    log.warning("storing %s failed: %s", qr_id, err)
                failed.append(qr_id)
        stored = self._repo.mark_stored(done) if done else 0
        report = StoreReport(stored, already, len(wanted) - len(records), tuple(failed))
        if failed:
            raise Unavailable(Msg("qr.store.failed", failed=len(failed), total=len(wanted)),
                              details={"failed": failed})
        return report

    def requeue_unstored(self, limit: int = 2_000) -> int:
        """The sweeper: re-enqueue records whose file is still not stored."""
        pending = self._repo.unstored_ids(limit)
        self._enqueue(pending)
        return len(pending)

    # -- view and download ----------------------------------------------------------------

    def image(self, caller: Caller | None, raw_qr_id: str) -> QrImage:
        require_staff(caller)
        return self._image_of(self._record(raw_qr_id))

    def download(self, caller: Caller | None, raw_qr_id: str) -> QrImage:
        """The PNG as a download; the record is marked downloaded only once the bytes exist."""
        caller = require_staff(caller)
        record = self._record(raw_qr_id)
        image = self._image_of(record)
        self._repo.mark_downloaded([record], caller.uid)
        return image

    def zip_selection(self, caller: Caller | None, *, part_code: str | None,
                      qr_ids: list[str] | None) -> list[QrRecord]:
        """Which records a bulk download contains (checked before streaming starts)."""
        require_staff(caller)
        return self._select(part_code, qr_ids, MAX_IDS_PER_ZIP, Msg("qr.select.what.zip"))

    def label_sheet(self, caller: Caller | None, request: dict[str, Any]) -> LabelSheet:
        """A PDF of the selected labels on a sheet or printer preset; the labels are marked
        printed only once the PDF exists."""
        caller = require_staff(caller)
        selection = sheet_request.parse(request)
        records = self._select(selection.part_code, selection.qr_ids,
                               label_sheet.MAX_LABELS, Msg("qr.select.what.label_sheet"))
        if selection.not_printed:
            records = [r for r in records if r.print_count == 0]
        labels = [label_sheet.Label(r.qr_id, r.part_code, r.part_name) for r in records]
        pdf = label_sheet.label_sheet_pdf(labels, selection.layout, selection.options)
        self._repo.mark_printed(records, caller.uid, selection.layout.name)
        return LabelSheet(pdf, f"{_file_stem(selection.part_code, 'labels')}_"
                               f"{selection.layout.name}.pdf", len(labels))

    @staticmethod
    def zip_name(part_code: str | None) -> str:
        return f"{_file_stem(part_code, 'all')}_qr_codes.zip" if part_code else \
            "qr_codes.zip"

    def _select(self, part_code: str | None, qr_ids: list[str] | None, limit: int,
                what: Msg) -> list[QrRecord]:
        if bool(part_code) == bool(qr_ids):
            raise InvalidInput(Msg("qr.select.either"))
        if part_code:
            code = ids.normalize_part_code(part_code)
            records = self._repo.list_part(code, limit + 1)
            if not records:
                raise NotFound(Msg("qr.select.no_codes_for_part", code=repr(code)))
        else:
            assert qr_ids is not None
            wanted = list(dict.fromkeys(ids.validate_qr_id(q) for q in qr_ids))
            if len(wanted) > limit:
                raise InvalidInput(Msg("qr.select.too_many_ids", limit=limit, what=what))
            records = self._repo.get_many(wanted)
            unknown = sorted(set(wanted) - {r.qr_id for r in records})
            if unknown:
                raise NotFound(Msg("qr.select.unknown_ids", ids=_first_ten(unknown)))
        if len(records) > limit:
            raise InvalidInput(Msg("qr.select.part_too_large", code=repr(part_code),
                                   limit=limit, what=what))
        return records

    def zip_entries(self, caller: Caller | None, records: list[QrRecord]
                    ) -> Iterator[tuple[str, bytes]]:
        """(entry name, PNG) pairs, produced one at a time so the ZIP can stream; the
        records are marked downloaded after the last one."""
        by = require_staff(caller).uid
        for record in records:
            yield f"{record.part_code}_{record.qr_id}.png", self._image_of(record).png
        self._repo.mark_downloaded(records, by)

    # -- units taken from stock -----------------------------------------------------------

    def mark_used(self, caller: Caller | None, data: Any) -> dict[str, Any]:
        """Mark units used ({"qr_ids": [...], "reason": "..."}); their parts' used_count
        rises by the units newly marked. Safe to send again: a used unit is reported in
        `already_used` and keeps its first reason and time. A bad request changes nothing."""
        caller = require_staff(caller)
        qr_ids, reason = _used_request(data)
        outcome = self._repo.mark_used(qr_ids, caller.uid, reason)
        if outcome.unknown:
            raise NotFound(_unknown_ids_message(outcome.unknown),
                           details={"unknown": list(outcome.unknown)})
        return {"marked": len(outcome.marked), "already_used": list(outcome.already_used),
                "parts": dict(outcome.used_counts)}

    # -- minimums and a unit's life --------------------------------------------------------

    def set_minimum(self, caller: Caller | None, data: Any) -> dict[str, Any]:
        """`{part_code, min_units}` (null removes the minimum); audited. Setting a minimum
        above what is available raises the part's low-stock alert at once."""
        caller = require_staff(caller)
        if not isinstance(data, dict) or "part_code" not in data or "min_units" not in data:
            raise InvalidInput(Msg("qr.minimum.body"))
        code = ids.normalize_part_code(data["part_code"])
        minimum = stock_levels.minimum_input(data["min_units"])
        outcome = self._repo.set_minimum(code, minimum, caller)
        if outcome is None:  # a code that names no part is a bad argument (issue 21)
            raise InvalidInput(Msg("qr.minimum.unknown_part", code=repr(code)))
        return {"part_code": code, "min_units": outcome.min_units,
                "min_before": outcome.min_before, "available": outcome.available,
                "below_minimum": outcome.below_minimum, "alert_raised": outcome.alert_raised}

    def unit(self, caller: Caller | None, data: Any) -> dict[str, Any]:
        """`{qr_id}`: the unit's part and its events in order (qr/unit_history.py)."""
        require_staff(caller)
        if not isinstance(data, dict) or "qr_id" not in data:
            raise InvalidInput(Msg("qr.unit.body"))
        qr_id = ids.validate_qr_id(data["qr_id"])
        try:
            found = self._repo.unit_file(qr_id)
        except StoreUnavailable as err:
            raise err.saying(Msg("qr.unit.database_down")) from err
        if found is None:
            raise NotFound(Msg("qr.not_found", qr_id=repr(qr_id)))
        return unit_history.unit_life(found)

    # -- admin ----------------------------------------------------------------------------

    def clear_all(self, caller: Caller | None, body: Any) -> dict[str, int]:
        require_admin(caller)
        confirm = body.get("confirm") if isinstance(body, dict) else None
        if confirm != CLEAR_CONFIRMATION:
            raise InvalidInput(Msg("qr.clear.confirm", confirmation=CLEAR_CONFIRMATION))
        # Records first: once they are gone no worker stores their files again, so the
        # file sweep that follows leaves storage and database in agreement.
        records, parts = self._repo.delete_all()
        try:
            files = self._blobs.delete_prefix(BLOB_PREFIX)
        except BlobStoreError as err:
            raise FailedPrecondition(Msg("qr.clear.files_left", records=records)) from err
        return {"deleted_records": records, "deleted_parts": parts, "deleted_files": files}

    # -- helpers --------------------------------------------------------------------------

    def _record(self, raw_qr_id: str) -> QrRecord:
        qr_id = ids.validate_qr_id(raw_qr_id)
        record = self._repo.get(qr_id)
        if record is None:
            raise NotFound(Msg("qr.not_found", qr_id=repr(qr_id)))
        return record

    def _image_of(self, record: QrRecord) -> QrImage:
        png: bytes | None = None
        if record.stored:
            try:
                png = self._blobs.get(record.blob_key)
            except BlobStoreError as err:
                with log_fields(qr_id=record.qr_id, part_code=record.part_code):
                    log.warning("reading %s failed, rendering instead: %s", record.blob_key,
                                err)
        if png is None:
            png = render.render_png(record.payload)
        return QrImage(record.qr_id, record.part_code, png, hashlib.sha1(png).hexdigest())


def _summary(outcomes: list[PartOutcome]) -> dict[str, Any]:
    parts = []
    for o in outcomes:
        entry: dict[str, Any] = {
            "part_code": o.part_code,
            "part_name": o.part_name,
            "requested": o.requested,
            "existing": o.existing,
            "added": len(o.added_ids),
        }
        if o.requested < o.existing:
            # Lowering a quantity never deletes labels that may already be on shelves.
            entry["not_removed"] = o.existing - o.requested
        if o.renamed_from is not None:
            entry["renamed_from"] = o.renamed_from
        parts.append(entry)
    return {
        "parts": len(outcomes),
        "units_requested": sum(o.requested for o in outcomes),
        "units_added": sum(len(o.added_ids) for o in outcomes),
        "units_existing": sum(o.existing for o in outcomes),
        "quantity_decreases_not_applied": sum(1 for o in outcomes if o.requested < o.existing),
        "details": parts,
    }


def _minimum_changes(outcomes: list[PartOutcome], rows: list[parts_import.PartRow]
                     ) -> list[dict[str, Any]]:
    asked = {r.part_code: r.min_units for r in rows}
    return [{"part_code": o.part_code, "from": o.minimum_from, "to": asked.get(o.part_code)}
            for o in outcomes if o.minimum_changed]


def _dry_run_flag(raw: Any) -> bool:
    """`dry_run` as JSON (true / false) or a form field ("true", "1", "false", "0", "")."""
    if raw is None or isinstance(raw, bool):
        return bool(raw)
    if isinstance(raw, str) and raw.strip().lower() in ("true", "1", "false", "0", ""):
        return raw.strip().lower() in ("true", "1")
    raise InvalidInput(Msg("qr.upload.dry_run_flag"))


def _used_request(data: Any) -> tuple[list[str], str]:
    """The checked ids (each once, in order) and reason of a mark_used request."""
    if not isinstance(data, dict):
        raise InvalidInput(Msg("qr.used.body"))
    return _used_ids(data.get("qr_ids")), _used_reason(data.get("reason"))


def _used_ids(raw: Any) -> list[str]:
    if not isinstance(raw, list):
        raise InvalidInput(Msg("qr.qr_ids.not_a_list"))
    if not raw:
        raise InvalidInput(Msg("qr.used.empty"))
    if len(raw) > MAX_IDS_PER_USE:  # before checking each id: bounds the work first
        raise InvalidInput(Msg("qr.used.too_many", max_ids=MAX_IDS_PER_USE, count=len(raw)))
    checked = []
    for index, qr_id in enumerate(raw):
        try:
            checked.append(ids.validate_qr_id(qr_id))
        except InvalidInput as err:
            raise InvalidInput(Msg("qr.used.bad_id", index=index, reason=err.message)) \
                from err
    return list(dict.fromkeys(checked))  # an id sent twice is one unit


def _used_reason(raw: Any) -> str:
    if raw is None:
        raise InvalidInput(Msg("qr.used.reason_required"))
    if not isinstance(raw, str):
        raise InvalidInput(Msg("qr.used.reason_not_text"))
    reason = raw.strip()
    if not reason:
        raise InvalidInput(Msg("qr.used.reason_empty"))
    if len(reason) > MAX_USED_REASON_CHARS:
        raise InvalidInput(Msg("qr.used.reason_too_long", max_chars=MAX_USED_REASON_CHARS,
                               length=len(reason)))
    return reason


def _unknown_ids_message(unknown: tuple[str, ...]) -> Msg:
    """The first ten in the message (meant for a person); all of them go in the details."""
    return Msg("qr.used.unknown_ids", ids=_first_ten(unknown))


def _first_ten(ids_: Sequence[str]) -> str:
    return ", ".join(ids_[:10]) + (" ..." if len(ids_) > 10 else "")


def _file_stem(part_code: str | None, default: str) -> str:
    """A download's file name from a part code: HTTP headers carry only Latin-1, and
    browsers save ASCII names everywhere, so the qr_id prefix (ÇİVİ-M8 -> CIVI-M8)."""
    return ids.qr_id_prefix(part_code) if part_code else default
