"""What happened to one image: Vision's verdict, or a fallback's (moderation/fallback.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from messages import Msg, in_every_language
from moderation.safesearch import SafeSearchAnnotation
from moderation.settings import VisionSettings
from moderation.strategy import FallbackStrategy
from moderation.verdict import judge

UNITS_PER_IMAGE = 1  # one feature (SAFE_SEARCH_DETECTION) per image

# What a client sees: written to the object's custom metadata and to the record, in
# English and Turkish (the uploader's language is not known to a storage trigger), and in
# the caller's language in the pre-upload check's reply.
STATUS_MESSAGES = {
    "approved": Msg("moderation.status.approved"),
    "rejected": Msg("moderation.status.rejected"),
    "unchecked": Msg("moderation.status.unchecked"),
    "needs_review": Msg("moderation.status.needs_review"),
}
# A rejection that no Vision verdict made says why instead ("deny" names it this way).
UNCHECKED_REJECTION_MESSAGES = {
    "spoofed_content_type": Msg("moderation.status.not_an_image"),
}
MODERATION_UNAVAILABLE = Msg("moderation.status.unavailable")
ACCOUNT_FLAGGED = Msg("moderation.status.account_flagged")
# Who decided, when it was not Vision.
LOCAL_MODEL = "local_model"
PERSON = "person"  # a moderator (moderation/review_desk.py)
PERSON_MESSAGES = {
    "approved": Msg("moderation.status.approved_by_person"),
    "rejected": Msg("moderation.status.rejected_by_person"),
}
LOCAL_MESSAGES = {
    "approved": Msg("moderation.local.approved"),
    "rejected": Msg("moderation.local.rejected"),
    "needs_review": Msg("moderation.local.needs_review"),
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
    renews_at: datetime | None = None  # cause account_allowance: when the account may spend

    @property
    def kept(self) -> bool:
        return self.status != "rejected"

    @property
    def message(self) -> Msg:
        """What the uploader reads (a Msg: as a str, the English)."""
        if self.cause == "account_flagged":
            return ACCOUNT_FLAGGED
        if self.cause == "account_allowance" and self.renews_at is not None:
            when = renewal_text(self.renews_at)
            if self.status == "rejected":
                return Msg("moderation.allowance.held_back", renews_at=when)
            return Msg("moderation.allowance.kept", renews_at=when)
        if self.verdict_by == LOCAL_MODEL:
            return LOCAL_MESSAGES[self.status]
        if self.verdict_by == PERSON:
            return PERSON_MESSAGES[self.status]
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
            "renewsAt": self.renews_at.isoformat() if self.renews_at else None,
            "message": str(self.message),
            "messages": in_every_language(self.message),
        }


def renewal_text(when: datetime) -> str:
    """When an allowance renews, as people read it in any language: UTC, to the minute."""
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def person_outcome(decision: str) -> Outcome:
    """A moderator's decision: as final as Vision's verdict (it may delete, it is never
    re-checked)."""
    return Outcome(status="approved" if decision == "approve" else "rejected", checked=True,
                   verdict_by=PERSON)


def verdict_outcome(annotation: SafeSearchAnnotation, settings: VisionSettings) -> Outcome:
    verdict = judge(annotation, settings.thresholds)
    return Outcome(status="rejected" if verdict.rejected else "approved", checked=True,
                   reasons=verdict.reasons, likelihoods=annotation.as_dict(),
                   verdict_by="vision")
