"""The outcome of an image Vision gave no verdict for, by the fallback strategy.

A port of the moderation core: the trigger and the pre-upload check hand it the strategy,
the cause and a way to read the image, and do the same with whatever it decides, so a
strategy plugs in here without touching their flow. Only 'local' reads the image, and only
'local' loads the on-device model.

The local model (Yahoo's open_nsfw) scores adult content only, so its verdict is marked
as local (`checked` stays false, `verdictBy` is "local_model"): it never deletes an image
(placement quarantines at most), and the deferred re-check still asks Vision later.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from moderation.outcome import LOCAL_MODEL, Outcome
from moderation.ports import LocalImageClassifier, LocalModelUnavailable
from moderation.strategy import FallbackStrategy

log = logging.getLogger(__name__)

# The image as bytes, read only when a strategy needs it; None when it is too large to read.
ImageBytes = Callable[[], bytes | None]

_FIXED = {FallbackStrategy.DENY: "rejected", FallbackStrategy.ALLOW: "unchecked",
          FallbackStrategy.WARN: "needs_review"}


@dataclass(frozen=True)
class LocalThresholds:
    """open_nsfw scores in 0..1. Yahoo's guidance for the model: below 0.2 is likely safe,
    above 0.8 likely adult; in between the model is unsure, so a person looks. Calibrate on
    your own images (see the README) before moving them."""

    review_at: float = 0.2
    reject_at: float = 0.8

    def __post_init__(self) -> None:
        if not 0.0 <= self.review_at <= self.reject_at <= 1.0:
            raise ValueError("local thresholds need 0 <= review_at <= reject_at <= 1")


class Fallback(Protocol):
    def decide(self, strategy: FallbackStrategy, cause: str, image: ImageBytes) -> Outcome:
        """The outcome for an image Vision did not judge (`cause` says why)."""
        ...


class StrategyFallback:
    """deny / allow / warn as their names say; local asks the on-device model."""

    def __init__(self, local_model: Callable[[], LocalImageClassifier] | None,
                 thresholds: LocalThresholds) -> None:
        # A factory, so the model (and onnxruntime) is built on the first 'local' decision,
        # never by an instance that only ever sees deny, allow or warn.
        self._local_model = local_model
        self._thresholds = thresholds

    def decide(self, strategy: FallbackStrategy, cause: str, image: ImageBytes) -> Outcome:
        if strategy is not FallbackStrategy.LOCAL:
            return Outcome(status=_FIXED[strategy], checked=False, cause=cause,
                           strategy=strategy)
        return self._local(cause, image)

    def _local(self, cause: str, image: ImageBytes) -> Outcome:
        def unsure(why: str) -> Outcome:
            # No local verdict either: keep the image for review, as warn would.
            return Outcome(status="needs_review", checked=False, cause=cause,
                           strategy=FallbackStrategy.LOCAL, reasons=(why,))

        if self._local_model is None:
            return unsure("the on-device model is not installed")
        content = image()
        if content is None:
            return unsure("the image is too large for the on-device model")
        try:
            score = self._local_model().nsfw_score(content)
        except LocalModelUnavailable as err:
            log.warning("the on-device model gave no score (%s): %s", err.reason, err.message)
            return unsure(f"the on-device model gave no score ({err.reason})")
        t = self._thresholds
        status = ("rejected" if score >= t.reject_at else
                  "needs_review" if score >= t.review_at else "approved")
        reasons = (f"adult content score {score:.2f} (on-device model)",) \
            if status != "approved" else ()
        return Outcome(status=status, checked=False, cause=cause,
                       strategy=FallbackStrategy.LOCAL, reasons=reasons,
                       verdict_by=LOCAL_MODEL, local_score=round(score, 4))
