"""The review queue in Firestore (moderation.ports.ReviewQueue), and the notices and audit
records the moderators' desk writes.

Documents:
  review_queue/{key}   one image a person must decide (moderation/review.py ReviewItem):
                       bucket, name, generation, location, cause, reason, status,
                       uploaderUid, enteredAt, state waiting|deciding|decided|settled,
                       listedUnder (the state, "waiting" while deciding),
                       priority (0: an appeal, 1), revision, scores, firstResult,
                       latestResult, claimedBy, claimedUntil, appeal, decision

Queries (indexes in firestore.indexes.json): by listedUnder (waiting, with the ones being
decided; decided; settled), then priority and enteredAt (appeals first, then the oldest),
optionally narrowed to a cause or an uploader. Every change is an
optimistic transaction on the image's own document (infra/firestore_calls.py): two
moderators claiming at once, or a re-check settling while a person decides, cannot both
win.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from infra.firestore_calls import Doc, FirestoreCalls, Write
from infra.firestore_rechecks import RECORDS_COLLECTION, is_latest, verdict_path
from moderation.records import valid_document_id
from moderation.review import (
    APPEAL_PRIORITY,
    CAUSES,
    CLAIM,
    ReviewItem,
    claim_answer,
    decision_refusal,
)

QUEUE_COLLECTION = "review_queue"
NOTIFICATIONS_COLLECTION = "admin_notifications"
# Which list an image shows in: "waiting" (state waiting, or deciding: a moderator is on
# it), "decided" or "settled". One equality filter, as an `in` over states costs a query
# per value.
LISTED = "listedUnder"


class FirestoreReviewQueue:
    def __init__(self, client: firestore.Client, clock: Callable[[], datetime], *,
                 rpc_timeout_s: float = 8.0, unavailable_budget_s: float = 5.0) -> None:
        self._db = client
        self._clock = clock
        self._calls = FirestoreCalls(client, rpc_timeout_s=rpc_timeout_s,
                                     unavailable_budget_s=unavailable_budget_s,
                                     max_attempts=20)

    def _ref(self, key: str) -> firestore.DocumentReference:
        return self._db.collection(QUEUE_COLLECTION).document(key)

    # -- the machine's side --------------------------------------------------------------

    def enter(self, item: ReviewItem) -> None:
        def plan(docs: list[Doc]) -> tuple[list[Write], None]:
            (doc,) = docs
            if doc.data is None:
                return [(doc, _to_document(item))], None
            state = doc.data.get("state")
            if state == "decided":
                return [], None  # a person's decision stands
            fields: dict[str, Any] = {
                "location": item.location, "cause": item.cause, "reason": item.reason,
                "status": item.status, "scores": item.scores,
                "latestResult": item.latest_result,
                "revision": int(doc.data.get("revision") or 0) + 1}
            if state == "settled":
                fields |= {**_state("waiting"), "enteredAt": item.entered_at}
            return [(doc, fields)], None

        self._calls.optimistic([self._ref(item.key)], plan)

    def settle(self, key: str, result: dict[str, Any]) -> bool:
        def plan(docs: list[Doc]) -> tuple[list[Write], bool]:
            (doc,) = docs
            if doc.data is None:
                return [], True
            if doc.data.get("state") in ("decided", "deciding"):
                return [], False
            return [(doc, {**_state("settled"), "latestResult": result,
                           "settledAt": self._clock(), "claimedBy": None,
                           "revision": int(doc.data.get("revision") or 0) + 1})], True

        return self._calls.optimistic([self._ref(key)], plan)

    # -- the moderators' side ------------------------------------------------------------

    def get(self, key: str) -> ReviewItem | None:
        (doc,) = self._calls.read_view([self._ref(key)])
        return _from_document(key, doc.data) if doc.data is not None else None

    def page(self, state: str, cause: str | None, uploader: str | None, after: str | None,
             limit: int) -> list[ReviewItem]:
        query = self._db.collection(QUEUE_COLLECTION).where(
            filter=FieldFilter(LISTED, "==", state))
        if cause is not None:
            query = query.where(filter=FieldFilter("cause", "==", cause))
        if uploader is not None:
            query = query.where(filter=FieldFilter("uploaderUid", "==", uploader))
        query = query.order_by("priority").order_by("enteredAt").order_by("__name__")
        if after is not None:
            (last,) = self._calls.read_view([self._ref(after)])
            if last.data is not None:
                query = query.start_after({"priority": last.data.get("priority"),
                                           "enteredAt": last.data.get("enteredAt"),
                                           "__name__": self._ref(after)})
        return [_from_document(s.id, s.to_dict() or {})
                for s in self._calls.query(query.limit(limit))]

    def claim(self, key: str, who: str, now: datetime) -> str:
        def plan(docs: list[Doc]) -> tuple[list[Write], str]:
            (doc,) = docs
            item = _from_document(key, doc.data) if doc.data is not None else None
            answer = claim_answer(item, who, now)
            if answer != "claimed":
                return [], answer
            assert item is not None
            return [(doc, {"claimedBy": who, "claimedUntil": now + CLAIM,
                           "claimedRevision": item.revision})], answer

        return self._calls.optimistic([self._ref(key)], plan)

    def start_decision(self, key: str, who: str, revision: int, now: datetime
                       ) -> ReviewItem | str:
        def plan(docs: list[Doc]) -> tuple[list[Write], ReviewItem | str]:
            (doc,) = docs
            item = _from_document(key, doc.data) if doc.data is not None else None
            refusal = decision_refusal(item, who, revision, now)
            if refusal is not None or item is None:
                return [], refusal or "missing"
            return [(doc, {**_state("deciding"), "claimedBy": who,
                           "claimedUntil": now + CLAIM})], item

        return self._calls.optimistic([self._ref(key)], plan)

    def finish_decision(self, key: str, who: str, decision: dict[str, Any],
                        location: dict[str, str] | None, record: dict[str, Any]) -> None:
        """The decision on the queue document and in the uploader's records, in one
        commit (the uploader's copy only while it is of this upload or an older one)."""
        uid = record.get("uploaderUid")
        copy_ref = (self._db.document(verdict_path(uid, str(record.get("name"))))
                    if isinstance(uid, str) and valid_document_id(uid) else None)
        refs = [self._ref(key), self._db.collection(RECORDS_COLLECTION).document(key),
                *([copy_ref] if copy_ref is not None else [])]

        def plan(docs: list[Doc]) -> tuple[list[Write], None]:
            doc, stored, *copy = docs
            if doc.data is None or doc.data.get("claimedBy") != who:
                return [], None
            writes: list[Write] = [
                (doc, {**_state("decided"), "decision": decision, "location": location,
                       "claimedBy": None, "claimedUntil": None,
                       "revision": int(doc.data.get("revision") or 0) + 1}),
                (stored, record)]
            if copy and is_latest(key, record, stored.data, copy[0].data):
                writes.append((copy[0], {**(stored.data or {}), **record, "recordKey": key}))
            return writes, None

        self._calls.optimistic(refs, plan)

    def appeal(self, item: ReviewItem, explanation: str, now: datetime) -> str:
        """The appeal on the queue document and on the uploader's records, in one commit."""
        appeal = {"explanation": explanation, "at": now}
        record = self._db.collection(RECORDS_COLLECTION).document(item.key)
        copy = self._db.document(verdict_path(str(item.uploader_uid), item.name))

        def plan(docs: list[Doc]) -> tuple[list[Write], str]:
            doc, stored, uploaders = docs
            if doc.data is None:
                fields = _to_document(replace(item, appeal=appeal, entered_at=now,
                                              priority=APPEAL_PRIORITY))
            elif doc.data.get("appeal"):
                return [], "already"
            elif doc.data.get("state") == "decided":
                return [], "decided"
            else:
                fields = {"appeal": appeal, "priority": APPEAL_PRIORITY,
                          "revision": int(doc.data.get("revision") or 0) + 1}
                if doc.data.get("state") == "settled":
                    fields |= {**_state("waiting"), "enteredAt": now}
            shown = {"appeal": {**appeal, "state": "waiting"}}
            writes: list[Write] = [(doc, fields)]
            if stored.data is not None:
                writes.append((stored, shown))
            if uploaders.data is not None and uploaders.data.get("recordKey") == item.key:
                writes.append((uploaders, shown))
            return writes, "appealed"

        return self._calls.optimistic([self._ref(item.key), record, copy], plan)

    def backlog(self) -> dict[str, Any]:
        def count(query: Any) -> int:
            counted = query.count()
            result: Any = self._calls.with_retries(
                lambda timeout: counted.get(retry=None, timeout=timeout))
            return int(result[0][0].value)

        waiting = self._db.collection(QUEUE_COLLECTION).where(
            filter=FieldFilter(LISTED, "==", "waiting"))
        by_cause = {cause: count(waiting.where(filter=FieldFilter("cause", "==", cause)))
                    for cause in CAUSES}
        appeals = count(waiting.where(filter=FieldFilter("priority", "==", APPEAL_PRIORITY)))
        oldest = self._calls.query(waiting.order_by("enteredAt").limit(1))
        return {"byCause": by_cause, "appeals": appeals,
                "oldestAt": (oldest[0].to_dict() or {}).get("enteredAt") if oldest else None}


class FirestoreNotices:
    """moderation.ports.Notices: an admin notification with a fixed id, created once."""

    def __init__(self, client: firestore.Client) -> None:
        self._db = client
        self._calls = FirestoreCalls(client, rpc_timeout_s=8.0, unavailable_budget_s=5.0,
                                     max_attempts=1)

    def post_once(self, notice_id: str, fields: dict[str, Any]) -> bool:
        return self._calls.create_all(
            [(self._db.collection(NOTIFICATIONS_COLLECTION).document(notice_id), fields)])


def _state(state: str) -> dict[str, str]:
    return {"state": state, LISTED: "waiting" if state == "deciding" else state}


def _to_document(item: ReviewItem) -> dict[str, Any]:
    return {"bucket": item.bucket, "name": item.name, "generation": item.generation,
            "location": item.location, "cause": item.cause, "reason": item.reason,
            "status": item.status, "uploaderUid": item.uploader_uid,
            "enteredAt": item.entered_at, **_state(item.state), "priority": item.priority,
            "revision": item.revision, "scores": item.scores,
            "firstResult": item.first_result, "latestResult": item.latest_result,
            "claimedBy": item.claimed_by, "claimedUntil": item.claimed_until,
            "appeal": item.appeal, "decision": item.decision}


def _from_document(key: str, data: dict[str, Any]) -> ReviewItem:
    state = data.get("state")
    return ReviewItem(
        key=key, bucket=str(data.get("bucket") or ""), name=str(data.get("name") or ""),
        generation=str(data.get("generation") or ""), location=data.get("location"),
        cause=str(data.get("cause") or ""), reason=data.get("reason"),
        status=str(data.get("status") or ""), uploader_uid=data.get("uploaderUid"),
        entered_at=data["enteredAt"],
        state=state if state in ("waiting", "deciding", "decided", "settled") else "waiting",
        priority=int(data.get("priority") or 0), revision=int(data.get("revision") or 1),
        scores=data.get("scores"), first_result=data.get("firstResult"),
        latest_result=data.get("latestResult"), claimed_by=data.get("claimedBy"),
        claimed_revision=data.get("claimedRevision"),
        claimed_until=data.get("claimedUntil"), appeal=data.get("appeal"),
        decision=data.get("decision"))
