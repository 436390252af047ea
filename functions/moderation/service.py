"""The moderation use cases: judge an uploaded object (storage trigger) and judge an image
before upload (callable).

Every Vision call is paid for first: `QuotaLedger.begin` reserves the unit in one Firestore
transaction together with the job's idempotency record, so the monthly limit is never
exceeded and a redelivered event is judged and counted once. When Vision is disabled, the
quota is exhausted, Vision fails or the ledger is unreachable, the fallback strategy decides
(deny / allow / warn); an error never deletes an image.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from errors import InvalidInput, NotFound, PayloadTooLarge, Unavailable
from identity import Caller, require_signed_in
from moderation.ports import (
    Begin,
    ImageSource,
    LedgerUnavailable,
    ObjectInfo,
    ObjectStore,
    SafeSearchAnnotation,
    SafeSearchClassifier,
    VisionUnavailable,
)
from moderation.settings import VisionSettings
from moderation.verdict import SNIFF_BYTES, judge, sniff_image_format

log = logging.getLogger(__name__)

UNITS_PER_IMAGE = 1  # one feature (SAFE_SEARCH_DETECTION) per image
VISION_MAX_IMAGE_BYTES = 20 * 1024 * 1024  # Cloud Vision's limit for one image
MODERATION_COLLECTION = "image_moderation"
ANALYSIS_COLLECTION = "image_analysis"
_IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".bmp", ".tif", ".tiff", ".ico")
_UID_IN_PATH = re.compile(r"^(?:users|uploads|images)/([A-Za-z0-9_-]{1,128})/")

# What a client sees, per status: written to the object's custom metadata and the record.
STATUS_MESSAGES = {
    "approved": "The image passed moderation.",
    "rejected": "The image was rejected by moderation.",
    "moderation_unavailable": "The image was rejected because moderation is unavailable "
                              "right now; upload it again later.",
    "unchecked": "The image was kept without a moderation check.",
    "needs_review": "The image was kept but could not be checked; it will be reviewed.",
}


class QuotaLedger(Protocol):
    def begin(self, job_path: str, units: int, fields: dict[str, Any]) -> Begin: ...

    def complete(self, job_path: str, result: dict[str, Any], *, release: bool,
                 fields: dict[str, Any] | None = None) -> None: ...

    def abandon(self, job_path: str) -> None:
        """Give the job's reserved units back and forget the job (nothing to cache)."""
        ...

    def read_settings(self) -> VisionSettings: ...


@dataclass(frozen=True)
class Outcome:
    """What happened to one image. `status` is approved | rejected | needs_review |
    unchecked; `cause` says why when Vision did not decide (disabled, quota_exhausted,
    a VisionUnavailable reason, ledger_unavailable, spoofed_content_type, too_large)."""

    status: str
    checked: bool
    reasons: tuple[str, ...] = ()
    cause: str | None = None
    strategy: str | None = None
    likelihoods: dict[str, str] | None = None

    @property
    def kept(self) -> bool:
        return self.status != "rejected"

    @property
    def message(self) -> str:
        if self.status == "rejected" and not self.checked and self.cause != \
                "spoofed_content_type":
            return STATUS_MESSAGES["moderation_unavailable"]
        return STATUS_MESSAGES[self.status]

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "checked": self.checked,
            "reasons": list(self.reasons),
            "cause": self.cause,
            "strategy": self.strategy,
            "likelihoods": self.likelihoods,
            "message": self.message,
        }


def fallback_outcome(strategy: str, cause: str) -> Outcome:
    """The strategy for "Vision gave no verdict", doing what its name says."""
    status = {"deny": "rejected", "allow": "unchecked", "warn": "needs_review"}[strategy]
    return Outcome(status=status, checked=False, cause=cause, strategy=strategy)


def verdict_outcome(annotation: SafeSearchAnnotation, settings: VisionSettings) -> Outcome:
    verdict = judge(annotation, settings.thresholds)
    return Outcome(status="rejected" if verdict.rejected else "approved", checked=True,
                   reasons=verdict.reasons, likelihoods=annotation.as_dict())


def moderation_key(bucket: str, name: str, generation: str) -> str:
    """One record per object generation; hashed because names may hold '/'."""
    return hashlib.sha256(f"{bucket}\n{name}\n{generation}".encode()).hexdigest()


class ImageModeration:
    def __init__(self, *, ledger: QuotaLedger, classifier: SafeSearchClassifier,
                 objects: ObjectStore, defaults: VisionSettings, quarantine_prefix: str,
                 skip_prefixes: tuple[str, ...], max_analyze_bytes: int,
                 own_bucket: str | None, clock: Callable[[], datetime]) -> None:
        self._ledger = ledger
        self._vision = classifier
        self._objects = objects
        self._defaults = defaults
        self._quarantine = quarantine_prefix
        self._skip_prefixes = skip_prefixes
        self._max_analyze_bytes = max_analyze_bytes
        self._own_bucket = own_bucket
        self._clock = clock

    # -- storage trigger ------------------------------------------------------------------

    def moderate_event(self, event_id: str, obj: ObjectInfo) -> Outcome | None:
        """Judge one finalized object; None when it is not ours to judge (logged why)."""
        skip = self._skip_reason(obj)
        if skip:
            log.info("moderation skipped gs://%s/%s: %s", obj.bucket, obj.name, skip)
            return None
        head = self._objects.head(obj.bucket, obj.name, SNIFF_BYTES)
        if not head:
            log.info("moderation skipped gs://%s/%s: the object is gone", obj.bucket, obj.name)
            return None
        job = f"{MODERATION_COLLECTION}/{moderation_key(obj.bucket, obj.name, obj.generation)}"
        fields = {
            "bucket": obj.bucket, "name": obj.name, "generation": obj.generation,
            "contentType": obj.content_type, "size": obj.size, "eventId": event_id,
            "uploaderUid": _uploader_uid(obj),
        }
        if sniff_image_format(head) is None:
            # Claims to be an image but is not one: reject without paying for Vision.
            outcome = Outcome(status="rejected", checked=False, cause="spoofed_content_type",
                              reasons=(f"content is not an image (claimed {obj.content_type})",))
            return self._finish_without_vision(job, obj, outcome, fields,
                                               self._current_settings())
        if obj.size > VISION_MAX_IMAGE_BYTES:
            settings = self._current_settings()
            return self._finish_without_vision(
                job, obj, fallback_outcome(settings.fallback_strategy, "too_large"), fields,
                settings)
        try:
            begin = self._ledger.begin(job, UNITS_PER_IMAGE, fields)
        except LedgerUnavailable as err:
            # No reservation, no Vision call: the budget stays a hard limit. The configured
            # default strategy decides, and the object's metadata tells the client.
            log.error("quota ledger unavailable for gs://%s/%s: %s", obj.bucket, obj.name, err)
            outcome = fallback_outcome(self._defaults.fallback_strategy, "ledger_unavailable")
            self._apply(obj, outcome, self._defaults)
            return outcome
        if begin.kind == "done":
            log.info("gs://%s/%s#%s already moderated; delivery %s ignored",
                     obj.bucket, obj.name, obj.generation, event_id)
            return None
        if begin.kind == "busy":
            log.info("gs://%s/%s#%s is being moderated by another delivery",
                     obj.bucket, obj.name, obj.generation)
            return None
        settings: VisionSettings = begin.settings
        if begin.kind in ("disabled", "exhausted"):
            cause = "disabled" if begin.kind == "disabled" else "quota_exhausted"
            outcome = fallback_outcome(settings.fallback_strategy, cause)
            self._apply(obj, outcome, settings)
            self._ledger.complete(job, self._result(outcome, begin), release=False,
                                  fields=fields)
            return outcome
        try:
            annotation = self._vision.classify(ImageSource(gcs_uri=f"gs://{obj.bucket}/{obj.name}"))
        except VisionUnavailable as err:
            log.warning("Vision gave no verdict for gs://%s/%s: %s (%s)", obj.bucket, obj.name,
                        err.reason, err.message)
            outcome = fallback_outcome(settings.fallback_strategy, err.reason)
            self._apply(obj, outcome, settings)
            self._ledger.complete(job, self._result(outcome, begin), release=True)
            return outcome
        outcome = verdict_outcome(annotation, settings)
        self._apply(obj, outcome, settings)
        self._ledger.complete(job, self._result(outcome, begin), release=False)
        return outcome

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

    def _current_settings(self) -> VisionSettings:
        """The admin's current settings; the configured defaults if Firestore is down."""
        try:
            return self._ledger.read_settings()
        except LedgerUnavailable:
            return self._defaults

    def _finish_without_vision(self, job: str, obj: ObjectInfo, outcome: Outcome,
                               fields: dict[str, Any], settings: VisionSettings) -> Outcome:
        self._apply(obj, outcome, settings)
        try:
            self._ledger.complete(job, self._result(outcome, None), release=False,
                                  fields=fields)
        except LedgerUnavailable as err:
            log.error("could not record the moderation of gs://%s/%s: %s", obj.bucket,
                      obj.name, err)
        return outcome

    def _apply(self, obj: ObjectInfo, outcome: Outcome, settings: VisionSettings) -> None:
        """Make the outcome visible on the object, and act on a rejection."""
        metadata = {
            "moderationStatus": outcome.status,
            "moderationMessage": outcome.message,
            "moderatedAt": self._clock().isoformat(),
        }
        if outcome.cause:
            metadata["moderationCause"] = outcome.cause
        if outcome.reasons:
            metadata["moderationReasons"] = "; ".join(outcome.reasons)[:1000]
        self._objects.set_metadata(obj.bucket, obj.name, obj.generation, metadata)
        if outcome.kept:
            return
        action = settings.reject_action
        if action == "delete" and not outcome.checked:
            action = "quarantine"  # only a real verdict may delete a user's image
        if action == "quarantine":
            self._objects.move(obj.bucket, obj.name, obj.generation,
                               f"{self._quarantine}{obj.name}")
        elif action == "delete":
            self._objects.delete(obj.bucket, obj.name, obj.generation)

    def _result(self, outcome: Outcome, begin: Begin | None) -> dict[str, Any]:
        return {
            **outcome.as_dict(),
            "monthKey": begin.month_key if begin else None,
            "units": UNITS_PER_IMAGE if (begin and begin.kind == "reserved") else 0,
            "at": self._clock(),
        }

    # -- callable: check before upload -----------------------------------------------------

    def analyze(self, caller: Caller | None, data: Any) -> dict[str, Any]:
        caller = require_signed_in(caller)
        content = self._analyze_input(data)
        image_format = sniff_image_format(content[:SNIFF_BYTES])
        if image_format is None:
            raise InvalidInput("The file is not an image Vision can check (JPEG, PNG, GIF, "
                               "WebP, BMP, TIFF or ICO).")
        digest = hashlib.sha256(content).hexdigest()
        job = f"{ANALYSIS_COLLECTION}/{digest}"
        try:
            begin = self._ledger.begin(job, UNITS_PER_IMAGE, {
                "sha256": digest, "size": len(content), "format": image_format,
                "firstRequestedBy": caller.uid,
            })
        except LedgerUnavailable as err:
            log.error("quota ledger unavailable for an analysis: %s", err)
            return _analysis_reply(fallback_outcome(self._defaults.fallback_strategy,
                                                    "ledger_unavailable"), cached=False)
        if begin.kind == "done" and begin.prior_result:
            return {**begin.prior_result, "cached": True}
        if begin.kind == "busy":
            raise Unavailable("The same image is being checked right now; try again in a "
                              "few seconds.")
        settings: VisionSettings = begin.settings
        if begin.kind in ("disabled", "exhausted"):
            cause = "disabled" if begin.kind == "disabled" else "quota_exhausted"
            # Not cached: once Vision is back, the same image gets a real verdict.
            return _analysis_reply(fallback_outcome(settings.fallback_strategy, cause),
                                   cached=False)
        try:
            annotation = self._vision.classify(ImageSource(content=content))
        except VisionUnavailable as err:
            log.warning("Vision gave no verdict for an analysis: %s (%s)", err.reason,
                        err.message)
            self._ledger.abandon(job)
            return _analysis_reply(fallback_outcome(settings.fallback_strategy, err.reason),
                                   cached=False)
        reply = _analysis_reply(verdict_outcome(annotation, settings), cached=False)
        self._ledger.complete(job, {k: v for k, v in reply.items() if k != "cached"},
                              release=False)
        return reply

    def _analyze_input(self, data: Any) -> bytes:
        if not isinstance(data, dict) or (("image" in data) == ("path" in data)):
            raise InvalidInput('Send either {"image": "<base64 bytes>"} or {"path": '
                               '"<object path in this project\'s bucket>"}.')
        limit = self._max_analyze_bytes
        if "image" in data:
            raw = data["image"]
            if not isinstance(raw, str) or not raw:
                raise InvalidInput("'image' must be a non-empty base64 string.")
            if "," in raw[:100] and raw.startswith("data:"):
                raw = raw.split(",", 1)[1]  # accept a data: URL as browsers produce it
            if len(raw) > (limit * 4) // 3 + 8:
                raise PayloadTooLarge(f"'image' is over {limit // 1024} KB.")
            try:
                content = base64.b64decode(raw, validate=True)
            except (binascii.Error, ValueError) as err:
                raise InvalidInput("'image' is not valid base64.") from err
        else:
            name = _object_path(data["path"])
            if not self._own_bucket:
                raise InvalidInput("This project has no storage bucket configured.")
            content = self._objects.head(self._own_bucket, name, limit + 1)
            if not content:
                raise NotFound(f"No object {name!r} in this project's bucket.")
        if not content:
            raise InvalidInput("'image' is empty.")
        if len(content) > limit:
            raise PayloadTooLarge(f"The image is over {limit // 1024} KB; the most this "
                                  "check accepts.")
        return content


def _object_path(raw: Any) -> str:
    """An object name in our own bucket; never a URL or another bucket."""
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidInput("'path' must be a non-empty object path.")
    path = raw.strip()
    if "://" in path or path.startswith(("/", "gs:", "http:", "https:")) or ".." in path \
            or "\\" in path or len(path) > 1024 or any(ord(c) < 32 for c in path):
        raise InvalidInput("'path' must be an object path inside this project's bucket "
                           "(like 'uploads/photo.jpg'), not a URL.")
    return path


def _analysis_reply(outcome: Outcome, *, cached: bool) -> dict[str, Any]:
    return {
        "verdict": outcome.status,
        "allowed": outcome.kept,
        "checked": outcome.checked,
        "reasons": list(outcome.reasons),
        "cause": outcome.cause,
        "likelihoods": outcome.likelihoods,
        "message": outcome.message,
        "cached": cached,
    }


def _uploader_uid(obj: ObjectInfo) -> str | None:
    for key in ("uploaderUid", "uid", "ownerUid"):
        if obj.metadata.get(key):
            return obj.metadata[key]
    match = _UID_IN_PATH.match(obj.name)
    return match.group(1) if match else None
