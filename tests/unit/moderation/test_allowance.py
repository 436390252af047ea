"""The per-account allowance rules (moderation/allowance.py), the reservation decision
(moderation/reservation.py) and the admins' input to both: pure functions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from errors import InvalidInput
from moderation import allowance
from moderation.allowance import (
    UNATTRIBUTED,
    AccountStanding,
    AccountUsage,
    AllowanceSettings,
    Spender,
    account_key,
    parse_account_action,
    parse_allowance_change,
)
from moderation.reservation import JobState, job_step, spend_decision
from moderation.settings import VisionSettings

LA = ZoneInfo("America/Los_Angeles")
NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)  # 04:00 on the 15th in LA
OLD = NOW - timedelta(days=10)
RULES = AllowanceSettings()


def usage(today: int = 0, month: int | None = None, day: str = "2026_11_15") -> AccountUsage:
    return AccountUsage(month_units=today if month is None else month, day=day,
                        day_units=today)


# -- keys, days, renewals -------------------------------------------------------------------

def test_account_keys_are_safe_document_ids_and_unattributed_is_no_uid() -> None:
    assert account_key("abc_DEF-123") == "abc_DEF-123"
    assert account_key(None) == UNATTRIBUTED
    hashed = account_key("a/b")
    assert hashed.startswith("h_") and "/" not in hashed and len(hashed) == 42
    assert account_key("a/b") == hashed != account_key("a/c")
    assert account_key("x" * 129).startswith("h_")


@pytest.mark.parametrize(("instant", "day"), [
    (datetime(2026, 11, 16, 7, 59, tzinfo=UTC), "2026_11_15"),
    (datetime(2026, 11, 16, 8, 0, tzinfo=UTC), "2026_11_16"),
    (datetime(2026, 3, 8, 9, 30, tzinfo=UTC), "2026_03_08"),  # 01:30 PST, DST starts at 2
])
def test_days_are_counted_in_the_quota_time_zone(instant: datetime, day: str) -> None:
    assert allowance.day_key(instant, LA) == day


def test_midnight_and_month_start_are_in_the_quota_time_zone_even_across_dst() -> None:
    assert allowance.next_midnight(NOW, LA) == datetime(2026, 11, 16, 8, 0, tzinfo=UTC)
    # 8 March 2026: the day DST starts in LA is 23 hours long.
    assert allowance.next_midnight(datetime(2026, 3, 8, 9, 0, tzinfo=UTC), LA) == \
        datetime(2026, 3, 9, 7, 0, tzinfo=UTC)
    assert allowance.next_month_start(NOW, LA) == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert allowance.next_month_start(datetime(2026, 12, 20, tzinfo=UTC), LA) == \
        datetime(2027, 1, 1, 8, 0, tzinfo=UTC)


# -- limits ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("spender", "daily", "monthly"), [
    (Spender("u", created_at=OLD), 20, 200),
    (Spender("u", created_at=NOW - timedelta(hours=23)), 5, 200),
    (Spender("u", created_at=NOW - timedelta(hours=24)), 20, 200),
    (Spender("u"), 5, 200),                                  # unknown to Auth: new
    (Spender(None), 100, None),                              # unattributed: daily x 5
    (Spender("u", roles=frozenset({"staff"})), None, None),  # exempt
    (Spender("u", roles=frozenset({"admin"})), None, None),
    (Spender(None, roles=frozenset({"admin"})), 100, None),  # roles need an account
])
def test_limits_by_kind_of_account(spender: Spender, daily: int | None,
                                   monthly: int | None) -> None:
    limits = allowance.limits_for(RULES, spender, NOW)
    assert (limits.daily, limits.monthly) == (daily, monthly)


def test_check_refuses_over_the_day_then_the_month_with_their_renewals() -> None:
    alice = Spender("alice", created_at=OLD)
    assert allowance.check(RULES, alice, usage(19), 1, NOW, LA) is None
    over_day = allowance.check(RULES, alice, usage(20), 1, NOW, LA)
    assert over_day == allowance.Refusal("daily", datetime(2026, 11, 16, 8, tzinfo=UTC))
    over_month = allowance.check(RULES, alice, usage(0, month=200), 1, NOW, LA)
    assert over_month == allowance.Refusal("monthly", datetime(2026, 12, 1, 8, tzinfo=UTC))
    # Yesterday's units do not count today.
    assert allowance.check(RULES, alice, usage(20, day="2026_11_14"), 1, NOW, LA) is None


def test_a_new_account_renews_when_it_is_24_hours_old_if_that_comes_first() -> None:
    young = Spender("y", created_at=NOW - timedelta(hours=20))
    refusal = allowance.check(RULES, young, usage(5), 1, NOW, LA)
    assert refusal is not None and refusal.renews_at == young.created_at + timedelta(hours=24)
    # Past the ordinary allowance too: only midnight helps.
    refusal = allowance.check(RULES, young, usage(20), 1, NOW, LA)
    assert refusal is not None and refusal.renews_at == allowance.next_midnight(NOW, LA)


def test_room_is_what_is_left_of_the_tighter_allowance() -> None:
    alice = Spender("alice", created_at=OLD)
    assert allowance.room(RULES, alice, usage(3, month=190), NOW, LA) == 10
    assert allowance.room(RULES, alice, usage(18, month=18), NOW, LA) == 2
    assert allowance.room(RULES, alice, usage(25), NOW, LA) == 0
    assert allowance.room(RULES, Spender("s", roles=frozenset({"staff"})), usage(99), NOW,
                          LA) is None


def test_charging_starts_a_new_day_and_a_refund_returns_to_the_charged_day_only() -> None:
    before = usage(4, month=9, day="2026_11_14")
    after = allowance.charged(before, 1, NOW, LA)
    assert (after.month_units, after.day, after.day_units) == (10, "2026_11_15", 1)
    assert allowance.refunded(after, 1, "2026_11_15") == AccountUsage(9, "2026_11_15", 0)
    # Charged yesterday, refunded today: the month gets it back, today's count stays.
    assert allowance.refunded(after, 1, "2026_11_14") == AccountUsage(9, "2026_11_15", 1)
    assert allowance.refunded(AccountUsage(0, "d", 0), 3, "d") == AccountUsage(0, "d", 0)


# -- flags ----------------------------------------------------------------------------------

def test_the_threshold_rejection_within_24_hours_flags_once() -> None:
    standing = AccountStanding()
    flags = []
    for minutes in (0, 60, 120):
        standing, newly = allowance.after_rejection(RULES, standing,
                                                    NOW + timedelta(minutes=minutes))
        flags.append(newly)
    assert flags == [False, False, True] and standing.flagged
    standing, newly = allowance.after_rejection(RULES, standing, NOW + timedelta(hours=3))
    assert standing.flagged and not newly  # already flagged: no second notice


def test_rejections_older_than_the_window_are_forgotten() -> None:
    standing = AccountStanding(rejected_at=(NOW - timedelta(hours=30),
                                            NOW - timedelta(hours=25)))
    standing, newly = allowance.after_rejection(RULES, standing, NOW)
    assert not newly and not standing.flagged and standing.rejected_at == (NOW,)


def test_admin_actions_on_an_account() -> None:
    standing = AccountStanding(flagged=True, rejected_at=(NOW,))
    spent = usage(7, month=30)
    assert allowance.apply_action("flag", AccountStanding(), spent, NOW, LA)[0].flagged
    unflagged, same = allowance.apply_action("unflag", standing, spent, NOW, LA)
    assert unflagged == AccountStanding() and same == spent
    kept, reset = allowance.apply_action("reset_day", standing, spent, NOW, LA)
    assert kept == standing and (reset.month_units, reset.units_on("2026_11_15")) == (30, 0)


# -- the reservation decision ---------------------------------------------------------------

def test_job_steps() -> None:
    later = NOW + timedelta(seconds=60)
    assert job_step(JobState(), "me", NOW, after_fallback=False) == "decide"
    assert job_step(JobState("done"), "me", NOW, after_fallback=True) == "done"
    assert job_step(JobState("fallback"), "me", NOW, after_fallback=False) == "done"
    assert job_step(JobState("fallback"), "me", NOW, after_fallback=True) == "decide"
    leased = JobState("reserved", "other", later, units=1)
    assert job_step(leased, "me", NOW, after_fallback=True) == "busy"
    assert job_step(leased, "other", NOW, after_fallback=False) == "mine"
    assert job_step(leased, "me", later, after_fallback=False) == "take_over"
    refused = JobState("reserved", "other", later, units=0)
    assert job_step(refused, "me", later, after_fallback=False) == "decide"


def test_a_job_from_before_the_fallback_state_reads_as_one() -> None:
    old_fallback = {"state": "done", "result": {"checked": False}}
    assert JobState.from_document(old_fallback).state == "fallback"
    assert JobState.from_document({**old_fallback, "final": True}).state == "done"
    assert JobState.from_document({"state": "done", "result": {"checked": True}}).state == \
        "done"


@pytest.mark.parametrize(("settings", "used", "spent", "standing", "kind"), [
    (VisionSettings(enabled=False, monthly_limit=0), 0, usage(99), AccountStanding(True),
     "disabled"),
    (VisionSettings(), 0, usage(0), AccountStanding(True), "flagged"),
    (VisionSettings(), 1000, usage(20), AccountStanding(), "over_allowance"),
    (VisionSettings(), 1000, usage(0), AccountStanding(), "exhausted"),
    (VisionSettings(), 999, usage(19), AccountStanding(), "reserved"),
])
def test_the_order_of_the_spend_decision(settings: VisionSettings, used: int,
                                         spent: AccountUsage, standing: AccountStanding,
                                         kind: str) -> None:
    decision = spend_decision(settings, used, 1, Spender("alice", created_at=OLD), spent,
                              standing, NOW, LA)
    assert decision.kind == kind
    assert (decision.renews_at is not None) is (kind == "over_allowance")


def test_a_flagged_account_is_judged_when_flagged_accounts_do_not_skip_vision() -> None:
    settings = VisionSettings(allowance=AllowanceSettings(flagged_skip_vision=False))
    assert spend_decision(settings, 0, 1, Spender("a", created_at=OLD), usage(0),
                          AccountStanding(True), NOW, LA).kind == "reserved"


# -- the admins' input ----------------------------------------------------------------------

def test_an_allowance_change_applies_only_the_fields_given() -> None:
    changed = parse_allowance_change({"daily": 50, "exempt_roles": ["admin", "admin"],
                                      "flagged_skip_vision": False, "monthly": 3.0}, RULES)
    assert changed == AllowanceSettings(daily=50, monthly=3, exempt_roles=("admin",),
                                        flagged_skip_vision=False)
    assert changed.unattributed == 250


@pytest.mark.parametrize(("data", "fragment"), [
    (None, "at least one"), ({}, "at least one"), ([], "at least one"),
    ({"daily": -1}, "'daily' must be a whole number from 0 to"),
    ({"daily": 1.5}, "'daily' must be a whole number"),
    ({"daily": True}, "'daily' must be a whole number"),
    ({"daily": "20"}, "'daily' must be a whole number"),
    ({"monthly": 10_000_001}, "'monthly' must be a whole number from 0 to 1000000"),
    ({"flag_after_rejections": 0}, "'flag_after_rejections' must be a whole number from 1"),
    ({"exempt_roles": "staff"}, "'exempt_roles' must be a list of roles from: staff, admin"),
    ({"exempt_roles": ["owner"]}, "'exempt_roles' must be a list"),
    ({"flagged_skip_vision": "yes"}, "'flagged_skip_vision' must be true or false"),
    ({"daily": 5, "weekly": 3}, "'weekly' is not a field"),
])
def test_a_bad_allowance_change_is_refused(data: object, fragment: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_allowance_change(data, RULES)
    assert fragment in str(err.value)


def test_stored_allowance_settings_keep_their_defaults_where_unreadable() -> None:
    stored = {"daily": "many", "monthly": 50, "newAccountDaily": -1, "exemptRoles": ["boss"],
              "flagAfterRejections": 0, "flaggedSkipVision": "no", "unattributedDaily": 7}
    assert AllowanceSettings.from_document(stored, RULES) == AllowanceSettings(
        monthly=50, unattributed_daily=7)
    assert AllowanceSettings.from_document(RULES.to_document(), AllowanceSettings(daily=1)) \
        == RULES


@pytest.mark.parametrize(("data", "expected"), [
    ({"uid": "alice", "action": "flag"}, ("alice", "flag")),
    ({"uid": UNATTRIBUTED, "action": "reset_day"}, (None, "reset_day")),
])
def test_an_account_action(data: object, expected: tuple[str | None, str]) -> None:
    assert parse_account_action(data) == expected


@pytest.mark.parametrize(("data", "fragment"), [
    (None, "Send"), ({"uid": "", "action": "flag"}, "'uid'"),
    ({"uid": 7, "action": "flag"}, "'uid'"), ({"uid": "x" * 129, "action": "flag"}, "'uid'"),
    ({"uid": "a", "action": "ban"}, "'action' must be one of: flag, unflag, reset_day"),
    ({"uid": "a"}, "'action'"), ({"uid": "a", "action": "flag", "why": 1}, "'why'"),
])
def test_a_bad_account_action_is_refused(data: object, fragment: str) -> None:
    with pytest.raises(InvalidInput) as err:
        parse_account_action(data)
    assert fragment in str(err.value)
