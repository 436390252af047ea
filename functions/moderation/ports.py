"""What the moderation core needs from the outside world, as small protocols.

Adapters live in `infra/`: Cloud Vision (SafeSearch), Cloud Storage objects and the
Firestore quota ledger. None of the types here import an SDK.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

from moderation.allowance import Spender
from moderation.review import ReviewItem
from moderation.safesearch import SafeSearchAnnotation
from moderation.settings import VisionSettings


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


class ImageTooComplex(Exception):
    """An image's frames cannot be read within the bounds (too many, too large, too slow,
    or broken): it goes to a person instead."""


class FrameSampler(Protocol):
    def sample(self, content: bytes, image_format: str) -> bytes | None:
        """What Vision should judge of an image that may hold several frames, or that it
        cannot read (HEIC): a JPEG of its frames that matter (one contact sheet), or None
        when it is a single frame Vision reads as it is. Raises ImageTooComplex."""
        ...


class LocalModelUnavailable(Exception):
    """The on-device model gave no score. `reason` is a short machine word (not_loaded,
    bad_image, too_large); `message` is safe to log and to show."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


class LocalImageClassifier(Protocol):
    """An on-device model for the 'local' fallback strategy: adult content only, free,
    no network. Built and imported only when that strategy is used."""

    def nsfw_score(self, image: bytes) -> float:
        """The probability (0..1) that the encoded image is adult content. Raises
        LocalModelUnavailable."""
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
                     metadata: Mapping[str, str | None], *,
                     cache_control: str | None = None) -> None:
        """Merge custom metadata into that generation of the object (a None value removes
        the key), and set its Cache-Control when given; no-op if it is gone."""
        ...

    def stat(self, bucket: str, name: str) -> ObjectInfo | None:
        """The live object at `name` (its generation and metadata); None if there is none."""
        ...

    def move(self, bucket: str, name: str, generation: str, new_name: str, *,
             only_if_absent: bool = False) -> str | None:
        """Copy that generation to `new_name` in the same bucket, then delete the original.
        Returns the copy's generation (None when the source is gone). With
        `only_if_absent`, raises TargetExists instead of replacing an object at `new_name`."""
        ...

    def delete(self, bucket: str, name: str, generation: str) -> None: ...


class TargetExists(Exception):
    """A move would have replaced an object that is already there."""


class ObjectStoreFailed(Exception):
    """Cloud Storage failed for a reason other than "the object is gone" (its message is
    safe to log: infra/gcs_objects.py ObjectStoreError)."""


@dataclass(frozen=True)
class Location:
    """Where an uploaded image is now: its own name, or the quarantine copy's."""

    name: str
    generation: str


BeginKind = Literal["reserved", "done", "busy", "disabled", "exhausted", "over_allowance",
                    "flagged"]


@dataclass(frozen=True)
class Begin:
    """The outcome of QuotaLedger.begin (moderation/reservation.py decides it).

    reserved       -- units are reserved for this job (or were already, by an earlier
                      caller whose lease ran out): call Vision now.
    done           -- the job finished before; `prior_result` holds what it recorded.
    busy           -- another caller holds the job's lease right now; do nothing.
    disabled       -- Vision is switched off by an admin: apply the fallback strategy.
    exhausted      -- the month's limit does not allow `units` more: apply the fallback.
    over_allowance -- the account's allowance does not: the fallback, until `renews_at`.
    flagged        -- the account is flagged: no Vision, a person decides.

    Every kind but done and busy leases the job to the caller (`owner`), who settles it:
    complete (a verdict), release (no verdict) or abandon.
    """

    kind: BeginKind
    settings: VisionSettings  # read in the same snapshot as the count
    month_key: str
    usage: int
    limit: int
    prior_result: dict[str, Any] | None = None
    renews_at: datetime | None = None
    owner: str | None = None


@dataclass(frozen=True)
class AllowanceState:
    """An account's allowance as it stands: units it may still spend (None: no allowance,
    exempt), when it renews once used up, and whether it is flagged."""

    room: int | None
    renews_at: datetime | None
    flagged: bool
    skip_vision: bool  # flagged, and flagged accounts skip Vision


class QuotaLedger(Protocol):
    """The one place a Vision unit is reserved, charged and given back (behind
    moderation/paid_vision.py, which every paid call goes through)."""

    def begin(self, job_path: str, units: int, fields: dict[str, Any], spender: Spender, *,
              after_fallback: bool = False) -> Begin:
        """Decide and lease the job: reserve `units` on the month and charge them to the
        spender's account in one commit (or say why not)."""
        ...

    def claim(self, job_path: str, fields: dict[str, Any], spender: Spender, *,
              after_fallback: bool = False) -> str | None:
        """Lease the job without a unit (begin gave none: contention), for the caller to
        apply a fallback under; the lease owner, or None when someone else holds or settled
        the job (as begin would have said busy or done)."""
        ...

    def complete(self, job_path: str, result: dict[str, Any], *, owner: str | None = None,
                 rejected: bool = False, release: bool = False,
                 fields: dict[str, Any] | None = None) -> bool:
        """Finish the job with `result` for good (state done), unless it is done already or
        leased to someone other than `owner` (the Begin's owner; None: never begun).
        `rejected`: Vision rejected the image, which counts towards its account's flag.
        `release` gives a reserved job's units back (month and account); `fields`
        describe a job never begun. True when this call finished the job."""
        ...

    def release(self, job_path: str, result: dict[str, Any] | None = None, *,
                owner: str | None = None, fields: dict[str, Any] | None = None) -> bool:
        """No verdict: give the units of a job leased to `owner` back and leave it in the
        fallback state (with `result` when given), for a re-check to judge. With no owner
        (never begun: the ledger was down) the job is recorded as a fallback only if it
        does not exist. True when this call settled the job."""
        ...

    def abandon(self, job_path: str) -> None:
        """Give the job's reserved units back and forget the job (nothing to cache)."""
        ...

    def allowance(self, spender: Spender) -> AllowanceState: ...

    def read_settings(self) -> VisionSettings: ...

    def month_usage(self, month_key: str) -> tuple[int, int, list[int]]:
        """(units used, limit, alert levels sent) of a month, exact."""
        ...


class AppCheckTokens(Protocol):
    def consume(self, token: str) -> bool:
        """Verify an App Check token and mark it used: True the first time, False when it
        was used before. Raises AppCheckRefused for a token that is not valid."""
        ...


class AppCheckRefused(Exception):
    """The App Check token is not valid (or the service could not verify it)."""


@dataclass(frozen=True)
class AccountFacts:
    """What Firebase Auth knows of an account: its roles (custom claims) and creation."""

    uid: str
    email: str | None
    roles: frozenset[str]
    created_at: datetime | None


class AccountDirectory(Protocol):
    def facts(self, uid: str) -> AccountFacts | None:
        """The account, from a short cache; None when Auth does not know it or cannot
        answer now (the account then counts as new and holds no role)."""
        ...


# -- deferred re-checks ---------------------------------------------------------------------

RecheckState = Literal["waiting", "queued", "reserved", "done"]


@dataclass(frozen=True)
class Recheck:
    """An image that got a fallback outcome and is to be judged again by Vision.

    waiting  -- needs capacity (Vision switched off, the month's budget or the account's
                allowance used up, the account flagged); a drain moves it to queued when
                there is some.
    queued   -- a task is (or should be) on the re-check queue.
    reserved -- (older versions only: the upload's job holds the lease now)
    done     -- judged (or nothing left to judge).
    """

    key: str
    bucket: str
    name: str                    # where the image was uploaded
    generation: str
    location: Location | None    # where it is now (the quarantine copy after "deny")
    cause: str                   # why it got the fallback
    state: RecheckState = "queued"
    waiting_for: str | None = None  # "vision_enabled" | "budget" while waiting
    queued_at: datetime | None = None  # first queued: the backlog runs oldest first
    attempts: int = 0
    uploader_uid: str | None = None
    restore_token: str | None = None
    not_before: datetime | None = None  # waiting for an account: due from then on

    def task(self) -> dict[str, Any]:
        """The task payload: enough to redo the re-check even if Firestore lost it."""
        return {"key": self.key, "bucket": self.bucket, "name": self.name,
                "generation": self.generation, "cause": self.cause,
                "location": ({"name": self.location.name,
                              "generation": self.location.generation}
                             if self.location else None)}


class ModerationRecords(Protocol):
    """`image_moderation/{key}`: what the uploader of an image may read about it."""

    def save(self, key: str, record: dict[str, Any]) -> None:
        """Write (merge) the record of one upload."""
        ...


class RecheckQueue(Protocol):
    def enqueue(self, payload: dict[str, Any], delay_s: float = 0.0) -> None: ...


class RecheckStore(ModerationRecords, Protocol):
    """The re-check backlog (`moderation_rechecks/{key}`) and the moderation records."""

    def add(self, recheck: Recheck) -> Recheck:
        """Store it unless it is there already; returns what is stored."""
        ...

    def get(self, key: str) -> Recheck | None: ...

    def update(self, key: str, fields: dict[str, Any]) -> None: ...

    def move_state(self, key: str, from_state: RecheckState, fields: dict[str, Any]) -> bool:
        """Write `fields` only if the re-check is still in `from_state` (one claimer wins)."""
        ...

    def waiting(self, limit: int) -> list[Recheck]:
        """The oldest re-checks waiting for the budget (or Vision), oldest first."""
        ...

    def due(self, now: datetime, limit: int) -> list[Recheck]:
        """Re-checks waiting for an account (its allowance, its flag) that are due by
        `now`: the longest due first, then the oldest."""
        ...

    def stale(self, before: datetime, limit: int) -> list[Recheck]:
        """Queued or reserved re-checks nobody has touched since `before` (a lost task)."""
        ...

    def interrupted(self, before: datetime, limit: int) -> list[Recheck]:
        """Uploads whose trigger reserved a unit and died before recording an outcome
        (their lease ran out before `before`), as re-checks to schedule."""
        ...

    def upload_job_path(self, key: str) -> str:
        """The trigger's quota-ledger job for the upload `key`."""
        ...

    def backlog(self) -> dict[str, Any]:
        """{"waiting": n, "queued": n, "inProgress": n, "oldestQueuedAt": datetime|None}"""
        ...

    def record_verdict(self, key: str, record: dict[str, Any],
                       location: Location | None) -> None:
        """Put the re-check's verdict (`record`: the upload's description and its
        `result`) into the image's moderation record, keeping the fallback as
        `firstResult`."""
        ...

    def claim_restore(self, key: str, token: str, name: str, job_path: str,
                      record_key: str, record_fields: dict[str, Any]) -> bool:
        """A restored image's finalized event: if `token` is re-check `key`'s restore token
        for `name`, consume it, mark the restored copy's job (`job_path`) done and give it
        a record (`record_key`, with the re-check's result and `record_fields`). False
        otherwise: judge it as usual."""
        ...


# -- the review queue (moderation/review.py) --------------------------------------------------


class ReviewRecords(ModerationRecords, Protocol):
    """The uploader-readable records (`image_moderation/{key}` and the uploader's copy)."""

    def record(self, key: str) -> dict[str, Any] | None: ...

    def uploader_verdict(self, uid: str, name: str) -> dict[str, Any] | None:
        """The latest verdict on the uploader's object `name` (with its `recordKey`)."""
        ...


class ReviewQueue(Protocol):
    """`review_queue/{key}`: the images a person must decide (infra/firestore_review.py)."""

    def enter(self, item: ReviewItem) -> None:
        """Add the image, or refresh it with a newer machine result (its revision goes up);
        one a person decided is left as it is; one settled meanwhile enters again."""
        ...

    def settle(self, key: str, result: dict[str, Any]) -> bool:
        """A Vision verdict settled the image: out of the queue, unless a person decided
        (or is deciding) it. False when a person's decision stands."""
        ...

    def get(self, key: str) -> ReviewItem | None: ...

    def page(self, state: str, cause: str | None, uploader: str | None, after: str | None,
             limit: int) -> list[ReviewItem]:
        """Appeals first, then the oldest; `after` is the key of the last one seen."""
        ...

    def claim(self, key: str, who: str, now: datetime) -> str:
        """A claimed / held / missing / decided answer (moderation/review.py)."""
        ...

    def start_decision(self, key: str, who: str, revision: int | None, now: datetime
                       ) -> ReviewItem | str:
        """Mark the image as being decided by `who`, or say why not (a DecisionRefusal)."""
        ...

    def finish_decision(self, key: str, who: str, decision: dict[str, Any],
                        location: dict[str, str] | None, record: dict[str, Any]) -> None:
        """Close the image as decided by `who` and write `record` (merged) into its
        uploader-readable records, in one commit."""
        ...

    def appeal(self, item: ReviewItem, explanation: str, now: datetime) -> str:
        """Put the uploader's appeal on the image (entering `item` if it is not queued):
        appealed | already | decided."""
        ...

    def backlog(self) -> dict[str, Any]:
        """{"byCause": {cause: n}, "appeals": n, "oldestAt": datetime | None}"""
        ...


class Notices(Protocol):
    def post_once(self, notice_id: str, fields: dict[str, Any]) -> bool:
        """An admin_notifications entry with a fixed id, created once (False: it exists)."""
        ...


class ReviewPreviews(Protocol):
    def preview(self, content: bytes, *, reveal: bool) -> bytes:
        """A JPEG of at most 512 px, blurred unless `reveal`; a placeholder when the image
        cannot be decoded within bounds."""
        ...
