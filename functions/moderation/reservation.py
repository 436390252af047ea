"""The decision of one reservation, pure: what a job's state allows, and whether a unit may
be spent (Vision on, the account not flagged, within the account's allowance, within the
month's limit). Which allotment shard takes the unit is moderation/allotment.py.

Both ledgers (infra/firestore_vision_ledger.py and the in-memory one of the tests) read
their state, call these functions and commit what they say, so they cannot disagree on a
rule.

A job is one judged thing: an uploaded object's generation (`moderation_jobs/{key}`, shared
by the trigger, its redeliveries and the deferred re-check) or an image's bytes
(`image_analysis/{sha256}`). Its states:

  (none)    never seen
  reserved  leased to one caller (`leaseOwner`, until `leaseUntil`), holding `units`
            (0 when the caller was refused a unit and applies a fallback)
  fallback  decided without Vision's verdict; a re-check may judge it later
  done      Vision's verdict, or an outcome no re-check will change
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

from moderation import allowance
from moderation.allowance import AccountStanding, AccountUsage, Spender
from moderation.quota import decide
from moderation.settings import VisionSettings

JobStep = Literal["done", "busy", "mine", "take_over", "decide"]
SpendKind = Literal["reserved", "disabled", "exhausted", "over_allowance", "flagged"]


@dataclass(frozen=True)
class JobState:
    state: str | None = None
    lease_owner: str | None = None
    lease_until: datetime | None = None
    units: int = 0
    claim: str | None = None  # what the lease holder was told (a SpendKind)

    @classmethod
    def from_document(cls, doc: dict[str, Any] | None) -> JobState:
        if doc is None:
            return cls()
        units = doc.get("units")
        lease = doc.get("leaseUntil")
        state = doc.get("state")
        result = doc.get("result")
        if state == "done" and not (isinstance(result, dict) and result.get("checked")) \
                and not doc.get("final"):
            # Written before the fallback state existed: a fallback outcome, not a verdict.
            state = "fallback"
        return cls(state=state if isinstance(state, str) else None,
                   lease_owner=doc.get("leaseOwner"),
                   lease_until=lease if isinstance(lease, datetime) else None,
                   units=units if isinstance(units, int) and not isinstance(units, bool)
                   else 0,
                   claim=doc.get("claim") if isinstance(doc.get("claim"), str) else None)


def job_step(job: JobState, owner: str, now: datetime, *, after_fallback: bool) -> JobStep:
    """What `owner` may do with the job.

    done      -- judged before (or a final outcome): spend nothing, do nothing.
    busy      -- another caller holds the lease.
    mine      -- this very caller holds it (its commit landed, its reply was lost).
    take_over -- the lease holder died holding counted units: take the job over, with no
                 new unit.
    decide    -- decide a spend (spend_decision) and lease the job.

    A job that only got a fallback is judged again by a re-check (`after_fallback`), never
    by a redelivered trigger event, which finds it done.
    """
    if job.state == "done":
        return "done"
    if job.state == "fallback":
        return "decide" if after_fallback else "done"
    if job.state == "reserved":
        if job.lease_owner == owner:
            return "mine"
        if job.lease_until is not None and job.lease_until > now:
            return "busy"
        return "take_over" if job.units > 0 else "decide"
    return "decide"


@dataclass(frozen=True)
class Spend:
    kind: SpendKind
    renews_at: datetime | None = None  # over_allowance: when the account may spend again


def spend_decision(settings: VisionSettings, month_used: int, units: int, spender: Spender,
                   usage: AccountUsage, standing: AccountStanding, now: datetime,
                   tz: ZoneInfo) -> Spend:
    """May `units` be spent for `spender` now? Vision switched off wins; then a flagged
    account (while flagged accounts skip Vision); then the account's allowance; then the
    month's limit."""
    rules = settings.allowance
    if not settings.enabled:
        return Spend("disabled")
    if standing.flagged and rules.flagged_skip_vision:
        return Spend("flagged")
    refusal = allowance.check(rules, spender, usage, units, now, tz)
    if refusal is not None:
        return Spend("over_allowance", refusal.renews_at)
    if decide(settings, month_used, units) == "exhausted":
        return Spend("exhausted")
    return Spend("reserved")


def job_fields(spender: Spender, units: int, month_key: str, now: datetime,
               tz: ZoneInfo) -> dict[str, Any]:
    """What a job remembers of its charge, so a release gives the account its units back
    on the right day."""
    return {"account": spender.account, "accountUid": spender.uid, "accountUnits": units,
            "chargedDay": allowance.day_key(now, tz), "monthKey": month_key}
