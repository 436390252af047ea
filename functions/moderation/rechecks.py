"""Deferred re-checks: an image that got a fallback outcome is judged by Vision later.

The trigger applies the fallback strategy at once (an upload never waits on capacity),
then hands the image here when the cause can pass: the reservation gave up under
contention, the ledger or Vision was unavailable, Vision was switched off, or the month's
budget was used up. The first two kinds go on the re-check queue with a delay and are
retried with back-off; the last two wait until a drain finds capacity (an admin turning
Vision back on, a reset, a raised limit, the next month, or a drain on demand), oldest
first and never more than the budget left.

A re-check reserves its unit through the same ledger, under its own job
(`moderation_rechecks/{key}`), so a redelivered task is counted once. Its verdict then
replaces the fallback in the record and in the object's metadata: a kept image that
Vision approves becomes approved, an image that "deny" quarantined goes back to its
original path (unless a newer upload holds it), and one that Vision rejects follows the
reject action.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from errors import InvalidInput, StoreUnavailable, Unavailable
from log_fields import log_fields
from messages import Msg, in_every_language
from moderation.outcome import UNITS_PER_IMAGE, Outcome, verdict_outcome
from moderation.placement import Placement
from moderation.ports import (
    ImageSource,
    Location,
    ObjectInfo,
    ObjectStore,
    QuotaLedger,
    Recheck,
    RecheckQueue,
    RecheckStore,
    SafeSearchClassifier,
    VisionUnavailable,
)
from moderation.quota import month_key
from moderation.settings import VisionSettings

log = logging.getLogger(__name__)

# Causes that only capacity cures: wait for a drain instead of retrying on a timer.
WAIT_FOR = {"disabled": "vision_enabled", "quota_exhausted": "budget"}
# Causes Vision will not judge better later.
NOT_RECHECKED = frozenset({"bad_image", "spoofed_content_type", "too_large"})
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
                 classifier: SafeSearchClassifier, objects: ObjectStore,
                 placement: Placement, clock: Callable[[], datetime], tz: ZoneInfo,
                 retry_delay_s: float = 30.0, stale_after_s: float = 1800.0,
                 drain_batch: int = 200) -> None:
        self._store = store
        self._queue = queue
        self._ledger = ledger
        self._vision = classifier
        self._objects = objects
        self._placement = placement
        self._clock = clock
        self._tz = tz
        self._retry_delay_s = retry_delay_s
        self._stale_after = timedelta(seconds=stale_after_s)
        self._drain_batch = drain_batch

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
                          uploader_uid=uploader_uid)
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
            judged = recheck.state != "done" and self._store.judged(recheck.key)
        except StoreUnavailable as err:
            raise Unavailable(Msg("moderation.recheck.database_down")) from err
        if recheck.state == "done":
            return "done"
        if judged:
            # A later delivery of the upload got Vision's verdict (the first could not even
            # record its fallback): judging it again would count it twice.
            self._store.update(recheck.key, {"state": "done", "completedAt": self._clock(),
                                             "result": {"status": "already_judged"}})
            return "already_judged"
        at = self._locate(recheck)
        if at is None:
            self._store.update(recheck.key, {"state": "done", "result": {"status": "gone"},
                                             "completedAt": self._clock()})
            return "gone"
        job = self._store.job_path(recheck.key)
        try:
            begin = self._ledger.begin(job, UNITS_PER_IMAGE, {
                "attempts": recheck.attempts + 1, "lastAttemptAt": self._clock()})
        except StoreUnavailable as err:
            raise Unavailable(Msg("moderation.recheck.quota_busy")) from err
        if begin.kind in ("busy", "done"):
            return begin.kind
        settings: VisionSettings = begin.settings
        if begin.kind in ("disabled", "exhausted"):
            waiting_for = "vision_enabled" if begin.kind == "disabled" else "budget"
            self._store.update(recheck.key, {"state": "waiting", "waitingFor": waiting_for})
            return "waiting"
        try:
            annotation = self._vision.classify(
                ImageSource(gcs_uri=f"gs://{recheck.bucket}/{at.name}"))
        except VisionUnavailable as err:
            if err.reason == "bad_image":
                self._ledger.complete(job, {"status": "bad_image", "cause": err.reason},
                                      release=True)
                return "bad_image"
            self._ledger.release(job, {"state": "queued", "lastError": err.reason,
                                       "lastQueuedAt": self._clock()})
            raise Unavailable(Msg("moderation.recheck.no_verdict", reason=err.reason)) \
                from err
        outcome = verdict_outcome(annotation, settings)
        result = {**outcome.as_dict(), "monthKey": begin.month_key, "units": UNITS_PER_IMAGE,
                  "at": self._clock(), "recheck": True}
        final = self._place(recheck, at, outcome, settings, result)
        self._store.record_verdict(recheck.key, {**_description(recheck), "result": result},
                                   final)
        self._ledger.complete(job, result, release=False)
        log.info("re-checked gs://%s/%s: %s", recheck.bucket, recheck.name, outcome.status)
        return outcome.status

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
        extra = {RECHECK_META: "done"}
        if outcome.kept and at.name != recheck.name and self._placement.in_quarantine(at.name):
            token = uuid.uuid4().hex
            # Recorded before the copy exists, so its finalized event can be recognised.
            self._store.update(recheck.key, {"restoreToken": token, "restoreResult": result})
            restored = self._placement.restore(
                recheck.bucket, at, recheck.name,
                self._placement.metadata(outcome, {**extra, RECHECK_KEY_META: recheck.key,
                                                   RESTORE_TOKEN_META: token}))
            if restored is not None:
                return restored
            extra["moderationRestoreSkipped"] = "a newer upload holds the original path"
        return self._placement.apply(recheck.bucket, at, outcome, settings, extra)

    # -- drains and sweeps --------------------------------------------------------------

    def drain(self) -> int:
        """Queue the oldest waiting re-checks, as many as the month's budget has room for
        (none while Vision is off). Returns how many were queued."""
        settings = self._ledger.read_settings()
        if not settings.enabled:
            return 0
        used, _, _ = self._ledger.month_usage(month_key(self._clock(), self._tz))
        room = settings.monthly_limit - used
        if room <= 0:
            return 0
        queued = 0
        for recheck in self._store.waiting(min(room, self._drain_batch)):
            if self._store.move_state(recheck.key, "waiting", {
                    "state": "queued", "waitingFor": None, "lastQueuedAt": self._clock()}):
                self._enqueue(recheck, 0.0)
                queued += 1
        if queued:
            log.info("queued %d waiting re-checks (room for %d)", queued, room)
        return queued

    def sweep(self) -> dict[str, int]:
        """The scheduled safety net: re-enqueue re-checks whose task was lost, hand uploads
        whose trigger died mid-way to the re-check, then drain."""
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
            self._ledger.complete(self._store.upload_job_path(recheck.key), interrupted,
                                  release=True)
            self._store.save(recheck.key, {**_description(recheck), "result": interrupted,
                                           "status": "interrupted",
                                           "message": interrupted["message"],
                                           "messages": interrupted["messages"],
                                           "recheck": "pending"})
            self._store.add(recheck)
            self._enqueue(recheck, 0.0)
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
