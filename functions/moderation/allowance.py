"""Per-account Vision allowances and abuse flags: pure rules, no storage.

The month's limit (moderation/quota.py) keeps the bill bounded; these rules keep any one
account from taking that budget from everybody else. Every unit is charged to an account:
the uploader's uid (from the object's path, or the caller of the pre-upload check), or one
shared `unattributed` pool for images outside any user's folder. The ledger applies the
rules in the same commit that reserves the month's unit (infra/firestore_vision_ledger.py
and the in-memory ledger of the tests call the same functions here).

- `daily` units per account per day and `monthly` per month, days and months in the quota
  time zone; an account created less than 24 hours ago (or one Firebase Auth does not
  know) has `new_account_daily` a day instead; the unattributed pool has
  `unattributed_daily` a day (default `daily` x 5) and no monthly allowance of its own.
- Accounts holding one of `exempt_roles` (staff and admins by default) have no allowance;
  their units are still counted, so admins see them.
- An account with `flag_after_rejections` images rejected by Vision within 24 hours is
  flagged; while `flagged_skip_vision` is on, its uploads skip Vision (no unit) and wait
  for a person. A flag stays until an admin lifts it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from zoneinfo import ZoneInfo

from errors import InvalidInput
from identity import ROLES
from messages import Msg

UNATTRIBUTED = "~unattributed"  # never a path uid: "~" is not allowed in one
EXEMPTABLE_ROLES: tuple[str, ...] = ROLES
NEW_ACCOUNT_AGE = timedelta(hours=24)
REJECTION_WINDOW = timedelta(hours=24)
MAX_ALLOWANCE = 1_000_000
MAX_FLAG_THRESHOLD = 1000
# The rejection times an account's standing keeps (the window needs at most the threshold).
_KEEP_REJECTIONS = MAX_FLAG_THRESHOLD
_SAFE_KEY = re.compile(r"[A-Za-z0-9_-]{1,128}")


@dataclass(frozen=True)
class AllowanceSettings:
    daily: int = 20
    monthly: int = 200
    new_account_daily: int = 5
    unattributed_daily: int | None = None  # None: daily x 5
    exempt_roles: tuple[str, ...] = ("admin", "staff")
    flag_after_rejections: int = 3
    flagged_skip_vision: bool = True

    @property
    def unattributed(self) -> int:
        return self.unattributed_daily if self.unattributed_daily is not None \
            else self.daily * 5

    def to_document(self) -> dict[str, Any]:
        return {"daily": self.daily, "monthly": self.monthly,
                "newAccountDaily": self.new_account_daily,
                "unattributedDaily": self.unattributed_daily,
                "exemptRoles": list(self.exempt_roles),
                "flagAfterRejections": self.flag_after_rejections,
                "flaggedSkipVision": self.flagged_skip_vision}

    def to_reply(self) -> dict[str, Any]:
        """What admins read and send (the callable's field names)."""
        return {"daily": self.daily, "monthly": self.monthly,
                "new_account_daily": self.new_account_daily,
                "unattributed_daily": self.unattributed,
                "exempt_roles": list(self.exempt_roles),
                "flag_after_rejections": self.flag_after_rejections,
                "flagged_skip_vision": self.flagged_skip_vision}

    @classmethod
    def from_document(cls, doc: Any, defaults: AllowanceSettings) -> AllowanceSettings:
        """A stored map; a missing or unreadable field keeps its default."""
        if not isinstance(doc, dict):
            return defaults
        changes: dict[str, Any] = {}
        for stored, name in (("daily", "daily"), ("monthly", "monthly"),
                             ("newAccountDaily", "new_account_daily"),
                             ("unattributedDaily", "unattributed_daily"),
                             ("flagAfterRejections", "flag_after_rejections")):
            value = doc.get(stored)
            if _is_count(value) and (name != "flag_after_rejections" or value != 0):
                changes[name] = value
        result = replace(defaults, **changes)
        roles = doc.get("exemptRoles")
        if isinstance(roles, list) and all(r in EXEMPTABLE_ROLES for r in roles):
            result = replace(result, exempt_roles=tuple(dict.fromkeys(roles)))
        if isinstance(doc.get("flaggedSkipVision"), bool):
            result = replace(result, flagged_skip_vision=doc["flaggedSkipVision"])
        return result


_CHANGEABLE = {"daily": "daily", "monthly": "monthly", "new_account_daily": "new_account_daily",
               "unattributed_daily": "unattributed_daily",
               "flag_after_rejections": "flag_after_rejections"}


def parse_allowance_change(data: Any, current: AllowanceSettings) -> AllowanceSettings:
    """The admins' change (`set_vision_api_account_allowance`): any of the fields, at
    least one, applied on top of `current`. InvalidInput names the first bad field."""
    if not isinstance(data, dict) or not data:
        raise InvalidInput(Msg("moderation.allowance.body",
                               fields=", ".join([*_CHANGEABLE, "exempt_roles",
                                                 "flagged_skip_vision"])))
    unknown = [k for k in data if k not in _CHANGEABLE and k not in (
        "exempt_roles", "flagged_skip_vision")]
    if unknown:
        raise InvalidInput(Msg("moderation.allowance.unknown_field", name=str(unknown[0])))
    changes: dict[str, Any] = {}
    for name, attribute in _CHANGEABLE.items():
        if name not in data:
            continue
        value = data[name]
        whole = (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer())
        if not whole:
            raise InvalidInput(Msg("common.field_not_whole_number", name=name))
        value = int(value)
        low = 1 if name == "flag_after_rejections" else 0
        high = MAX_FLAG_THRESHOLD if name == "flag_after_rejections" else MAX_ALLOWANCE
        if not low <= value <= high:
            raise InvalidInput(Msg("moderation.allowance.range", name=name, low=low,
                                   high=high))
        changes[attribute] = value
    result = replace(current, **changes)
    if "exempt_roles" in data:
        roles = data["exempt_roles"]
        if not isinstance(roles, list) or not all(isinstance(r, str) for r in roles) \
                or any(r not in EXEMPTABLE_ROLES for r in roles):
            raise InvalidInput(Msg("moderation.allowance.roles",
                                   roles=", ".join(EXEMPTABLE_ROLES)))
        result = replace(result, exempt_roles=tuple(dict.fromkeys(roles)))
    if "flagged_skip_vision" in data:
        if not isinstance(data["flagged_skip_vision"], bool):
            raise InvalidInput(Msg("common.field_not_boolean", name="flagged_skip_vision"))
        result = replace(result, flagged_skip_vision=data["flagged_skip_vision"])
    return result


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


# -- who spends ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Spender:
    """Who a Vision unit is charged to: an account (uid) or, with uid None, the shared
    unattributed pool. `created_at` None means Firebase Auth does not know the account
    (it counts as new)."""

    uid: str | None
    roles: frozenset[str] = frozenset()
    created_at: datetime | None = None

    @property
    def account(self) -> str:
        return account_key(self.uid)


def account_key(uid: str | None) -> str:
    """The document id of an account's usage: the uid where it is a safe id, else a hash
    (a uid may hold any character, Firestore ids may not)."""
    if uid is None:
        return UNATTRIBUTED
    if _SAFE_KEY.fullmatch(uid):
        return uid
    return "h_" + hashlib.sha256(uid.encode()).hexdigest()[:40]


@dataclass(frozen=True)
class AccountUsage:
    """One account's units in one month (the ledger's `accounts/{key}` beside the month):
    the month's units, and the units of the day `day` (YYYY_MM_DD) only."""

    month_units: int = 0
    day: str | None = None
    day_units: int = 0
    rejections: int = 0  # images Vision rejected this month

    def units_on(self, day: str) -> int:
        return self.day_units if self.day == day else 0

    def to_document(self) -> dict[str, Any]:
        return {"units": self.month_units, "day": self.day, "dayUnits": self.day_units,
                "rejections": self.rejections}

    @classmethod
    def from_document(cls, doc: dict[str, Any] | None) -> AccountUsage:
        doc = doc or {}
        day = doc.get("day")
        return cls(month_units=_count(doc.get("units")),
                   day=day if isinstance(day, str) else None,
                   day_units=_count(doc.get("dayUnits")),
                   rejections=_count(doc.get("rejections")))


@dataclass(frozen=True)
class AccountStanding:
    """What outlives a month (`vision_accounts/{key}`): the flag and the recent rejections."""

    flagged: bool = False
    rejected_at: tuple[datetime, ...] = field(default=())

    def to_document(self) -> dict[str, Any]:
        return {"flagged": self.flagged, "rejectedAt": list(self.rejected_at)}

    @classmethod
    def from_document(cls, doc: dict[str, Any] | None) -> AccountStanding:
        doc = doc or {}
        times = doc.get("rejectedAt")
        return cls(flagged=doc.get("flagged") is True,
                   rejected_at=tuple(t for t in times if isinstance(t, datetime))
                   if isinstance(times, list) else ())


def _count(value: Any) -> int:
    return value if _is_count(value) else 0


# -- days and renewals ---------------------------------------------------------------------

def day_key(now: datetime, tz: ZoneInfo) -> str:
    local = now.astimezone(tz)
    return f"{local.year:04d}_{local.month:02d}_{local.day:02d}"


def next_midnight(now: datetime, tz: ZoneInfo) -> datetime:
    """The start of the next day in `tz`, in UTC (a DST day has its real length)."""
    local = now.astimezone(tz)
    tomorrow = (local.replace(tzinfo=None) + timedelta(days=1)).date()
    return datetime(tomorrow.year, tomorrow.month, tomorrow.day, tzinfo=tz).astimezone(UTC)


def next_month_start(now: datetime, tz: ZoneInfo) -> datetime:
    local = now.astimezone(tz)
    year, month = local.year + local.month // 12, local.month % 12 + 1
    return datetime(year, month, 1, tzinfo=tz).astimezone(UTC)


def is_new(spender: Spender, now: datetime) -> bool:
    return spender.created_at is None or now - spender.created_at < NEW_ACCOUNT_AGE


def is_exempt(settings: AllowanceSettings, spender: Spender) -> bool:
    return spender.uid is not None and bool(spender.roles & set(settings.exempt_roles))


@dataclass(frozen=True)
class Limits:
    """What one account may spend; None: no allowance of that kind."""

    daily: int | None
    monthly: int | None


def limits_for(settings: AllowanceSettings, spender: Spender, now: datetime) -> Limits:
    if is_exempt(settings, spender):
        return Limits(None, None)
    if spender.uid is None:
        return Limits(settings.unattributed, None)
    daily = settings.new_account_daily if is_new(spender, now) else settings.daily
    return Limits(daily, settings.monthly)


OverKind = Literal["daily", "monthly"]


@dataclass(frozen=True)
class Refusal:
    """Over the allowance: which one, and when the account may spend again."""

    kind: OverKind
    renews_at: datetime


def check(settings: AllowanceSettings, spender: Spender, usage: AccountUsage, units: int,
          now: datetime, tz: ZoneInfo) -> Refusal | None:
    """May `spender` take `units` more on top of `usage`? None: yes."""
    limits = limits_for(settings, spender, now)
    if limits.monthly is not None and usage.month_units + units > limits.monthly:
        return Refusal("monthly", next_month_start(now, tz))
    today = day_key(now, tz)
    if limits.daily is not None and usage.units_on(today) + units > limits.daily:
        return Refusal("daily", _daily_renewal(settings, spender, usage, units, now, tz))
    return None


def _daily_renewal(settings: AllowanceSettings, spender: Spender, usage: AccountUsage,
                   units: int, now: datetime, tz: ZoneInfo) -> datetime:
    """The next midnight; sooner for a new account that the ordinary allowance would let
    spend once it is 24 hours old."""
    midnight = next_midnight(now, tz)
    if spender.uid is not None and spender.created_at is not None and is_new(spender, now):
        grown_up = spender.created_at + NEW_ACCOUNT_AGE
        if grown_up < midnight and usage.units_on(day_key(now, tz)) + units <= settings.daily:
            return grown_up
    return midnight


def room(settings: AllowanceSettings, spender: Spender, usage: AccountUsage,
         now: datetime, tz: ZoneInfo) -> int | None:
    """Units the account may still spend now; None when it has no allowance."""
    limits = limits_for(settings, spender, now)
    left = [limit - spent for limit, spent in (
        (limits.daily, usage.units_on(day_key(now, tz))), (limits.monthly, usage.month_units))
        if limit is not None]
    return max(0, min(left)) if left else None


def charged(usage: AccountUsage, units: int, now: datetime, tz: ZoneInfo) -> AccountUsage:
    """The usage after `units` are spent now (a new day starts its counter again)."""
    today = day_key(now, tz)
    return replace(usage, month_units=usage.month_units + units, day=today,
                   day_units=usage.units_on(today) + units)


def refunded(usage: AccountUsage, units: int, charged_day: str | None) -> AccountUsage:
    """The usage after `units` charged on `charged_day` come back: to the month, and to
    the day when that day's counter is still the one they were charged to."""
    day_units = usage.day_units
    if charged_day is not None and usage.day == charged_day:
        day_units = max(0, day_units - units)
    return replace(usage, month_units=max(0, usage.month_units - units), day_units=day_units)


def after_rejection(settings: AllowanceSettings, standing: AccountStanding, now: datetime
                    ) -> tuple[AccountStanding, bool]:
    """The standing after Vision rejected one more of the account's images, and whether
    that rejection flagged it."""
    recent = [t for t in standing.rejected_at if now - t < REJECTION_WINDOW] + [now]
    recent = recent[-_KEEP_REJECTIONS:]
    flagged = standing.flagged or len(recent) >= settings.flag_after_rejections
    return AccountStanding(flagged=flagged, rejected_at=tuple(recent)), \
        flagged and not standing.flagged


def recent_rejections(standing: AccountStanding, now: datetime) -> int:
    return sum(1 for t in standing.rejected_at if now - t < REJECTION_WINDOW)


AccountAction = Literal["flag", "unflag", "reset_day"]
ACCOUNT_ACTIONS: tuple[AccountAction, ...] = ("flag", "unflag", "reset_day")


def parse_account_action(data: Any) -> tuple[str | None, AccountAction]:
    """`manage_vision_account`'s {uid, action}: the uid (None for the unattributed pool,
    named by UNATTRIBUTED) and the action."""
    if not isinstance(data, dict):
        raise InvalidInput(Msg("moderation.account.body",
                               actions=", ".join(ACCOUNT_ACTIONS)))
    uid, action = data.get("uid"), data.get("action")
    if not isinstance(uid, str) or not uid.strip() or len(uid) > 128:
        raise InvalidInput(Msg("moderation.account.uid"))
    if action not in ACCOUNT_ACTIONS:
        raise InvalidInput(Msg("moderation.account.action",
                               actions=", ".join(ACCOUNT_ACTIONS)))
    unknown = [k for k in data if k not in ("uid", "action")]
    if unknown:
        raise InvalidInput(Msg("moderation.allowance.unknown_field", name=str(unknown[0])))
    return (None if uid == UNATTRIBUTED else uid), action


def apply_action(action: AccountAction, standing: AccountStanding, usage: AccountUsage,
                 now: datetime, tz: ZoneInfo) -> tuple[AccountStanding, AccountUsage]:
    """An admin's action on an account. Unflagging also forgets the recent rejections: a
    person looked, and the next rejection must not flag the account again at once."""
    if action == "flag":
        return replace(standing, flagged=True), usage
    if action == "unflag":
        return AccountStanding(flagged=False, rejected_at=()), usage
    return standing, replace(usage, day=day_key(now, tz), day_units=0)


def top_accounts(usages: Iterable[tuple[str, AccountUsage]], n: int
                 ) -> list[tuple[str, AccountUsage]]:
    """The `n` accounts with the most units this month, most first (ties by key)."""
    return sorted(usages, key=lambda item: (-item[1].month_units, item[0]))[:n]
