"""What the moderation core needs from the outside world, as small protocols.

Adapters live in `infra/`: Cloud Vision (SafeSearch), Cloud Storage objects and the
Firestore quota ledger. None of the types here import an SDK.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, Literal, Protocol


class Likelihood(IntEnum):
    """Cloud Vision's likelihood scale, in its own order (so thresholds compare)."""

    UNKNOWN = 0
    VERY_UNLIKELY = 1
    UNLIKELY = 2
    POSSIBLE = 3
    LIKELY = 4
    VERY_LIKELY = 5


CATEGORIES: tuple[str, ...] = ("adult", "racy", "violence", "medical", "spoof")


@dataclass(frozen=True)
class SafeSearchAnnotation:
    adult: Likelihood = Likelihood.UNKNOWN
    racy: Likelihood = Likelihood.UNKNOWN
    violence: Likelihood = Likelihood.UNKNOWN
    medical: Likelihood = Likelihood.UNKNOWN
    spoof: Likelihood = Likelihood.UNKNOWN

    def as_dict(self) -> dict[str, str]:
        return {name: getattr(self, name).name for name in CATEGORIES}


@dataclass(frozen=True)
class ImageSource:
    """Exactly one of: a `gs://bucket/name` URI (Vision reads it, we never download),
    or the image bytes."""

    gcs_uri: str | None = None
    content: bytes | None = field(default=None, repr=False)


class VisionUnavailable(Exception):
    """Vision did not give a verdict. `reason` is a short machine word
    (billing_disabled, rate_limited, unavailable, timeout, unreachable, refused,
    bad_image); `message` is safe to log and to show."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


class SafeSearchClassifier(Protocol):
    def classify(self, image: ImageSource) -> SafeSearchAnnotation:
        """One SafeSearch call (one billable unit). Raises VisionUnavailable."""
        ...


@dataclass(frozen=True)
class ObjectInfo:
    bucket: str
    name: str
    generation: str
    content_type: str | None
    size: int
    metadata: dict[str, str]


class ObjectStore(Protocol):
    """The uploaded images in Cloud Storage."""

    def head(self, bucket: str, name: str, length: int) -> bytes:
        """The first `length` bytes of the object (to sniff its real format)."""
        ...

    def set_metadata(self, bucket: str, name: str, generation: str,
                     metadata: dict[str, str]) -> None:
        """Merge custom metadata into that generation of the object (no-op if it is gone)."""
        ...

    def move(self, bucket: str, name: str, generation: str, new_name: str) -> None:
        """Copy that generation to `new_name` in the same bucket, then delete the original."""
        ...

    def delete(self, bucket: str, name: str, generation: str) -> None: ...


class LedgerUnavailable(Exception):
    """The quota ledger (Firestore) could not be reached or the transaction kept failing."""


class LedgerBusy(LedgerUnavailable):
    """A reservation gave up within its time budget because of contention."""


BeginKind = Literal["reserved", "done", "busy", "disabled", "exhausted"]


@dataclass(frozen=True)
class Begin:
    """The outcome of QuotaLedger.begin.

    reserved  -- units are reserved for this job (or were already, by an earlier
                 delivery whose lease ran out): call Vision now.
    done      -- the job finished before; `prior_result` holds what it recorded.
    busy      -- another delivery holds the job's lease right now; do nothing.
    disabled  -- Vision is switched off by an admin: apply the fallback strategy.
    exhausted -- the month's limit does not allow `units` more: apply the fallback.
    """

    kind: BeginKind
    settings: Any  # moderation.settings.VisionSettings, read in the same transaction
    month_key: str
    usage: int
    limit: int
    prior_result: dict[str, Any] | None = None


class QuotaLedger(Protocol):
    def begin(self, job_path: str, units: int, fields: dict[str, Any]) -> Begin: ...

    def complete(self, job_path: str, result: dict[str, Any], *, release: bool,
                 fields: dict[str, Any] | None = None) -> None: ...

    def abandon(self, job_path: str) -> None:
        """Give the job's reserved units back and forget the job (nothing to cache)."""
        ...

    def release(self, job_path: str, fields: dict[str, Any]) -> None:
        """Give a reserved job's units back and write `fields` (its next state) into it."""
        ...

    def read_settings(self) -> Any:  # moderation.settings.VisionSettings
        ...
