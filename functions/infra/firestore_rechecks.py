"""The re-check backlog in Firestore, behind moderation.ports.RecheckStore.

Documents:
  moderation_rechecks/{key}  the re-check (key = the image's moderation record key): bucket,
                             name, generation, location {name, generation}, cause, state
                             waiting|queued|done, waitingFor, notBefore (waiting for an
                             account), queuedAt (first), lastQueuedAt, attempts, lastError,
                             restoreToken, restoreResult
  moderation_jobs/{key}      the upload's quota-ledger job (never shown to clients), shared
                             by the trigger and the re-check; scanned for uploads whose
                             trigger or re-check died mid-way
  image_moderation/{key}     the image's record: the re-check replaces `result` and keeps
                             the fallback as `firstResult`

Queries (indexes in firestore.indexes.json): waiting for the budget by queuedAt; waiting
for an account by notBefore; queued by lastQueuedAt; reserved by leaseUntil; counts per
state for the quota status.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from infra.firestore_calls import Conflict, Doc, FirestoreCalls, Write
from moderation.ports import Location, Recheck, RecheckState
from moderation.rechecks import ACCOUNT_WAITS, WAIT_FOR
from moderation.records import object_key, valid_document_id

RECHECKS_COLLECTION = "moderation_rechecks"
VERDICTS_COLLECTION = "image_verdicts"  # image_verdicts/{uid}/objects/{object_key(name)}
RECORDS_COLLECTION = "image_moderation"
UPLOAD_JOBS_COLLECTION = "moderation_jobs"  # the trigger's ledger jobs
_STATES: tuple[RecheckState, ...] = ("waiting", "queued", "reserved", "done")
# What a re-check waiting for the whole budget waits for (the others wait for an account).
BUDGET_WAITS = tuple(w for w in WAIT_FOR.values() if w not in ACCOUNT_WAITS)


class FirestoreRecheckStore:
    def __init__(self, client: firestore.Client, clock: Callable[[], datetime], *,
                 rpc_timeout_s: float = 10.0, unavailable_budget_s: float = 5.0) -> None:
        self._db = client
        self._clock = clock
        self._calls = FirestoreCalls(client, rpc_timeout_s=rpc_timeout_s,
                                     unavailable_budget_s=unavailable_budget_s,
                                     max_attempts=10)

    def _ref(self, key: str) -> firestore.DocumentReference:
        return self._db.collection(RECHECKS_COLLECTION).document(key)

    def add(self, recheck: Recheck) -> Recheck:
        now = self._clock()
        fields = _to_document(recheck) | {"queuedAt": recheck.queued_at or now,
                                          "lastQueuedAt": now, "attempts": 0}
        if self._calls.create_all([(self._ref(recheck.key), fields)]):
            return _from_document(recheck.key, fields)
        return self.get(recheck.key) or recheck

    def get(self, key: str) -> Recheck | None:
        (doc,) = self._calls.read_view([self._ref(key)])
        return _from_document(key, doc.data) if doc.data is not None else None

    def update(self, key: str, fields: dict[str, Any]) -> None:
        self._calls.with_retries(
            lambda timeout: self._ref(key).set(fields, merge=True, retry=None,
                                               timeout=timeout))

    def move_state(self, key: str, from_state: RecheckState, fields: dict[str, Any]) -> bool:
        (doc,) = self._calls.read_view([self._ref(key)])
        if doc.data is None or doc.data.get("state") != from_state:
            return False
        try:
            self._calls.commit_unchanged([(doc, fields)])
        except Conflict:
            return False
        return True

    def waiting(self, limit: int) -> list[Recheck]:
        return self._query(self._state("waiting")
                           .where(filter=FieldFilter("waitingFor", "in", list(BUDGET_WAITS)))
                           .order_by("queuedAt").limit(limit))

    def due(self, now: datetime, limit: int) -> list[Recheck]:
        return self._query(self._state("waiting")
                           .where(filter=FieldFilter("waitingFor", "in", list(ACCOUNT_WAITS)))
                           .where(filter=FieldFilter("notBefore", "<=", now))
                           .order_by("notBefore").order_by("queuedAt").limit(limit))

    def stale(self, before: datetime, limit: int) -> list[Recheck]:
        queued = (self._state("queued").where(filter=FieldFilter("lastQueuedAt", "<", before))
                  .order_by("lastQueuedAt").limit(limit))
        # A reserved re-check whose lease ran out: its worker died mid-way.
        reserved = (self._state("reserved")
                    .where(filter=FieldFilter("leaseUntil", "<", self._clock()))
                    .order_by("leaseUntil").limit(limit))
        return (self._query(queued) + self._query(reserved))[:limit]

    def interrupted(self, before: datetime, limit: int) -> list[Recheck]:
        query = (self._db.collection(UPLOAD_JOBS_COLLECTION)
                 .where(filter=FieldFilter("state", "==", "reserved"))
                 .where(filter=FieldFilter("leaseUntil", "<", before))
                 .order_by("leaseUntil").limit(limit))
        snaps = self._calls.with_retries(
            lambda timeout: list(query.stream(retry=None, timeout=timeout)))
        found = []
        for snap in snaps:
            data = snap.to_dict() or {}
            name, generation = data.get("name"), data.get("generation")
            if isinstance(name, str) and isinstance(generation, str):
                found.append(Recheck(
                    key=snap.id, bucket=str(data.get("bucket") or ""), name=name,
                    generation=generation, location=Location(name, generation),
                    cause="interrupted", uploader_uid=data.get("uploaderUid")))
        return found

    def upload_job_path(self, key: str) -> str:
        return f"{UPLOAD_JOBS_COLLECTION}/{key}"

    def save(self, key: str, record: dict[str, Any]) -> None:
        """moderation.ports.ModerationRecords: the uploader-readable record."""
        record_ref = self._db.collection(RECORDS_COLLECTION).document(key)
        verdict = self._verdict_ref(record)
        refs = [record_ref] if verdict is None else [record_ref, verdict]

        def plan(docs: list[Doc]) -> tuple[list[Write], None]:
            writes: list[Write] = [(docs[0], record)]
            if verdict is not None and is_latest(key, record, docs[0].data, docs[1].data):
                # The uploader's own copy at a path it can listen on before it exists.
                writes.append((docs[1], {**record, "recordKey": key}))
            return writes, None

        self._calls.optimistic(refs, plan)

    def backlog(self) -> dict[str, Any]:
        def count(query: firestore.Query) -> int:
            counted = query.count()
            result: Any = self._calls.with_retries(
                lambda timeout: counted.get(retry=None, timeout=timeout))  # type: ignore[call-arg]
            return int(result[0][0].value)

        oldest = self._query(self._state("waiting").order_by("queuedAt").limit(1)) + \
            self._query(self._state("queued").order_by("queuedAt").limit(1))
        stamps = [r.queued_at for r in oldest if r.queued_at is not None]
        # In progress: the uploads whose job is leased right now (to the trigger or a
        # re-check).
        in_progress = self._db.collection(UPLOAD_JOBS_COLLECTION).where(
            filter=FieldFilter("state", "==", "reserved"))
        return {"waiting": count(self._state("waiting")), "queued": count(self._state("queued")),
                "inProgress": count(in_progress),
                "oldestQueuedAt": min(stamps) if stamps else None}

    def record_verdict(self, key: str, record: dict[str, Any],
                       location: Location | None) -> None:
        result = record["result"]
        record_ref = self._db.collection(RECORDS_COLLECTION).document(key)

        def plan(docs: list[Doc]) -> tuple[list[Write], None]:
            (stored,) = docs
            fields: dict[str, Any] = {**record, "status": result.get("status"),
                                      "message": result.get("message"),
                                      "messages": result.get("messages"),
                                      "recheckedAt": self._clock(), "recheck": "done",
                                      "location": _location(location)}
            if stored.data is not None and "firstResult" not in stored.data:
                fields["firstResult"] = stored.data.get("result")
            return [(stored, fields)], None

        self._calls.optimistic([record_ref], plan)
        self._copy_for_uploader(key, record_ref)

    def claim_restore(self, key: str, token: str, name: str, job_path: str,
                      record_key: str, record_fields: dict[str, Any]) -> bool:
        recheck_ref = self._ref(key)
        job_ref = self._db.document(job_path)
        record_ref = self._db.collection(RECORDS_COLLECTION).document(record_key)

        def plan(docs: list[Doc]) -> tuple[list[Write], bool]:
            recheck, job, record = docs
            data = recheck.data or {}
            if data.get("restoreToken") != token or data.get("name") != name:
                return [], False
            now = self._clock()
            result = data.get("restoreResult") or {}
            writes: list[Write] = [(recheck, {"restoreToken": None, "restoredAt": now})]
            if job.data is None:
                writes.append((job, {**record_fields, "state": "done", "units": 0,
                                     "deliveries": 1, "result": result,
                                     "restoredFrom": key, "completedAt": now}))
            if record.data is None:
                writes.append((record, {**record_fields, "status": result.get("status"),
                                        "message": result.get("message"),
                                        "messages": result.get("messages"), "result": result,
                                        "restoredFrom": key, "completedAt": now}))
            return writes, True

        claimed = self._calls.optimistic([recheck_ref, job_ref, record_ref], plan)
        if claimed:
            self._copy_for_uploader(record_key, record_ref)
        return claimed

    def record(self, key: str) -> dict[str, Any] | None:
        (doc,) = self._calls.read_view([self._db.collection(RECORDS_COLLECTION).document(key)])
        return doc.data

    def uploader_verdict(self, uid: str, name: str) -> dict[str, Any] | None:
        ref = self._verdict_ref({"uploaderUid": uid, "name": name})
        if ref is None:
            return None
        (doc,) = self._calls.read_view([ref])
        return doc.data

    def _verdict_ref(self, record: dict[str, Any]) -> firestore.DocumentReference | None:
        """`image_verdicts/{uid}/objects/{sha256(object name)}`: the uploader's verdict at a
        path it can compute before uploading (None: no uploader, or a uid that is no
        document id)."""
        uid, name = record.get("uploaderUid"), record.get("name")
        if not isinstance(uid, str) or not isinstance(name, str) or not valid_document_id(uid):
            return None
        return self._db.document(verdict_path(uid, name))

    def _copy_for_uploader(self, key: str, record_ref: firestore.DocumentReference) -> None:
        """The record as it now stands, copied to the uploader's own path."""
        (record,) = self._calls.read_view([record_ref])
        if record.data is None:
            return
        verdict = self._verdict_ref(record.data)
        if verdict is None:
            return
        data = {**record.data, "recordKey": key}

        def plan(docs: list[Doc]) -> tuple[list[Write], None]:
            (copy,) = docs
            if not is_latest(key, data, data, copy.data):
                return [], None
            return [(copy, data)], None

        self._calls.optimistic([verdict], plan)

    # -- helpers ----------------------------------------------------------------------------

    def _state(self, state: RecheckState) -> firestore.Query:
        return self._db.collection(RECHECKS_COLLECTION).where(
            filter=FieldFilter("state", "==", state))

    def _query(self, query: firestore.Query) -> list[Recheck]:
        snaps = self._calls.with_retries(
            lambda timeout: list(query.stream(retry=None, timeout=timeout)))
        return [_from_document(s.id, s.to_dict() or {}) for s in snaps]


def verdict_path(uid: str, name: str) -> str:
    """The uploader's copy of the verdict on its object `name` (uid: a valid document id)."""
    return f"{VERDICTS_COLLECTION}/{uid}/objects/{object_key(name)}"


def is_latest(key: str, record: dict[str, Any], stored: dict[str, Any] | None,
            copy: dict[str, Any] | None) -> bool:
    """Whether the record of upload `key` may be the uploader's copy: the copy is of the same
    upload, or of an older generation at that name (a later verdict on an older upload,
    a person's or a re-check's, never replaces what the uploader reads of a newer one)."""
    if copy is None or copy.get("recordKey") in (None, key):
        return True
    generation = record.get("generation") or (stored or {}).get("generation")
    return _generation(generation) >= _generation(copy.get("generation"))


def _generation(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _location(location: Location | None) -> dict[str, str] | None:
    return {"name": location.name, "generation": location.generation} if location else None


def _to_document(recheck: Recheck) -> dict[str, Any]:
    return {"bucket": recheck.bucket, "name": recheck.name, "generation": recheck.generation,
            "location": _location(recheck.location), "cause": recheck.cause,
            "state": recheck.state, "waitingFor": recheck.waiting_for,
            "notBefore": recheck.not_before, "uploaderUid": recheck.uploader_uid}


def _from_document(key: str, data: dict[str, Any]) -> Recheck:
    where = data.get("location")
    location = (Location(str(where.get("name")), str(where.get("generation")))
                if isinstance(where, dict) and where.get("name") else None)
    state = data.get("state")
    attempts = data.get("attempts")
    return Recheck(key=key, bucket=str(data.get("bucket") or ""),
                   name=str(data.get("name") or ""),
                   generation=str(data.get("generation") or ""), location=location,
                   cause=str(data.get("cause") or ""),
                   state=state if state in _STATES else "queued",
                   waiting_for=data.get("waitingFor"), queued_at=data.get("queuedAt"),
                   attempts=attempts if isinstance(attempts, int) else 0,
                   uploader_uid=data.get("uploaderUid"),
                   restore_token=data.get("restoreToken"),
                   not_before=data.get("notBefore") if isinstance(data.get("notBefore"),
                                                                  datetime) else None)
