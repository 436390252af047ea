"""Judge an object that landed in Cloud Storage (the storage trigger's use case).

Every Vision call goes through moderation/paid_vision.py: the unit is reserved (and charged
to the uploader's account) before the call, under the job of the object's generation, which
the trigger's redeliveries and the deferred re-check share, so the monthly limit and the
allowances are never exceeded and an image is judged and counted once. When Vision is
disabled, the quota or the account's allowance is used up, Vision fails or the ledger is
unreachable or too busy, the fallback strategy decides at once (moderation/fallback.py:
deny, allow, warn, or the on-device model for local), and the image goes to the deferred
re-check (moderation/rechecks.py), which replaces the fallback with Vision's verdict when
there is capacity. A flagged account's image skips Vision and waits for a person. An error
never deletes an image.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from errors import StoreUnavailable
from log_fields import log_fields
from moderation.accounts import Spenders
from moderation.fallback import Fallback, ImageBytes
from moderation.image_reader import (
    LOCAL_MAX_IMAGE_BYTES,  # noqa: F401 (the limits live with the reader; named here too)
    VISION_MAX_IMAGE_BYTES,
    ImageReader,
)
from moderation.outcome import Outcome
from moderation.paid_vision import Judgement, PaidVision
from moderation.placement import Placement
from moderation.ports import (
    ImageTooComplex,
    Location,
    ModerationRecords,
    ObjectInfo,
)
from moderation.rechecks import RECHECK_META, ModerationRechecks, is_rechecked
from moderation.review_intake import ReviewIntake
from moderation.settings import VisionSettings
from moderation.verdict import SNIFF_BYTES, sniff_image_format

log = logging.getLogger(__name__)

# The quota ledger's job per upload (lease, deliveries, event id: never shown to clients);
# the uploader reads the record (`ModerationRecords`, image_moderation/{key}) instead.
JOB_COLLECTION = "moderation_jobs"
_IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".tif", ".tiff", ".ico",
                     ".heic", ".heif")
# The uid is any path segment (Firebase uids made by custom tokens may hold dots, "@" ...);
# storage.rules let only that uid write below it. Accounts are keyed safely from it
# (moderation/allowance.py account_key).
_UID_IN_PATH = re.compile(r"^(?:users|uploads|images)/([^/]{1,128})/")


def moderation_key(bucket: str, name: str, generation: str) -> str:
    """One record per object generation; hashed because names may hold '/'."""
    return hashlib.sha256(f"{bucket}\n{name}\n{generation}".encode()).hexdigest()


class UploadModeration:
    def __init__(self, *, paid: PaidVision, spenders: Spenders, fallback: Fallback,
                 reader: ImageReader, placement: Placement, rechecks: ModerationRechecks,
                 records: ModerationRecords, quarantine_prefix: str,
                 skip_prefixes: tuple[str, ...], clock: Callable[[], datetime],
                 review: ReviewIntake | None = None) -> None:
        self._paid = paid
        self._reader = reader
        self._spenders = spenders
        self._decide = fallback
        self._placement = placement
        self._rechecks = rechecks
        self._records = records
        self._quarantine = quarantine_prefix
        self._skip_prefixes = skip_prefixes
        self._clock = clock
        self._review = review

    def moderate_event(self, event_id: str, obj: ObjectInfo) -> Outcome | None:
        """Judge one finalized object; None when it is not ours to judge (logged why)."""
        with log_fields(bucket=obj.bucket, object=obj.name, generation=obj.generation,
                        event_id=event_id):
            return self._moderate(event_id, obj)

    def _moderate(self, event_id: str, obj: ObjectInfo) -> Outcome | None:
        skip = self._skip_reason(obj)
        if skip:
            log.info("moderation skipped gs://%s/%s: %s", obj.bucket, obj.name, skip)
            return None
        head = self._reader.head(obj.bucket, obj.name)
        if not head:
            log.info("moderation skipped gs://%s/%s: the object is gone", obj.bucket, obj.name)
            return None
        key = moderation_key(obj.bucket, obj.name, obj.generation)
        job = f"{JOB_COLLECTION}/{key}"
        uploader = _uploader_uid(obj)
        fields: dict[str, Any] = {
            "bucket": obj.bucket, "name": obj.name, "generation": obj.generation,
            "contentType": obj.content_type, "size": obj.size, "eventId": event_id,
            "uploaderUid": uploader,
        }
        if self._rechecks.claim_restore(obj, job, key, _record_fields(fields)):
            log.info("gs://%s/%s#%s is a re-checked image put back; already judged",
                     obj.bucket, obj.name, obj.generation)
            return None
        if sniff_image_format(head[:SNIFF_BYTES]) is None:
            # Claims to be an image but is not one: reject without paying for Vision.
            outcome = Outcome(status="rejected", checked=False, cause="spoofed_content_type",
                              reasons=(f"content is not an image (claimed {obj.content_type})",))
            return self._unjudged(job, obj, outcome, self._paid.current_settings(), fields)
        if obj.size > VISION_MAX_IMAGE_BYTES:
            current = self._paid.current_settings()
            outcome = self._decide.decide(current.fallback_strategy, "too_large",
                                          self._reader.object_bytes(obj.bucket, obj.name,
                                                                    obj.size))
            return self._unjudged(job, obj, outcome, current, fields)
        try:
            what = self._reader.to_judge(obj.bucket, obj.name, obj.size, head)
        except ImageTooComplex as err:
            log.warning("the frames of gs://%s/%s cannot be judged: %s", obj.bucket,
                        obj.name, err)
            outcome = Outcome(status="needs_review", checked=False, cause="too_complex",
                              reasons=(str(err),))
            return self._unjudged(job, obj, outcome, self._paid.current_settings(), fields)
        judgement = self._paid.judge(job, what.source, fields,
                                     self._spenders.for_uid(uploader))
        if judgement.kind == "done":
            log.info("gs://%s/%s#%s already moderated; delivery %s ignored",
                     obj.bucket, obj.name, obj.generation, event_id)
            return None
        if judgement.kind == "busy":
            log.info("gs://%s/%s#%s is being moderated by another delivery",
                     obj.bucket, obj.name, obj.generation)
            return None
        if judgement.kind == "fallback":
            return self._fallback(judgement, obj, fields, what.image)
        verdict = judgement.outcome
        assert verdict is not None
        location = self._apply(obj, verdict, judgement.settings)
        result = self._result(verdict, judgement)
        self._paid.settle_verdict(judgement, result)
        self._save_record(key, fields, verdict, result, location)
        return verdict

    def _skip_reason(self, obj: ObjectInfo) -> str | None:
        if obj.name.startswith(self._quarantine):
            return "it is in the quarantine prefix (our own output)"
        for prefix in self._skip_prefixes:
            if obj.name.startswith(prefix):
                return f"its prefix {prefix!r} is excluded from moderation"
        if obj.size == 0:
            return "it is empty (0 bytes)"
        content_type = (obj.content_type or "").lower()
        if not content_type.startswith("image/") and not obj.name.lower().endswith(
                _IMAGE_EXTENSIONS):
            return f"it is not an image (content type {obj.content_type or 'unknown'})"
        if content_type.startswith("image/svg"):
            return "SVG is not a raster image Vision can judge"
        return None

    def _fallback(self, judgement: Judgement, obj: ObjectInfo, fields: dict[str, Any],
                  image: ImageBytes) -> Outcome:
        """No verdict: the fallback strategy decides (a flagged account's image waits for
        a person whatever the strategy), the outcome is applied and recorded, the reserved
        unit (if any) goes back, and the image goes to the deferred re-check."""
        cause = str(judgement.cause)
        if cause == "account_flagged":
            outcome = Outcome(status="needs_review", checked=False, cause=cause)
        else:
            outcome = replace(self._decide.decide(judgement.settings.fallback_strategy, cause,
                                                  image),
                              renews_at=judgement.renews_at)
        location = self._apply(obj, outcome, judgement.settings)
        key = judgement.job.rsplit("/", 1)[1]
        result = self._result(outcome, judgement)
        try:
            if self._paid.settle_fallback(judgement, result, fields=fields,
                                          final=not is_rechecked(outcome)):
                self._save_record(key, fields, outcome, result, location)
            else:
                log.warning("gs://%s/%s#%s was settled by another delivery meanwhile",
                            obj.bucket, obj.name, obj.generation)
        except StoreUnavailable as err:
            log.error("could not record the moderation of gs://%s/%s: %s", obj.bucket,
                      obj.name, err)
        self._rechecks.schedule(key, obj, outcome, location, fields["uploaderUid"])
        return outcome

    def _unjudged(self, job: str, obj: ObjectInfo, outcome: Outcome, settings: VisionSettings,
                  fields: dict[str, Any]) -> Outcome:
        """An outcome decided without Vision (not an image, too large for Vision)."""
        location = self._apply(obj, outcome, settings)
        key = job.rsplit("/", 1)[1]
        result = self._result(outcome, None)
        try:
            if self._paid.record_unjudged(job, result, fields):
                self._save_record(key, fields, outcome, result, location)
        except StoreUnavailable as err:
            log.error("could not record the moderation of gs://%s/%s: %s", obj.bucket,
                      obj.name, err)
        self._rechecks.schedule(key, obj, outcome, location, fields["uploaderUid"])
        return outcome

    def _save_record(self, key: str, fields: dict[str, Any], outcome: Outcome,
                     result: dict[str, Any], location: Location | None) -> None:
        """What the uploader may read: the outcome, not the ledger's bookkeeping."""
        self._records.save(key, {
            **_record_fields(fields), "status": result["status"],
            "message": result["message"], "messages": result["messages"], "result": result,
            "completedAt": self._clock(),
            "location": ({"name": location.name, "generation": location.generation}
                         if location else None),
            "recheck": "pending" if is_rechecked(outcome) else None,
        })
        if self._review is not None:
            # What the machine could not decide for good goes to a person.
            self._review.after_outcome(key, fields, result, location)

    def _apply(self, obj: ObjectInfo, outcome: Outcome, settings: VisionSettings
               ) -> Location | None:
        """Make the outcome visible on the object and act on a rejection; a fallback that
        will be re-checked says so, so clients know a verdict is still to come."""
        extra = {RECHECK_META: "pending"} if is_rechecked(outcome) else None
        return self._placement.apply(obj.bucket, Location(obj.name, obj.generation), outcome,
                                     settings, extra, current=obj.metadata)

    def _result(self, outcome: Outcome, judgement: Judgement | None) -> dict[str, Any]:
        return {
            **outcome.as_dict(),
            "monthKey": judgement.month_key if judgement else None,
            "units": self._paid.spent(judgement) if judgement else 0,
            "at": self._clock(),
        }


def _record_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """The job's description without what only the ledger needs (the event id)."""
    return {k: v for k, v in fields.items() if k != "eventId"}


def _uploader_uid(obj: ObjectInfo) -> str | None:
    """The uploader, from the object's path only (`users/{uid}/...`, `uploads/{uid}/...`,
    `images/{uid}/...`), which storage.rules let only that uid write. Custom metadata is
    written by the uploading client and proves nothing, so it is never read for this."""
    match = _UID_IN_PATH.match(obj.name)
    if match is None or match.group(1) in (".", ".."):
        return None
    return match.group(1)
