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
from collections.abc import Callable
from datetime import datetime
from typing import Any

from errors import (
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    QuotaExhausted,
    StoreUnavailable,
    Unauthenticated,
    Unavailable,
)
from identity import Caller, require_signed_in
from messages import Msg
from moderation.accounts import Spenders
from moderation.allowance import Spender
from moderation.fallback import Fallback
from moderation.frames import FRAME_SNIFF_BYTES, may_hold_frames
from moderation.outcome import Outcome, renewal_text
from moderation.paid_vision import Judgement, PaidVision
from moderation.ports import (
    AllowanceState,
    AppCheckRefused,
    AppCheckTokens,
    FrameSampler,
    ImageSource,
    ImageTooComplex,
    ObjectStore,
)
from moderation.verdict import SNIFF_BYTES, sniff_image_format

log = logging.getLogger(__name__)

ANALYSIS_COLLECTION = "image_analysis"
# The folders storage.rules give their owner to read: {folder}/{uid}/..., and the
# quarantined copies quarantine/{folder}/{uid}/....
_OWNER_IN_PATH = re.compile(r"^(?:quarantine/)?(?:users|uploads|images)/([^/]+)/")


class PreUploadCheck:
    def __init__(self, *, paid: PaidVision, spenders: Spenders, fallback: Fallback,
                 frames: FrameSampler, objects: ObjectStore, max_analyze_bytes: int,
                 own_bucket: str | None, replay_guard: AppCheckTokens | None = None) -> None:
        self._paid = paid
        self._frames = frames
        self._spenders = spenders
        self._decide = fallback
        self._objects = objects
        self._max_analyze_bytes = max_analyze_bytes
        self._own_bucket = own_bucket
        self._replay_guard = replay_guard

    def analyze(self, caller: Caller | None, data: Any, app_check_token: str | None = None
                ) -> dict[str, Any]:
        """Judge one image for a signed-in caller. Refused before any read and without a
        unit: a replayed App Check token (with replay protection on), a malformed request,
        an account over its allowance (RESOURCE_EXHAUSTED, saying when it renews)."""
        caller = require_signed_in(caller)
        if self._replay_guard is not None:
            self._consume(app_check_token)
        read = self._parse_input(caller, data)
        spender = self._spenders.for_caller(caller)
        standing = self._allowance(spender)
        if standing is not None and standing.skip_vision:
            return _analysis_reply(Outcome(status="needs_review", checked=False,
                                           cause="account_flagged"), cached=False)
        if standing is not None and standing.room == 0 and standing.renews_at is not None:
            raise QuotaExhausted(_exhausted(standing.renews_at))
        content, image_format = self._checked(read())
        judged = content  # what Vision and the local model see
        if may_hold_frames(image_format, content[:FRAME_SNIFF_BYTES]):
            try:
                judged = self._frames.sample(content, image_format) or content
            except ImageTooComplex as err:
                return _analysis_reply(Outcome(status="needs_review", checked=False,
                                               cause="too_complex", reasons=(str(err),)),
                                       cached=False)
        digest = hashlib.sha256(content).hexdigest()
        # Fallbacks are never cached: the same bytes asked again are judged again.
        judgement = self._paid.judge(f"{ANALYSIS_COLLECTION}/{digest}",
                                     ImageSource(content=judged),
                                     {"sha256": digest, "size": len(content),
                                      "format": image_format, "firstRequestedBy": caller.uid},
                                     spender, after_fallback=True)
        if judgement.kind == "done" and judgement.prior:
            return _cached_reply(judgement.prior)
        if judgement.kind in ("done", "busy"):
            raise Unavailable(Msg("moderation.check.busy"))
        if judgement.kind == "fallback":
            return self._fallback(judgement, judged)
        assert judgement.outcome is not None
        reply = _analysis_reply(judgement.outcome, cached=False)
        self._paid.settle_verdict(judgement, {k: v for k, v in reply.items() if k != "cached"})
        return reply

    def _fallback(self, judgement: Judgement, content: bytes) -> dict[str, Any]:
        if judgement.leased:
            # Nothing to keep: the unit (if any) goes back and the next ask decides anew.
            self._paid.abandon(judgement)
        cause = str(judgement.cause)
        if cause == "account_allowance" and judgement.renews_at is not None:
            raise QuotaExhausted(_exhausted(judgement.renews_at))
        if cause == "account_flagged":
            return _analysis_reply(Outcome(status="needs_review", checked=False, cause=cause),
                                   cached=False)
        return _analysis_reply(self._decide.decide(
            judgement.settings.fallback_strategy, cause, lambda: content), cached=False)

    def _allowance(self, spender: Spender) -> AllowanceState | None:
        try:
            return self._paid.allowance(spender)
        except StoreUnavailable as err:
            # The reservation decides again (and gives the fallback if the ledger is down).
            log.warning("no allowance read for %s: %s", spender.account, err)
            return None

    def _consume(self, token: str | None) -> None:
        """Replay protection: each App Check token is good for one call."""
        assert self._replay_guard is not None
        if not token:
            raise Unauthenticated(Msg("moderation.check.app_check_missing"))
        try:
            fresh = self._replay_guard.consume(token)
        except AppCheckRefused as err:
            log.warning("App Check token refused: %s", err)
            fresh = False
        if not fresh:
            raise Unauthenticated(Msg("moderation.check.app_check_replayed"))

    def _parse_input(self, caller: Caller, data: Any) -> Callable[[], bytes]:
        """Check the request without reading any image; returns how to get its bytes (an
        inline image is decoded here, an object is read from the bucket only when called)."""
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
            self._checked(content)
            return lambda: content
        name = _object_path(data["path"])
        if not _may_read(caller, name):
            raise PermissionDenied(Msg("moderation.check.not_own_path"))
        bucket = self._own_bucket
        if not bucket:
            raise InvalidInput(Msg("moderation.check.no_bucket"))

        def read() -> bytes:
            content = self._objects.head(bucket, name, limit + 1)
            if not content:
                raise NotFound(Msg("moderation.check.no_object", name=repr(name)))
            return content
        return read

    def _checked(self, content: bytes) -> tuple[bytes, str]:
        """The image and its format; InvalidInput when it is empty, too large or no image."""
        limit = self._max_analyze_bytes
        if not content:
            raise InvalidInput(Msg("moderation.check.image_empty"))
        if len(content) > limit:
            raise PayloadTooLarge(Msg("moderation.check.too_large", limit_kb=limit // 1024))
        image_format = sniff_image_format(content[:SNIFF_BYTES])
        if image_format is None:
            raise InvalidInput(Msg("moderation.check.not_an_image"))
        return content, image_format


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


def _exhausted(renews_at: datetime) -> Msg:
    return Msg("moderation.allowance.exhausted", renews_at=renewal_text(renews_at))


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
        "renewsAt": outcome.renews_at.isoformat() if outcome.renews_at else None,
        "message": outcome.message,
        "cached": cached,
    }
