"""Check an image before it is uploaded (the callable's use case).

Costs quota like the trigger, but the same bytes checked twice cost one unit: verdicts are
cached in Firestore by content hash (`image_analysis/{sha256}`), shared by every instance.
A path is read from this project's own bucket only, never from a URL, and only where
storage.rules would let the caller read it (their own folder, or anything for an admin):
otherwise the check would tell anyone what another user uploaded, and whether it exists.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import re
from typing import Any

from errors import (
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    StoreBusy,
    StoreUnavailable,
    Unavailable,
)
from identity import Caller, require_signed_in
from messages import Msg
from moderation.fallback import Fallback
from moderation.outcome import UNITS_PER_IMAGE, Outcome, verdict_outcome
from moderation.ports import (
    ImageSource,
    ObjectStore,
    QuotaLedger,
    SafeSearchClassifier,
    VisionUnavailable,
)
from moderation.settings import VisionSettings
from moderation.verdict import SNIFF_BYTES, sniff_image_format

log = logging.getLogger(__name__)

ANALYSIS_COLLECTION = "image_analysis"
# The folders storage.rules give their owner to read: {folder}/{uid}/..., and the
# quarantined copies quarantine/{folder}/{uid}/....
_OWNER_IN_PATH = re.compile(r"^(?:quarantine/)?(?:users|uploads|images)/([^/]+)/")


class PreUploadCheck:
    def __init__(self, *, ledger: QuotaLedger, classifier: SafeSearchClassifier,
                 fallback: Fallback,
                 objects: ObjectStore, defaults: VisionSettings, max_analyze_bytes: int,
                 own_bucket: str | None) -> None:
        self._ledger = ledger
        self._vision = classifier
        self._decide = fallback
        self._objects = objects
        self._defaults = defaults
        self._max_analyze_bytes = max_analyze_bytes
        self._own_bucket = own_bucket

    def analyze(self, caller: Caller | None, data: Any) -> dict[str, Any]:
        caller = require_signed_in(caller)
        content = self._analyze_input(caller, data)
        image_format = sniff_image_format(content[:SNIFF_BYTES])
        if image_format is None:
            raise InvalidInput(Msg("moderation.check.not_an_image"))
        digest = hashlib.sha256(content).hexdigest()
        job = f"{ANALYSIS_COLLECTION}/{digest}"
        try:
            begin = self._ledger.begin(job, UNITS_PER_IMAGE, {
                "sha256": digest, "size": len(content), "format": image_format,
                "firstRequestedBy": caller.uid,
            })
        except StoreUnavailable as err:
            log.error("quota ledger gave no reservation for an analysis: %s", err)
            cause = "ledger_busy" if isinstance(err, StoreBusy) else "ledger_unavailable"
            return _analysis_reply(self._decide.decide(
                self._defaults.fallback_strategy, cause, lambda: content), cached=False)
        if begin.kind == "done" and begin.prior_result:
            return _cached_reply(begin.prior_result)
        if begin.kind == "busy":
            raise Unavailable(Msg("moderation.check.busy"))
        settings: VisionSettings = begin.settings
        if begin.kind in ("disabled", "exhausted"):
            cause = "disabled" if begin.kind == "disabled" else "quota_exhausted"
            # Not cached: once Vision is back, the same image gets a real verdict.
            return _analysis_reply(self._decide.decide(
                settings.fallback_strategy, cause, lambda: content), cached=False)
        try:
            annotation = self._vision.classify(ImageSource(content=content))
        except VisionUnavailable as err:
            log.warning("Vision gave no verdict for an analysis: %s (%s)", err.reason,
                        err.message)
            self._ledger.abandon(job)
            return _analysis_reply(self._decide.decide(
                settings.fallback_strategy, err.reason, lambda: content), cached=False)
        reply = _analysis_reply(verdict_outcome(annotation, settings), cached=False)
        self._ledger.complete(job, {k: v for k, v in reply.items() if k != "cached"},
                              release=False)
        return reply

    def _analyze_input(self, caller: Caller, data: Any) -> bytes:
        if not isinstance(data, dict) or (("image" in data) == ("path" in data)):
            raise InvalidInput(Msg("moderation.check.body"))
        limit = self._max_analyze_bytes
        if "image" in data:
            raw = data["image"]
            if not isinstance(raw, str) or not raw:
                raise InvalidInput(Msg("moderation.check.image_not_string"))
            if "," in raw[:100] and raw.startswith("data:"):
                raw = raw.split(",", 1)[1]  # accept a data: URL as browsers produce it
            if len(raw) > (limit * 4) // 3 + 8:
                raise PayloadTooLarge(Msg("moderation.check.image_too_large",
                                          limit_kb=limit // 1024))
            try:
                content = base64.b64decode(raw, validate=True)
            except (binascii.Error, ValueError) as err:
                raise InvalidInput(Msg("moderation.check.bad_base64")) from err
        else:
            name = _object_path(data["path"])
            if not _may_read(caller, name):
                raise PermissionDenied(Msg("moderation.check.not_own_path"))
            if not self._own_bucket:
                raise InvalidInput(Msg("moderation.check.no_bucket"))
            content = self._objects.head(self._own_bucket, name, limit + 1)
            if not content:
                raise NotFound(Msg("moderation.check.no_object", name=repr(name)))
        if not content:
            raise InvalidInput(Msg("moderation.check.image_empty"))
        if len(content) > limit:
            raise PayloadTooLarge(Msg("moderation.check.too_large", limit_kb=limit // 1024))
        return content


def _object_path(raw: Any) -> str:
    """An object name in our own bucket; never a URL or another bucket."""
    if not isinstance(raw, str) or not raw.strip():
        raise InvalidInput(Msg("moderation.check.path_empty"))
    path = raw.strip()
    if "://" in path or path.startswith(("/", "gs:", "http:", "https:")) or ".." in path \
            or "\\" in path or len(path) > 1024 or any(ord(c) < 32 for c in path):
        raise InvalidInput(Msg("moderation.check.path_not_url"))
    return path


def _may_read(caller: Caller, name: str) -> bool:
    """What storage.rules let this caller read: their own folders, or any for an admin."""
    if caller.is_admin:
        return True
    match = _OWNER_IN_PATH.match(name)
    return match is not None and match.group(1) == caller.uid


def _cached_reply(prior: dict[str, Any]) -> dict[str, Any]:
    """A stored verdict, answered again. Firestore kept its message as English text; the
    Msg is rebuilt from the verdict so the boundary can answer in the caller's language."""
    try:
        message: str = Outcome(status=prior.get("verdict", ""),
                               checked=bool(prior.get("checked")), cause=prior.get("cause"),
                               verdict_by=prior.get("verdictBy")).message
    except KeyError:  # a status this version has no message for: keep what was stored
        message = prior.get("message", "")
    return {**prior, "message": message, "cached": True}


def _analysis_reply(outcome: Outcome, *, cached: bool) -> dict[str, Any]:
    return {
        "verdict": outcome.status,
        "allowed": outcome.kept,
        "checked": outcome.checked,
        "reasons": list(outcome.reasons),
        "cause": outcome.cause,
        "likelihoods": outcome.likelihoods,
        "verdictBy": outcome.verdict_by,
        "localScore": outcome.local_score,
        "message": outcome.message,
        "cached": cached,
    }
