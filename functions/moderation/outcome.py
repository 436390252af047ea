"""What happened to one image: Vision's verdict, or a fallback's (moderation/fallback.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from moderation.safesearch import SafeSearchAnnotation
from moderation.settings import VisionSettings
from moderation.strategy import FallbackStrategy
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
# Who decided, when it was not Vision.
LOCAL_MODEL = "local_model"
LOCAL_MESSAGES = {
    "approved": "The image passed an on-device check; Vision will check it later.",
    "rejected": "The image was held back by an on-device check; Vision will check it later.",
    "needs_review": "The image was kept but the on-device check was unsure; it will be "
                    "reviewed.",
}


@dataclass(frozen=True)
class Outcome:
    """What happened to one image. `status` is approved | rejected | needs_review |
    unchecked; `cause` says why when Vision did not decide (disabled, quota_exhausted,
    a VisionUnavailable reason, ledger_unavailable, spoofed_content_type, too_large)."""

    status: str
    checked: bool
    reasons: tuple[str, ...] = ()
    cause: str | None = None
    strategy: FallbackStrategy | None = None
    likelihoods: dict[str, str] | None = None
    verdict_by: str | None = None     # "vision", or LOCAL_MODEL for the local strategy
    local_score: float | None = None  # the on-device model's adult-content score

    @property
    def kept(self) -> bool:
        return self.status != "rejected"

    @property
    def message(self) -> str:
        if self.verdict_by == LOCAL_MODEL:
            return LOCAL_MESSAGES[self.status]
        if self.status == "rejected" and not self.checked:
            return UNCHECKED_REJECTION_MESSAGES.get(self.cause or "", MODERATION_UNAVAILABLE)
        return STATUS_MESSAGES[self.status]

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "checked": self.checked,
            "reasons": list(self.reasons),
            "cause": self.cause,
            "strategy": self.strategy.value if self.strategy else None,
            "likelihoods": self.likelihoods,
            "verdictBy": self.verdict_by,
            "localScore": self.local_score,
            "message": self.message,
        }


def verdict_outcome(annotation: SafeSearchAnnotation, settings: VisionSettings) -> Outcome:
    verdict = judge(annotation, settings.thresholds)
    return Outcome(status="rejected" if verdict.rejected else "approved", checked=True,
                   reasons=verdict.reasons, likelihoods=annotation.as_dict(),
                   verdict_by="vision")
