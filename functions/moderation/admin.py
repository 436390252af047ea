"""Admin use cases for Vision moderation: quota status, switches, limit and monthly reset,
and the backlog of deferred re-checks.

Every change goes through the ledger in one transaction that also writes the audit record
(`admin_actions`), and every instance reads the settings fresh from Firestore, so a change
made here is in force everywhere at once. A change that makes room for Vision (turning it
on, a reset, a raised limit) then drains the waiting re-checks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from errors import StoreUnavailable, Unavailable
from identity import Caller, require_admin
from messages import Msg
from moderation.accounts import AccountRow
from moderation.allowance import (
    UNATTRIBUTED,
    AccountAction,
    AllowanceSettings,
    day_key,
    parse_account_action,
    parse_allowance_change,
    recent_rejections,
)
from moderation.ports import AccountDirectory
from moderation.quota import estimated_cost_usd, month_key, projection
from moderation.settings import VisionSettings, parse_enabled, parse_limit, parse_strategy
from moderation.strategy import FallbackStrategy

log = logging.getLogger(__name__)

LEDGER_DOWN_MESSAGE = Msg("moderation.admin.ledger_down")


@dataclass(frozen=True)
class AdminChange:
    """What an admin write changed, as stored in its `admin_actions` record."""

    before: dict[str, Any]
    after: dict[str, Any]


class VisionLedgerAdmin(Protocol):
    """The part of the quota ledger the admin use cases need (FirestoreVisionLedger)."""

    def read_settings(self) -> VisionSettings: ...

    def month_usage(self, month_key: str) -> tuple[int, int, list[int]]: ...

    def set_enabled(self, caller: Caller, enabled: bool) -> AdminChange: ...

    def set_fallback_strategy(self, caller: Caller, strategy: FallbackStrategy
                              ) -> AdminChange: ...

    def set_monthly_limit(self, caller: Caller, limit: int) -> AdminChange: ...

    def reset_month(self, caller: Caller) -> AdminChange: ...

    def record_alerts(self, now: datetime) -> list[int]: ...

    def ensure_months(self, now: datetime) -> list[str]: ...

    def set_allowance(self, caller: Caller, rules: AllowanceSettings) -> AdminChange: ...

    def manage_account(self, caller: Caller, uid: str | None, action: AccountAction
                       ) -> AdminChange: ...

    def top_accounts(self, month: str, limit: int) -> list[AccountRow]: ...


class RecheckBacklog(Protocol):
    """The part of moderation.rechecks.ModerationRechecks the admin use cases need."""

    def drain(self) -> int: ...

    def backlog(self) -> dict[str, Any]: ...


TOP_ACCOUNTS = 10


class VisionAdmin:
    def __init__(self, ledger: VisionLedgerAdmin, clock: Callable[[], datetime], tz: ZoneInfo,
                 free_units: int, price_per_1000: float,
                 rechecks: RecheckBacklog | None = None,
                 directory: AccountDirectory | None = None) -> None:
        self._ledger = ledger
        self._rechecks = rechecks
        self._directory = directory
        self._clock = clock
        self._tz = tz
        self._free_units = free_units
        self._price = price_per_1000

    def status(self, caller: Caller | None, _data: Any = None) -> dict[str, Any]:
        require_admin(caller)
        now = self._clock()
        key = month_key(now, self._tz)
        with _ledger_errors():
            settings = self._ledger.read_settings()
            used, _, alerts = self._ledger.month_usage(key)
            backlog = self._rechecks.backlog() if self._rechecks else None
            top = self._ledger.top_accounts(key, TOP_ACCOUNTS)
        # The settings' limit is what reservations obey; the month document's copy may lag.
        limit = settings.monthly_limit
        projected = projection(used, now, self._tz)
        return {
            "monthKey": key,
            "limit": limit,
            "used": used,
            "remaining": max(0, limit - used),
            "enabled": settings.enabled,
            "strategy": settings.fallback_strategy.value,
            "rejectAction": settings.reject_action,
            "thresholds": {name: (value.name if value is not None else None)
                           for name, value in settings.thresholds.items()},
            "alertsSent": sorted(alerts),
            "projectedMonthEndUsage": projected,
            "projectedCostUsd": estimated_cost_usd(projected, self._free_units, self._price),
            "costSoFarUsd": estimated_cost_usd(used, self._free_units, self._price),
            "updatedAt": _iso(settings.updated_at),
            "updatedBy": settings.updated_by,
            "recheckBacklog": _backlog_reply(backlog),
            "allowance": settings.allowance.to_reply(),
            "topAccounts": [self._account_reply(row, now) for row in top],
        }

    def _account_reply(self, row: AccountRow, now: datetime) -> dict[str, Any]:
        facts = self._directory.facts(row.uid) if self._directory and row.uid else None
        return {"uid": row.uid if row.uid is not None else UNATTRIBUTED,
                "email": facts.email if facts else None,
                "unattributed": row.uid is None,
                "unitsToday": row.usage.units_on(day_key(now, self._tz)),
                "unitsThisMonth": row.usage.month_units,
                "rejections": row.usage.rejections,
                "recentRejections": recent_rejections(row.standing, now),
                "flagged": row.standing.flagged}

    def set_account_allowance(self, caller: Caller | None, data: Any) -> dict[str, Any]:
        """`set_vision_api_account_allowance`: any of the allowance settings, audited."""
        admin = require_admin(caller)
        with _ledger_errors():
            current = self._ledger.read_settings().allowance
        rules = parse_allowance_change(data, current)
        with _ledger_errors():
            change = self._ledger.set_allowance(admin, rules)
        # Raised allowances may let waiting re-checks go now.
        return {"success": True, "allowance": rules.to_reply(), "previous": change.before,
                "rechecksQueued": self._drain_after_change()}

    def manage_account(self, caller: Caller | None, data: Any) -> dict[str, Any]:
        """`manage_vision_account` {uid, action: flag | unflag | reset_day}, audited."""
        admin = require_admin(caller)
        uid, action = parse_account_action(data)
        with _ledger_errors():
            change = self._ledger.manage_account(admin, uid, action)
        reply: dict[str, Any] = {"success": True, "uid": uid if uid is not None
                                 else UNATTRIBUTED, "action": action,
                                 "before": change.before, "after": change.after}
        if action in ("unflag", "reset_day"):
            reply["rechecksQueued"] = self._drain_after_change()
        return reply

    def set_enabled(self, caller: Caller | None, data: Any) -> dict[str, Any]:
        admin = require_admin(caller)
        enabled = parse_enabled(data)
        with _ledger_errors():
            change = self._ledger.set_enabled(admin, enabled)
        reply = {"success": True, "enabled": enabled,
                 "previousEnabled": change.before.get("enabled")}
        if enabled:
            reply["rechecksQueued"] = self._drain_after_change()
        return reply

    def set_fallback_strategy(self, caller: Caller | None, data: Any) -> dict[str, Any]:
        admin = require_admin(caller)
        strategy = parse_strategy(data)
        with _ledger_errors():
            change = self._ledger.set_fallback_strategy(admin, strategy)
        return {"success": True, "strategy": strategy.value,
                "previousStrategy": change.before.get("fallbackStrategy")}

    def set_monthly_quota(self, caller: Caller | None, data: Any) -> dict[str, Any]:
        admin = require_admin(caller)
        limit = parse_limit(data)
        with _ledger_errors():
            change = self._ledger.set_monthly_limit(admin, limit)
        previous = change.before.get("monthlyLimit")
        reply = {"success": True, "limit": limit, "previousLimit": previous}
        if not isinstance(previous, int) or limit > previous:
            reply["rechecksQueued"] = self._drain_after_change()
        return reply

    def reset_quota(self, caller: Caller | None, _data: Any = None) -> dict[str, Any]:
        admin = require_admin(caller)
        with _ledger_errors():
            change = self._ledger.reset_month(admin)
        return {"success": True, "monthKey": change.after.get("monthKey"),
                "previousUsage": change.before.get("usageCount", 0), "usage": 0,
                "rechecksQueued": self._drain_after_change()}

    def drain_rechecks(self, caller: Caller | None, _data: Any = None) -> dict[str, Any]:
        """Queue the waiting re-checks now, as many as the budget has room for."""
        require_admin(caller)
        if self._rechecks is None:
            return {"success": True, "queued": 0, "recheckBacklog": None}
        with _ledger_errors():
            queued = self._rechecks.drain()
            backlog = self._rechecks.backlog()
        return {"success": True, "queued": queued, "recheckBacklog": _backlog_reply(backlog)}

    def check_alerts(self) -> list[int]:
        """Announce newly crossed usage levels (80/95/100 %) once each, and create next
        month's quota documents ahead of its first upload; run on a schedule."""
        with _ledger_errors():
            now = self._clock()
            self._ledger.ensure_months(now)
            return self._ledger.record_alerts(now)

    def _drain_after_change(self) -> int:
        """The change succeeded; a drain that fails now is left to the scheduled sweep."""
        if self._rechecks is None:
            return 0
        try:
            return self._rechecks.drain()
        except StoreUnavailable as err:
            log.warning("re-check drain after an admin change failed: %s", err)
            return 0


@contextmanager
def _ledger_errors() -> Iterator[None]:
    """StoreUnavailable -> the domain error the entry points map to UNAVAILABLE."""
    try:
        yield
    except StoreUnavailable as err:
        raise Unavailable(LEDGER_DOWN_MESSAGE) from err


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _backlog_reply(backlog: dict[str, Any] | None) -> dict[str, Any] | None:
    if backlog is None:
        return None
    oldest = backlog.get("oldestQueuedAt")
    return {**backlog, "oldestQueuedAt": _iso(oldest) if isinstance(oldest, datetime) else None}
