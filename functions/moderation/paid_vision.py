"""The one path of every paid Vision call: reserve, call, settle.

The storage trigger, the pre-upload check and the deferred re-check all judge an image
here, so every rule about who may spend a unit (the month's limit, the account's
allowance, a flag) holds for all three, and a job is judged and paid for once however many
deliveries, re-checks and concurrent paths reach it:

1. `judge` begins the job on the ledger (moderation/reservation.py decides; the ledger
   leases the job to this caller and charges the unit to the month and the account in one
   commit), then calls Vision only when a unit was reserved.
2. The caller applies what it got (a verdict, or the fallback strategy's outcome), then
   settles: `settle_verdict` keeps the unit and finishes the job; `settle_fallback` gives
   a reserved unit back and leaves the job for a re-check (or finishes it, when no
   re-check would judge it better).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from errors import StoreBusy, StoreUnavailable
from moderation.allowance import Spender
from moderation.outcome import UNITS_PER_IMAGE, Outcome, verdict_outcome
from moderation.ports import (
    AllowanceState,
    Begin,
    ImageSource,
    QuotaLedger,
    SafeSearchClassifier,
    VisionUnavailable,
)
from moderation.settings import VisionSettings

log = logging.getLogger(__name__)

# Why no verdict, by what the ledger answered (Vision's own reasons come from the adapter).
CAUSES = {"disabled": "disabled", "exhausted": "quota_exhausted",
          "over_allowance": "account_allowance", "flagged": "account_flagged"}

JudgementKind = Literal["verdict", "fallback", "done", "busy"]


@dataclass(frozen=True)
class Judgement:
    """What `judge` found.

    verdict  -- Vision judged the image (`outcome`); one unit is spent.
    fallback -- no verdict (`cause` says why); the caller applies the fallback strategy.
    done     -- the job was judged before (`prior` is what it recorded).
    busy     -- another caller is judging it right now.
    """

    kind: JudgementKind
    job: str
    settings: VisionSettings
    begin: Begin | None = None
    outcome: Outcome | None = None
    cause: str | None = None
    renews_at: datetime | None = None  # cause account_allowance: when it renews
    prior: dict[str, Any] | None = None
    owner: str | None = None  # the job's lease, held by this caller (it must settle it)

    @property
    def month_key(self) -> str | None:
        return self.begin.month_key if self.begin else None

    @property
    def leased(self) -> bool:
        """This caller holds the job's lease and must settle it."""
        return self.owner is not None and self.kind in ("verdict", "fallback")


class PaidVision:
    def __init__(self, ledger: QuotaLedger, classifier: SafeSearchClassifier,
                 defaults: VisionSettings) -> None:
        self._ledger = ledger
        self._vision = classifier
        self._defaults = defaults

    def judge(self, job: str, source: ImageSource, fields: dict[str, Any], spender: Spender,
              *, after_fallback: bool = False) -> Judgement:
        """Reserve a unit for `job` and ask Vision about `source` (see the module doc).
        `after_fallback`: a job that got only a fallback may be judged now (a re-check,
        or the pre-upload check, whose fallbacks are never cached)."""
        try:
            begin = self._ledger.begin(job, UNITS_PER_IMAGE, fields, spender,
                                       after_fallback=after_fallback)
        except StoreUnavailable as err:
            # No reservation, no Vision call: the budget stays a hard limit.
            cause = "ledger_busy" if isinstance(err, StoreBusy) else "ledger_unavailable"
            log.error("the quota ledger gave no reservation for %s: %s", job, err)
            return self._unreserved(job, fields, spender, after_fallback, cause)
        if begin.kind in ("done", "busy"):
            return Judgement(begin.kind, job, begin.settings, prior=begin.prior_result)
        if begin.kind != "reserved":
            return Judgement("fallback", job, begin.settings, begin, cause=CAUSES[begin.kind],
                             renews_at=begin.renews_at, owner=begin.owner)
        try:
            annotation = self._vision.classify(source)
        except VisionUnavailable as err:
            log.warning("Vision gave no verdict for %s: %s (%s)", job, err.reason, err.message)
            return Judgement("fallback", job, begin.settings, begin, cause=err.reason,
                             owner=begin.owner)
        return Judgement("verdict", job, begin.settings, begin, owner=begin.owner,
                         outcome=verdict_outcome(annotation, begin.settings))

    def _unreserved(self, job: str, fields: dict[str, Any], spender: Spender,
                    after_fallback: bool, cause: str) -> Judgement:
        """No unit (the shards were too busy, or the ledger is down): lease the job alone,
        so that no concurrent delivery applies a second outcome over this one's fallback.
        A job someone else holds or settled is theirs: do nothing. Without even that
        lease (the ledger is down), the fallback is applied unleased."""
        try:
            owner = self._ledger.claim(job, fields, spender, after_fallback=after_fallback)
        except StoreUnavailable as err:
            log.error("no lease either for %s: %s", job, err)
            return Judgement("fallback", job, self._defaults, cause=cause)
        if owner is None:
            return Judgement("busy", job, self._defaults)
        return Judgement("fallback", job, self._defaults, cause=cause, owner=owner)

    def settle_verdict(self, judgement: Judgement, result: dict[str, Any]) -> None:
        """Vision's verdict is applied: finish the job, keeping its unit."""
        assert judgement.kind == "verdict" and judgement.outcome is not None
        self._ledger.complete(judgement.job, result, owner=_owner(judgement),
                              rejected=judgement.outcome.status == "rejected")

    def settle_fallback(self, judgement: Judgement, result: dict[str, Any] | None, *,
                        fields: dict[str, Any] | None = None, final: bool = False) -> bool:
        """A fallback is applied: give a reserved unit back and leave the job to a re-check
        (`final`: nothing will judge it better, finish it). A job this caller never leased
        (the ledger was down) is recorded as a fallback only if nobody else has it. True
        when the job is settled by this call. Raises StoreUnavailable."""
        if final:
            return self._ledger.complete(judgement.job, result or {}, owner=_owner(judgement),
                                         release=True, fields=fields)
        return self._ledger.release(judgement.job, result, owner=_owner(judgement),
                                    fields=fields)

    def abandon(self, judgement: Judgement) -> None:
        """Nothing to keep (a pre-upload check's fallback): the reserved unit goes back and
        the job is forgotten, so the next ask decides anew."""
        if judgement.leased:
            self._ledger.abandon(judgement.job)

    def allowance(self, spender: Spender) -> AllowanceState:
        """The spender's allowance as it stands (read only; begin decides again)."""
        return self._ledger.allowance(spender)

    def record_unjudged(self, job: str, result: dict[str, Any], fields: dict[str, Any]
                        ) -> bool:
        """An outcome decided without asking Vision (not an image, too large for it):
        recorded once, so a redelivery finds the job done. Raises StoreUnavailable."""
        return self._ledger.complete(job, result, fields=fields)

    def spent(self, judgement: Judgement) -> int:
        """The units a judgement keeps."""
        return UNITS_PER_IMAGE if judgement.kind == "verdict" else 0

    def current_settings(self) -> VisionSettings:
        """The admins' current settings; the configured defaults while Firestore is down."""
        try:
            return self._ledger.read_settings()
        except StoreUnavailable:
            return self._defaults


def _owner(judgement: Judgement) -> str | None:
    return judgement.owner
