"""The moderators' desk: list the review queue, claim images, decide them, look at one.

A decision is carried out image by image and answered image by image. The queue document
is marked "deciding" by the moderator first (moderation/review.py decision_refusal: a
claim of another moderator, a decision already made, an image changed since it was listed
are refused for that image only), then the image is moved or deleted in Cloud Storage, then
the records are written and the queue document is closed. If anything fails mid-way the
image stays "deciding" for that moderator, who may send the same decision again; every
step is safe to repeat.

  approve  a quarantined image goes back to where it was uploaded (never over a newer
           upload: then it stays in quarantine, approved), with a fresh download link if it
           had one; an image kept in place is marked approved. Both carry
           moderationDecidedBy=person in their metadata.
  reject   follows the reject action: delete, keep in quarantine, or flag in place.

The upload's quota-ledger job is finished for good and its re-check closed, so no later
Vision verdict replaces the person's decision (moderation/review_intake.py). Each decision
is audited in admin_actions.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any, TypeVar

from errors import InvalidInput, StoreUnavailable
from identity import Caller, require_moderator
from messages import Msg, in_every_language
from moderation.outcome import person_outcome
from moderation.paid_vision import PaidVision
from moderation.placement import Placement
from moderation.ports import (
    AccountDirectory,
    Location,
    Notices,
    ObjectInfo,
    ObjectStore,
    ObjectStoreFailed,
    Recheck,
    ReviewPreviews,
    ReviewQueue,
)
from moderation.rechecks import RECHECK_KEY_META, RECHECK_META, ModerationRechecks
from moderation.review import (
    CLAIM,
    DecisionRequest,
    ReviewItem,
    parse_decisions,
    parse_keys,
    parse_page,
    refusal_message,
)
from moderation.settings import VisionSettings
from roles.ports import AuditLog

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")

DECIDED_BY_META = "moderationDecidedBy"
PREVIEW_MAX_BYTES = 20 * 1024 * 1024
# Images decided (or claimed) at once: each is a dozen round trips to Firestore and Cloud
# Storage, so a batch of 100 one after the other would take seconds.
PARALLEL_DECISIONS = 10
SLA_NOTICE_KIND = "review_sla"


class ReviewDesk:
    def __init__(self, *, queue: ReviewQueue, rechecks: ModerationRechecks,
                 paid: PaidVision, objects: ObjectStore,
                 placement: Placement, previews: ReviewPreviews, notices: Notices,
                 audit: AuditLog, job_path: Callable[[str], str],
                 clock: Callable[[], datetime], sla: timedelta,
                 directory: AccountDirectory | None = None) -> None:
        self._queue = queue
        self._rechecks = rechecks
        self._paid = paid
        self._objects = objects
        self._placement = placement
        self._previews = previews
        self._notices = notices
        self._audit = audit
        self._job_path = job_path
        self._clock = clock
        self._sla = sla
        self._directory = directory

    # -- list, claim ---------------------------------------------------------------------

    def list_queue(self, caller: Caller | None, data: Any) -> dict[str, Any]:
        """`list_review_queue` {state?, cause?, uploader?, after?, limit<=100}: appeals
        first, then the oldest; `next` is the `after` of the following page."""
        require_moderator(caller)
        page = parse_page(data)
        # One more than asked: `next` only when there is a next page.
        found = self._queue.page(page.state, page.cause, page.uploader, page.after,
                                 page.limit + 1)
        items = found[:page.limit]
        now = self._clock()
        listed = []
        for item in items:
            entry = item.listing(now)
            if entry["claimedBy"]:
                entry["claimedByEmail"] = self._email(entry["claimedBy"])
            listed.append(entry)
        return {"items": listed, "next": items[-1].key if len(found) > page.limit else None}

    def claim(self, caller: Caller | None, data: Any) -> dict[str, Any]:
        """`claim_reviews` {keys<=50}: ten minutes for this moderator alone. A claim held by
        someone else is reported, never taken over."""
        who = require_moderator(caller).uid
        keys = parse_keys(data)
        now = self._clock()

        def claim_one(key: str) -> dict[str, Any]:
            answer = self._queue.claim(key, who, now)
            entry: dict[str, Any] = {"key": key, "claimed": answer == "claimed"}
            if answer != "claimed":
                item = self._queue.get(key) if answer == "held" else None
                entry |= {"reason": answer, **_said(refusal_message(answer, item)),
                          **self._holder(item)}
            return entry

        results = in_parallel(claim_one, keys, PARALLEL_DECISIONS)
        return {"results": results, "claimedUntil": (now + CLAIM).isoformat()}

    def _holder(self, item: ReviewItem | None) -> dict[str, Any]:
        """Who holds a claim on the image, and until when (nothing when nobody does)."""
        if item is None or item.claimed_by is None or item.claimed_until is None:
            return {}
        return {"claimedBy": item.claimed_by, "claimedByEmail": self._email(item.claimed_by),
                "claimedUntil": item.claimed_until.isoformat()}

    def _email(self, uid: str) -> str | None:
        """A moderator's address for the others to read (Firebase Auth, cached)."""
        facts = self._directory.facts(uid) if self._directory is not None else None
        return facts.email if facts is not None else None

    # -- decide --------------------------------------------------------------------------

    def decide(self, caller: Caller | None, data: Any) -> dict[str, Any]:
        """`decide_reviews` {decisions: [{key, decision, revision?, note?}] <= 100}, answered
        image by image, several at a time. If the database cannot be reached for any of
        them, the call fails as a whole (UNAVAILABLE: nothing was decided); if it fails
        for some, those are answered as not done."""
        caller = require_moderator(caller)
        requests = parse_decisions(data)
        settings = self._paid.current_settings()
        outcomes = in_parallel(lambda request: self._decide_one(caller, request, settings),
                               requests, PARALLEL_DECISIONS)
        failed = [o for o in outcomes if isinstance(o, StoreUnavailable)]
        if len(failed) == len(outcomes):
            raise failed[0].saying(Msg("review.store_down"))
        results = [o if not isinstance(o, StoreUnavailable) else
                   {"key": r.key, "ok": False, "reason": "unavailable",
                    **_said(Msg("review.store_down"))} for r, o in zip(requests, outcomes,
                                                                       strict=True)]
        return {"results": results, "decided": sum(1 for r in results if r["ok"])}

    def _decide_one(self, caller: Caller, request: DecisionRequest,
                    settings: VisionSettings) -> dict[str, Any] | StoreUnavailable:
        try:
            return self._decide(caller, request, settings)
        except StoreUnavailable as err:
            return err

    def _decide(self, caller: Caller, request: DecisionRequest, settings: VisionSettings
                ) -> dict[str, Any]:
        now = self._clock()
        started = self._queue.start_decision(request.key, caller.uid, request.revision, now)
        if isinstance(started, str):
            item = self._queue.get(request.key) if started == "held" else None
            return {"key": request.key, "ok": False, "reason": started,
                    **_said(refusal_message(started, item)), **self._holder(item)}
        item = started
        try:
            location, said, result = self._carry_out(item, request, settings)
        except ObjectStoreFailed as err:
            log.warning("could not carry out the decision on gs://%s/%s: %s", item.bucket,
                        item.name, err)
            return {"key": item.key, "ok": False, "reason": "storage_unavailable",
                    **_said(Msg("review.storage_down"))}
        decided = {"decision": request.decision, "by": caller.uid, "byEmail": caller.email,
                   "at": now, "note": request.note, "outcome": said.code}
        record = {} if result is None else {
            **_description(item), "status": result["status"], "message": result["message"],
            "messages": result["messages"], "result": result, "location": _location(location),
            "decidedBy": "person", "review": result["review"], "recheck": None,
            "firstResult": item.first_result,
            **({"appeal": {**item.appeal, "state": "decided"}} if item.appeal else {})}
        self._queue.finish_decision(item.key, caller.uid, decided, _location(location),
                                    record)
        self._audit.record("review_decision", caller,
                           target={"key": item.key, "bucket": item.bucket, "name": item.name,
                                   "uploaderUid": item.uploader_uid},
                           before={"status": item.status, "cause": item.cause,
                                   "location": item.location,
                                   "appealed": item.appeal is not None},
                           after={"decision": request.decision, "note": request.note,
                                  "location": _location(location),
                                  "outcome": said.code})
        return {"key": item.key, "ok": said.code != "review.gone",
                "decision": request.decision, "location": _location(location),
                **_said(said)}

    def _carry_out(self, item: ReviewItem, request: DecisionRequest,
                   settings: VisionSettings
                   ) -> tuple[Location | None, Msg, dict[str, Any] | None]:
        """Act on the object and finish its ledger job. Returns where the image is now,
        what to tell the moderator, and the decision's result (None: nothing decided)."""
        found = self._where(item, request)
        if found is None and request.decision == "approve":
            return None, Msg("review.gone"), None
        outcome = person_outcome(request.decision)
        now = self._clock()
        review = {"decision": request.decision, "decidedAt": now,
                  "message": str(outcome.message),
                  "messages": in_every_language(outcome.message)}
        result = {**outcome.as_dict(), "at": now, "units": 0, "review": review}
        extra: dict[str, str | None] = {DECIDED_BY_META: "person", RECHECK_META: None}
        location: Location | None = None
        said = Msg("review.rejected_deleted")
        if found is not None:
            at, current = Location(found.name, found.generation), found.metadata
            if outcome.kept and self._placement.in_quarantine(at.name) \
                    and at.name != item.name:
                recheck = _recheck(item, at)
                self._rechecks.decided_by_person(recheck, result)
                location = self._rechecks.put_back(
                    recheck, at, self._placement.metadata(outcome, extra), result,
                    current=current)
                said = Msg("review.restored")
                if location is None:
                    said = Msg("review.restore_skipped")
                    location = self._placement.apply(item.bucket, at, outcome, settings,
                                                     extra, current=current)
            else:
                self._rechecks.decided_by_person(_recheck(item, at), result)
                location = self._placement.apply(item.bucket, at, outcome, settings, extra,
                                                 current=current)
                said = _rejection_said(location, self._placement) if not outcome.kept \
                    else Msg("review.approved")
        # Final in the ledger: a re-check that comes later finds the job done.
        self._paid.record_unjudged(self._job_path(item.key), result, _description(item))
        return location, said, result

    def _where(self, item: ReviewItem, request: DecisionRequest) -> ObjectInfo | None:
        """The image now: where the queue says, or, when an earlier attempt of the same
        decision moved it before it could be recorded, where that attempt put it."""
        where = item.location
        if where:
            found = self._objects.stat(item.bucket, where["name"])
            if found is not None and found.generation == where["generation"]:
                return found
        if request.decision == "approve":
            found = self._objects.stat(item.bucket, item.name)
            if found is not None and found.metadata.get(RECHECK_KEY_META) == item.key \
                    and found.metadata.get(DECIDED_BY_META) == "person":
                return found
        return None

    # -- look at one ---------------------------------------------------------------------

    def preview(self, caller: Caller | None, key: Any, reveal: bool) -> bytes:
        """`review_image`: a JPEG of at most 512 px of a queued image, blurred unless
        `reveal` (which is audited). A placeholder when it cannot be read."""
        caller = require_moderator(caller)
        if not isinstance(key, str) or len(key) != 64:
            raise InvalidInput(Msg("review.preview_key"))
        item = self._queue.get(key)
        if item is None:
            raise InvalidInput(Msg("review.missing"))
        content = b""
        if item.location:
            try:
                content = self._objects.head(item.bucket, item.location["name"],
                                             PREVIEW_MAX_BYTES + 1)
            except ObjectStoreFailed as err:
                log.warning("could not read gs://%s/%s for a preview: %s", item.bucket,
                            item.location["name"], err)
        if reveal:
            self._audit.record("review_reveal", caller,
                               target={"key": item.key, "name": item.name,
                                       "uploaderUid": item.uploader_uid},
                               before={}, after={"revealed": True})
        if len(content) > PREVIEW_MAX_BYTES:
            content = b""
        return self._previews.preview(content, reveal=reveal)

    # -- keeping up ----------------------------------------------------------------------

    def status(self, caller: Caller | None, _data: Any = None) -> dict[str, Any]:
        """`get_review_status`: the backlog, for moderators and admins."""
        require_moderator(caller)
        return self.backlog()

    def backlog(self) -> dict[str, Any]:
        """What waits for a person: counts by cause, appeals, the oldest and its age."""
        backlog = self._queue.backlog()
        oldest = backlog.get("oldestAt")
        age = (self._clock() - oldest).total_seconds() if oldest else None
        return {"byCause": backlog["byCause"], "appeals": backlog["appeals"],
                "waiting": sum(backlog["byCause"].values()),
                "oldestAt": oldest.isoformat() if oldest else None,
                "oldestWaitingHours": round(age / 3600, 1) if age is not None else None,
                "slaHours": self._sla.total_seconds() / 3600,
                "overdue": age is not None and age > self._sla.total_seconds()}

    def check_sla(self) -> bool:
        """The scheduled check: when the oldest waiting image has waited longer than the
        SLA, tell the moderators, once a day. True when a notice was posted."""
        backlog = self.backlog()
        if not backlog["overdue"]:
            return False
        now = self._clock()
        return self._notices.post_once(f"{SLA_NOTICE_KIND}_{now:%Y_%m_%d}", {
            "kind": SLA_NOTICE_KIND, "audience": "moderators", "at": now, "read": False,
            "waiting": backlog["waiting"], "appeals": backlog["appeals"],
            "oldestAt": backlog["oldestAt"],
            "oldestWaitingHours": backlog["oldestWaitingHours"],
            "slaHours": backlog["slaHours"]})


def in_parallel(work: Callable[[T], R], items: list[T], workers: int) -> list[R]:
    """`work` on each item, `workers` at a time, the answers in the items' order; each runs
    in a copy of the caller's context (its request deadline, its log fields). An exception
    propagates as it would in a loop."""
    if len(items) <= 1:
        return [work(item) for item in items]
    contexts = [contextvars.copy_context() for _ in items]
    with ThreadPoolExecutor(min(workers, len(items))) as pool:
        return list(pool.map(lambda pair: pair[0].run(work, pair[1]), zip(contexts, items,
                                                                          strict=True)))


def _said(message: Msg) -> dict[str, Any]:
    """A per-image answer: its code, and its text in the caller's language (rendered by the
    boundary, infra/http_boundary.py render_tree)."""
    return {"code": message.code, "message": message}


def _rejection_said(location: Location | None, placement: Placement) -> Msg:
    if location is None:
        return Msg("review.rejected_deleted")
    if placement.in_quarantine(location.name):
        return Msg("review.rejected_kept")
    return Msg("review.rejected_flagged")


def _description(item: ReviewItem) -> dict[str, Any]:
    return {"bucket": item.bucket, "name": item.name, "generation": item.generation,
            "uploaderUid": item.uploader_uid}


def _recheck(item: ReviewItem, at: Location) -> Recheck:
    return Recheck(key=item.key, bucket=item.bucket, name=item.name,
                   generation=item.generation, location=at, cause="review", state="done",
                   uploader_uid=item.uploader_uid)


def _location(location: Location | None) -> dict[str, str] | None:
    return {"name": location.name, "generation": location.generation} if location else None
