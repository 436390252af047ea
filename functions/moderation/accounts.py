"""Accounts as the ledgers store them and admins see them: an account's allowance as it
stands, the notice that flags it, and what an admin action's audit record holds. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from identity import Caller
from moderation import allowance
from moderation.allowance import UNATTRIBUTED, AccountStanding, AccountUsage, Spender
from moderation.ports import AccountDirectory, AllowanceState

ACCOUNTS_COLLECTION = "accounts"          # vision_api_quota/{month}/accounts/{account}
STANDINGS_COLLECTION = "vision_accounts"  # vision_accounts/{account}
FLAG_NOTICE_KIND = "vision_account_flagged"


@dataclass(frozen=True)
class AccountRow:
    """One account of a month, as the admins' list shows it."""

    account: str
    usage: AccountUsage
    standing: AccountStanding

    @property
    def uid(self) -> str | None:
        return None if self.account == UNATTRIBUTED else self.account


def allowance_state(rules: allowance.AllowanceSettings, spender: Spender, usage: AccountUsage,
                    standing: AccountStanding, now: datetime, tz: ZoneInfo) -> AllowanceState:
    room = allowance.room(rules, spender, usage, now, tz)
    renews = None
    if room is not None:
        # When it renews once used up (now, if it is).
        refusal = allowance.check(rules, spender, usage, room + 1, now, tz)
        renews = refusal.renews_at if refusal else None
    return AllowanceState(room=room, renews_at=renews, flagged=standing.flagged,
                          skip_vision=standing.flagged and rules.flagged_skip_vision)


def flag_notice_id(account: str, day: str) -> str:
    """One notice per account per day: a fixed id, created once."""
    return f"account_flagged_{account}_{day}"


def flag_notice(account: str, uid: Any, rejections: int, now: datetime) -> dict[str, Any]:
    return {"kind": FLAG_NOTICE_KIND, "account": account,
            "uid": uid if isinstance(uid, str) else None,
            "rejections": rejections, "at": now, "read": False}


def account_audit(standing: AccountStanding, usage: AccountUsage, now: datetime,
                  tz: ZoneInfo) -> dict[str, Any]:
    """An account's state in an audit record's before / after."""
    return {"flagged": standing.flagged,
            "recentRejections": allowance.recent_rejections(standing, now),
            "unitsToday": usage.units_on(allowance.day_key(now, tz)),
            "unitsThisMonth": usage.month_units}


class Spenders:
    """Who a unit is charged to, with what Firebase Auth knows of the account (its roles,
    for the exempt ones, and its age, for the new-account allowance)."""

    def __init__(self, directory: AccountDirectory | None) -> None:
        self._directory = directory

    def for_uid(self, uid: str | None) -> Spender:
        """An uploader known by the object's path (None: outside any user's folder)."""
        if uid is None:
            return Spender(None)
        facts = self._directory.facts(uid) if self._directory is not None else None
        if facts is None:
            return Spender(uid)
        return Spender(uid, facts.roles, facts.created_at)

    def for_caller(self, caller: Caller) -> Spender:
        """A signed-in caller: the roles of its ID token count at once (the directory's
        may be a few minutes old)."""
        spender = self.for_uid(caller.uid)
        token_roles = {role for role, held in (("admin", caller.is_admin),
                                               ("staff", caller.has_staff_claim),
                                               ("moderator", caller.has_moderator_claim))
                       if held}
        return Spender(caller.uid, spender.roles | token_roles, spender.created_at)
