"""Deferred re-checks: an image that got a fallback outcome is judged by Vision later.

The trigger applies the fallback strategy at once (an upload never waits on capacity),
then hands the image here when the cause can pass: the reservation gave up under
contention, the ledger or Vision was unavailable, Vision was switched off, the month's
budget or the account's allowance was used up, or the account is flagged. The first two
kinds go on the re-check queue with a delay and are retried with back-off; the others wait
until a drain finds capacity (an admin turning Vision back on, a reset, a raised limit,
the next month, the account's allowance renewing, its flag lifted, or a drain on demand),
oldest first and never more than the budget (or the account's allowance) left.

A re-check judges the image through moderation/paid_vision.py under the upload's own job
(`moderation_jobs/{key}`, shared with the trigger and its redeliveries), so however many
deliveries, tasks and sweeps reach one object generation it is judged and paid for once.
`moderation_rechecks/{key}` is the backlog entry only. Its verdict then
replaces the fallback in the record and in the object's metadata: a kept image that
Vision approves becomes approved, an image that "deny" quarantined goes back to its
original path (unless a newer upload holds it), and one that Vision rejects follows the
reject action.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from errors import InvalidInput, StoreUnavailable, Unavailable
from log_fields import log_fields
from messages import Msg, in_every_language
from moderation.accounts import Spenders
from moderation.image_reader import ImageReader
from moderation.outcome import Outcome
from moderation.paid_vision import Judgement, PaidVision
from moderation.placement import Metadata, Placement
from moderation.ports import (
    ImageTooComplex,
    Location,
    ObjectInfo,
    ObjectStore,
    QuotaLedger,
    Recheck,
    RecheckQueue,
    RecheckStore,
)
from moderation.quota import month_key
from moderation.review_intake import ReviewIntake
from moderation.settings import VisionSettings

log = logging.getLogger(__name__)

# Causes that only capacity cures: wait for a drain instead of retrying on a timer. The
# first two wait for the whole budget, the last two for one account.
WAIT_FOR = {"disabled": "vision_enabled", "quota_exhausted": "budget",
            "account_allowance": "account_allowance", "account_flagged": "account_flagged"}
ACCOUNT_WAITS = frozenset({"account_allowance", "account_flagged"})
# Causes Vision will not judge better later (a flagged account's image waits for a person).
NOT_RECHECKED = frozenset({"bad_image", "spoofed_content_type", "too_large",
                           "account_flagged", "too_complex"})
# A flagged account's re-checks look again this often (an admin may have lifted the flag).
FLAGGED_RETRY = timedelta(hours=1)
# Object metadata that marks a restored image, so its finalized event is not judged (and
# paid for) a second time. The token is random and single-use.
RECHECK_KEY_META = "moderationRecheckKey"
RESTORE_TOKEN_META = "moderationRestoreToken"
RECHECK_META = "moderationRecheck"

_KEY = re.compile(r"[0-9a-f]{64}")
_GENERATION = re.compile(r"[1-9][0-9]{0,19}")


def is_rechecked(outcome: Outcome) -> bool:
    return (not outcome.checked and outcome.cause is not None
            and outcome.strategy is not None and outcome.cause not in NOT_RECHECKED)


class ModerationRechecks:
    def __init__(self, *, store: RecheckStore, queue: RecheckQueue, ledger: QuotaLedger,
                 paid: PaidVision, spenders: Spenders, reader: ImageReader,
                 objects: ObjectStore,
                 placement: Placement, clock: Callable[[], datetime], tz: ZoneInfo,
                 retry_delay_s: float = 30.0, stale_after_s: float = 1800.0,
                 drain_batch: int = 200, review: ReviewIntake | None = None) -> None:
        self._store = store
        self._queue = queue
        self._ledger = ledger
        self._paid = paid
        self._spenders = spenders
        self._reader = reader
        self._objects = objects
        self._placement = placement
        self._clock = clock
        self._tz = tz
        self._retry_delay_s = retry_delay_s
        self._stale_after = timedelta(seconds=stale_after_s)
        self._drain_batch = drain_batch
        self._review = review

    # -- from the trigger ---------------------------------------------------------------

    def schedule(self, key: str, obj: ObjectInfo, outcome: Outcome,
                 location: Location | None, uploader_uid: str | None) -> Recheck | None:
        """Remember an image that got a fallback outcome, and queue it when only time can
        help. Never raises: the image already has its fallback."""
        if not is_rechecked(outcome) or location is None:
            return None
        cause = str(outcome.cause)
        waiting_for = WAIT_FOR.get(cause)
        recheck = Recheck(key=key, bucket=obj.bucket, name=obj.name,
                          generation=obj.generation, location=location, cause=cause,
                          state="waiting" if waiting_for else "queued",
                          waiting_for=waiting_for, queued_at=self._clock(),
                          uploader_uid=uploader_uid,
                          not_before=outcome.renews_at if waiting_for in ACCOUNT_WAITS
                          else None)
        try:
            recheck = self._store.add(recheck)
        except StoreUnavailable as err:
            # The task carries everything the re-check needs; it records itself later.
            log.error("could not record the re-check of gs://%s/%s: %s", obj.bucket,
                      obj.name, err)
        if recheck.state == "queued":
            self._enqueue(recheck, self._retry_delay_s)
        log.info("gs://%s/%s will be re-checked (%s, %s)", obj.bucket, obj.name, cause,
                 recheck.state)
        return recheck

    def claim_restore(self, obj: ObjectInfo, job_path: str, record_key: str,
                      record_fields: dict[str, Any]) -> bool:
        """True when `obj` is an image a re-check put back: it is recorded as judged."""
        token = obj.metadata.get(RESTORE_TOKEN_META)
        key = obj.metadata.get(RECHECK_KEY_META)
        if not token or not key:
            return False
        try:
            return self._store.claim_restore(key, token, obj.name, job_path, record_key,
                                             record_fields)
        except StoreUnavailable as err:
            log.warning("could not check the restore token of gs://%s/%s: %s", obj.bucket,
                        obj.name, err)
            return False

    # -- the re-check task --------------------------------------------------------------

    def run(self, payload: Any) -> str:
        """Re-check one image. Returns what happened; raises Unavailable for the queue to
        retry later (with back-off) and InvalidInput for a task no retry can fix."""
        task = parse_task(payload)
        with log_fields(bucket=task.bucket, object=task.name, recheck=task.key):
            return self._run(task)

    def _run(self, task: Recheck) -> str:
        try:
            recheck = self._store.get(task.key) or self._store.add(task)
        except StoreUnavailable as err:
            raise Unavailable(Msg("moderation.recheck.database_down")) from err
        if recheck.state == "done":
            return "done"
        at = self._locate(recheck)
        if at is None:
            self._done(recheck, {"status": "gone"})
            return "gone"
        try:
            what = self._reader.to_judge(recheck.bucket, at.name, 0,
                                         self._reader.head(recheck.bucket, at.name))
        except ImageTooComplex as err:
            self._done(recheck, {"status": "too_complex", "reason": str(err)})
            return "too_complex"
        # The upload's own job: the trigger, its redeliveries and this re-check share it,
        # so the image is judged and paid for once whoever gets there first.
        judgement = self._paid.judge(
            self._store.upload_job_path(recheck.key), what.source,
            {**_description(recheck), "recheckAttempts": recheck.attempts + 1},
            self._spenders.for_uid(recheck.uploader_uid), after_fallback=True)
        if judgement.kind == "done":
            # Judged meanwhile (a later delivery of the upload got Vision's verdict).
            self._done(recheck, {"status": "already_judged"})
            return "already_judged"
        if judgement.kind == "busy":
            raise Unavailable(Msg("moderation.recheck.busy"))
        if judgement.kind == "fallback":
            return self._no_verdict(recheck, judgement)
        outcome = judgement.outcome
        assert outcome is not None
        result = {**outcome.as_dict(), "monthKey": judgement.month_key,
                  "units": self._paid.spent(judgement), "at": self._clock(), "recheck": True}
        if self._review is not None and not self._review.machine_may_settle(recheck.key,
                                                                            result):
            # A person decided the image (or is deciding it): the decision stands.
            self._paid.settle_verdict(judgement, result)
            self._done(recheck, {"status": "decided_by_person"})
            return "decided_by_person"
        final = self._place(recheck, at, outcome, judgement.settings, result)
        self._store.record_verdict(recheck.key, {**_description(recheck), "result": result},
                                   final)
        self._paid.settle_verdict(judgement, result)
        self._done(recheck, result)
        if self._review is not None:
            self._review.after_outcome(recheck.key, _description(recheck), result, final)
        log.info("re-checked gs://%s/%s: %s", recheck.bucket, recheck.name, outcome.status)
        return outcome.status

    def _no_verdict(self, recheck: Recheck, judgement: Judgement) -> str:
        """Settle the job again as a fallback (the first outcome stays), then wait for
        capacity, finish, or raise Unavailable for the queue to try again later."""
        cause = str(judgement.cause)
        now = self._clock()
        if cause == "bad_image":
            self._paid.settle_fallback(judgement, {"status": "bad_image", "cause": cause,
                                                   "checked": False}, final=True)
            self._done(recheck, {"status": "bad_image"})
            return "bad_image"
        if judgement.leased:  # (never begun: the ledger was down, there is nothing to settle)
            self._paid.settle_fallback(judgement, None)
        if cause in ("ledger_busy", "ledger_unavailable"):
            raise Unavailable(Msg("moderation.recheck.quota_busy"))
        waiting_for = WAIT_FOR.get(cause)
        if waiting_for is not None:
            not_before = (judgement.renews_at if cause == "account_allowance"
                          else now + FLAGGED_RETRY if cause == "account_flagged" else None)
            self._store.update(recheck.key, {
                "state": "waiting", "waitingFor": waiting_for, "notBefore": not_before,
                "attempts": recheck.attempts + 1, "lastAttemptAt": now})
            return "waiting"
        self._store.update(recheck.key, {"state": "queued", "lastError": cause,
                                         "attempts": recheck.attempts + 1,
                                         "lastAttemptAt": now, "lastQueuedAt": now})
        raise Unavailable(Msg("moderation.recheck.no_verdict", reason=cause))

    def _done(self, recheck: Recheck, result: dict[str, Any]) -> None:
        self._store.update(recheck.key, {"state": "done", "result": result,
                                         "completedAt": self._clock(),
                                         "attempts": recheck.attempts + 1})

    def _locate(self, recheck: Recheck) -> Location | None:
        """Where the image is now: where we left it, or back at its name if a restore
        finished before an earlier attempt could record it; None once it is gone."""
        if recheck.location is not None:
            found = self._objects.stat(recheck.bucket, recheck.location.name)
            if found is not None and found.generation == recheck.location.generation:
                return recheck.location
        if recheck.restore_token:
            found = self._objects.stat(recheck.bucket, recheck.name)
            if found is not None and found.metadata.get(RESTORE_TOKEN_META) == \
                    recheck.restore_token:
                return Location(recheck.name, found.generation)
        return None

    def _place(self, recheck: Recheck, at: Location, outcome: Outcome,
               settings: VisionSettings, result: dict[str, Any]) -> Location | None:
        extra: dict[str, str | None] = {RECHECK_META: "done"}
        if outcome.kept and at.name != recheck.name and self._placement.in_quarantine(at.name):
            restored = self.put_back(recheck, at, self._placement.metadata(outcome, extra),
                                     result)
            if restored is not None:
                return restored
            extra["moderationRestoreSkipped"] = "a newer upload holds the original path"
        return self._placement.apply(recheck.bucket, at, outcome, settings, extra)

    def put_back(self, recheck: Recheck, at: Location, metadata: Metadata,
                 result: dict[str, Any], current: Mapping[str, str] | None = None
                 ) -> Location | None:
        """Move a quarantined image back to where it was uploaded, on a verdict reached
        later (a re-check's, a person's; `current`: its metadata now, when the caller has
        it). A single-use token, recorded before the copy exists, lets the trigger
        recognise the copy's finalized event and not judge (or pay for) it again. None
        when a newer upload holds the path."""
        token = uuid.uuid4().hex
        self._store.update(recheck.key, {"restoreToken": token, "restoreResult": result})
        if current is None:
            held = self._objects.stat(recheck.bucket, at.name)
            current = held.metadata if held is not None else None
        return self._placement.restore(
            recheck.bucket, at, recheck.name,
            {**metadata, RECHECK_KEY_META: recheck.key, RESTORE_TOKEN_META: token},
            current=current)

    def decided_by_person(self, recheck: Recheck, result: dict[str, Any]) -> None:
        """A person decided the image: its re-check is done (made done if it had none, to
        carry a restore token), so no later Vision verdict replaces the decision."""
        self._store.update(recheck.key, {
            **_description(recheck), "state": "done", "waitingFor": None,
            "result": {"status": "decided_by_person", "decision": result.get("status")},
            "completedAt": self._clock()})

    # -- drains and sweeps --------------------------------------------------------------

    def drain(self) -> int:
        """Queue waiting re-checks, as many as the month's budget has room for (none while
        Vision is off): first those waiting for the budget, oldest first; then those whose
        account's allowance has renewed, each account's oldest first and no more than its
        allowance. Returns how many were queued."""
        settings = self._ledger.read_settings()
        if not settings.enabled:
            return 0
        used, _, _ = self._ledger.month_usage(month_key(self._clock(), self._tz))
        room = settings.monthly_limit - used
        if room <= 0:
            return 0
        queued = 0
        for recheck in self._store.waiting(min(room, self._drain_batch)):
            queued += self._queue_waiting(recheck)
        if room > queued:
            queued += self._drain_accounts(min(room - queued, self._drain_batch))
        if queued:
            log.info("queued %d waiting re-checks (room for %d)", queued, room)
        return queued

    def _drain_accounts(self, limit: int) -> int:
        now = self._clock()
        left: dict[str, tuple[int | None, datetime | None]] = {}
        queued = 0
        for recheck in self._store.due(now, limit):
            spender = self._spenders.for_uid(recheck.uploader_uid)
            if spender.account not in left:
                state = self._ledger.allowance(spender)
                room = 0 if state.skip_vision else state.room
                renews = now + FLAGGED_RETRY if state.skip_vision else state.renews_at
                left[spender.account] = (room, renews)
            room, renews = left[spender.account]
            if room is not None and room <= 0:
                # Not yet: look again when the account can spend, behind the others.
                self._store.update(recheck.key, {"notBefore": renews or now + FLAGGED_RETRY})
                continue
            if room is not None:
                left[spender.account] = (room - 1, renews)
            queued += self._queue_waiting(recheck)
        return queued

    def _queue_waiting(self, recheck: Recheck) -> int:
        if self._store.move_state(recheck.key, "waiting", {
                "state": "queued", "waitingFor": None, "notBefore": None,
                "lastQueuedAt": self._clock()}):
            self._enqueue(recheck, 0.0)
            return 1
        return 0

    def sweep(self) -> dict[str, int]:
        """The scheduled safety net: re-enqueue re-checks whose task was lost, hand uploads
        whose trigger (or re-check) died mid-way to the re-check, then drain."""
        requeued = 0
        for recheck in self._store.stale(self._clock() - self._stale_after,
                                         self._drain_batch):
            self._store.update(recheck.key, {"lastQueuedAt": self._clock()})
            self._enqueue(recheck, 0.0)
            requeued += 1
        rescued = 0
        for recheck in self._store.interrupted(self._clock(), self._drain_batch):
            # Its unit was reserved but Vision's answer never recorded: give it back, so the
            # re-check's own reservation is the only one counted.
            message = Msg("moderation.status.interrupted")
            interrupted = {"status": "interrupted", "checked": False, "cause": "interrupted",
                           "message": str(message), "messages": in_every_language(message),
                           "at": self._clock()}
            if not self._ledger.release(self._store.upload_job_path(recheck.key),
                                        interrupted):
                continue  # settled meanwhile
            existing = self._store.get(recheck.key)
            if existing is None:
                # The trigger died before recording anything: the uploader learns that a
                # verdict is still to come. (A re-check that died has its record already.)
                self._store.save(recheck.key, {**_description(recheck),
                                               "result": interrupted, "status": "interrupted",
                                               "message": interrupted["message"],
                                               "messages": interrupted["messages"],
                                               "recheck": "pending"})
                existing = self._store.add(recheck)
            self._enqueue(existing, 0.0)
            rescued += 1
        return {"requeued": requeued, "rescued": rescued, "drained": self.drain()}

    def backlog(self) -> dict[str, Any]:
        return self._store.backlog()

    def _enqueue(self, recheck: Recheck, delay_s: float) -> None:
        try:
            self._queue.enqueue(recheck.task(), delay_s)
        except Exception as err:  # the queue is another service; the sweep retries
            log.error("could not enqueue the re-check of gs://%s/%s (%s); the sweep will",
                      recheck.bucket, recheck.name, type(err).__name__)


def _description(recheck: Recheck) -> dict[str, Any]:
    """The upload's description in its record (the record may not exist yet: the trigger
    that should have written it died, or Firestore was down then)."""
    return {"bucket": recheck.bucket, "name": recheck.name, "generation": recheck.generation,
            "uploaderUid": recheck.uploader_uid}


def parse_task(payload: Any) -> Recheck:
    """A re-check task's payload (see Recheck.task) -> Recheck; InvalidInput otherwise."""
    if not isinstance(payload, dict):
        raise InvalidInput(Msg("moderation.recheck.task_not_object"))
    key, bucket, name = payload.get("key"), payload.get("bucket"), payload.get("name")
    generation, cause = payload.get("generation"), payload.get("cause")
    where = payload.get("location")
    if not (isinstance(key, str) and _KEY.fullmatch(key)):
        raise InvalidInput(Msg("moderation.recheck.key"))
    if not (isinstance(bucket, str) and bucket and isinstance(name, str) and name):
        raise InvalidInput(Msg("moderation.recheck.object"))
    if not (isinstance(generation, str) and _GENERATION.fullmatch(generation)):
        raise InvalidInput(Msg("moderation.recheck.generation"))
    if not isinstance(cause, str):
        raise InvalidInput(Msg("common.field_not_string", name="cause"))
    location = None
    if where is not None:
        if not (isinstance(where, dict) and isinstance(where.get("name"), str)
                and isinstance(where.get("generation"), str)
                and _GENERATION.fullmatch(where["generation"])):
            raise InvalidInput(Msg("moderation.recheck.location"))
        location = Location(where["name"], where["generation"])
    return Recheck(key=key, bucket=bucket, name=name, generation=generation,
                   location=location, cause=cause, state="queued")
