"""What happened to one image, and the fallback strategies when Vision gave no verdict."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from moderation.safesearch import SafeSearchAnnotation
from moderation.settings import VisionSettings
from moderation.verdict import judge

UNITS_PER_IMAGE = 1  # one feature (SAFE_SEARCH_DETECTION) per image

# What a client sees: written to the object's custom metadata and to the record.
STATUS_MESSAGES = {
    "approved": "The image passed moderation.",
    "rejected": "The image was rejected by moderation.",
    "unchecked": "The image was kept without a moderation check.",
    "needs_review": "The image was kept but could not be checked; it will be reviewed.",
}
# A rejection that no Vision verdict made says why instead ("deny" names it this way).
UNCHECKED_REJECTION_MESSAGES = {
    "spoofed_content_type": "The file is not a valid image; it was rejected.",
}
MODERATION_UNAVAILABLE = ("The image was rejected because moderation is unavailable right "
                          "now; upload it again later.")


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
        if self.status == "rejected" and not self.checked:
            return UNCHECKED_REJECTION_MESSAGES.get(self.cause or "", MODERATION_UNAVAILABLE)
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
