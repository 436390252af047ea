"""moderation/allowance.py: the stored documents both ways, the admins' input at its limits,
and the day in the quota time zone (not the server's, not UTC) wherever a rule reads it.
The rules themselves are in test_allowance.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from errors import InvalidInput
from moderation.allowance import (
    EXEMPTABLE_ROLES,
    UNATTRIBUTED,
    AccountStanding,
    AccountUsage,
    AllowanceSettings,
    Refusal,
    Spender,
    after_rejection,
    apply_action,
    charged,
    check,
    next_midnight,
    next_month_start,
    parse_account_action,
    parse_allowance_change,
    recent_rejections,
    room,
    top_accounts,
)

LA = ZoneInfo("America/Los_Angeles")
# 20:00 on the 19th in Los Angeles, the 20th in UTC and in Tokyo.
NOW = datetime(2026, 3, 20, 3, 0, tzinfo=UTC)
LA_DAY = "2026_03_19"
OLD = Spender("old", created_at=NOW - timedelta(days=30))
RULES = AllowanceSettings()


pytestmark = pytest.mark.usefixtures("server_in_tokyo")


# -- documents ---------------------------------------------------------------------------------

def test_account_usage_documents() -> None:
    usage = AccountUsage(month_units=9, day=LA_DAY, day_units=4, rejections=2)
    doc = {"units": 9, "day": LA_DAY, "dayUnits": 4, "rejections": 2}
    assert usage.to_document() == doc
    assert AccountUsage.from_document(doc) == usage
    assert AccountUsage.from_document(None) == AccountUsage()
    assert AccountUsage.from_document({"units": 0, "day": 5, "dayUnits": -1,
                                       "rejections": True}) == AccountUsage()


def test_account_standing_documents() -> None:
    times = (NOW - timedelta(hours=2), NOW)
    standing = AccountStanding(flagged=True, rejected_at=times)
    assert standing.to_document() == {"flagged": True, "rejectedAt": list(times)}
    assert AccountStanding.from_document(standing.to_document()) == standing
    assert AccountStanding.from_document(None) == AccountStanding()
    assert AccountStanding.from_document({"flagged": "yes", "rejectedAt": [NOW, "x", 3]}) == \
        AccountStanding(flagged=False, rejected_at=(NOW,))
    assert AccountStanding.from_document({"rejectedAt": "x"}).rejected_at == ()


def test_allowance_settings_documents_and_reply() -> None:
    settings = AllowanceSettings(daily=7, monthly=70, new_account_daily=2,
                                 unattributed_daily=None, exempt_roles=("admin",),
                                 flag_after_rejections=4, flagged_skip_vision=False)
    doc = {"daily": 7, "monthly": 70, "newAccountDaily": 2, "unattributedDaily": None,
           "exemptRoles": ["admin"], "flagAfterRejections": 4, "flaggedSkipVision": False}
    assert settings.to_document() == doc
    assert AllowanceSettings.from_document(doc, RULES) == settings
    assert settings.to_reply() == {
        "daily": 7, "monthly": 70, "new_account_daily": 2, "unattributed_daily": 35,
        "exempt_roles": ["admin"], "flag_after_rejections": 4, "flagged_skip_vision": False}
    stored = AllowanceSettings.from_document({"unattributedDaily": 0, "daily": 0,
                                              "exemptRoles": ["staff", "staff"]}, RULES)
    assert (stored.unattributed_daily, stored.daily, stored.exempt_roles) == (0, 0, ("staff",))
    assert stored.to_reply()["unattributed_daily"] == 0


def test_unreadable_allowance_fields_keep_their_defaults() -> None:
    mine = AllowanceSettings(daily=3, flag_after_rejections=2, exempt_roles=("staff",),
                             flagged_skip_vision=False)
    assert AllowanceSettings.from_document({"flagAfterRejections": 0, "exemptRoles": ["root"],
                                            "flaggedSkipVision": "no", "daily": -2},
                                           mine) == mine
    assert AllowanceSettings.from_document("x", mine) is mine
    assert AllowanceSettings.from_document({"exemptRoles": []}, mine).exempt_roles == ()


# -- the admins' input -------------------------------------------------------------------------

def refused(data: Any) -> tuple[str, dict[str, Any]]:
    with pytest.raises(InvalidInput) as err:
        parse_allowance_change(data, RULES)
    return err.value.message.code, err.value.message.params


ALL_FIELDS = ("daily, monthly, new_account_daily, unattributed_daily, flag_after_rejections, "
              "exempt_roles, flagged_skip_vision")


@pytest.mark.parametrize("data", [None, {}, ["daily"]])
def test_a_change_names_its_fields(data: Any) -> None:
    assert refused(data) == ("moderation.allowance.body", {"fields": ALL_FIELDS})


@pytest.mark.parametrize(("name", "low", "high"), [
    ("daily", 0, 1_000_000), ("monthly", 0, 1_000_000), ("new_account_daily", 0, 1_000_000),
    ("unattributed_daily", 0, 1_000_000), ("flag_after_rejections", 1, 1000)])
def test_each_count_at_its_limits(name: str, low: int, high: int) -> None:
    assert getattr(parse_allowance_change({name: low}, RULES), name) == low
    assert getattr(parse_allowance_change({name: float(high)}, RULES), name) == high
    for bad in (low - 1, high + 1):
        assert refused({name: bad}) == ("moderation.allowance.range",
                                        {"name": name, "low": low, "high": high})


def test_roles_and_the_vision_skip() -> None:
    got = parse_allowance_change({"exempt_roles": ["admin", "admin"],
                                  "flagged_skip_vision": False}, RULES)
    assert (got.exempt_roles, got.flagged_skip_vision) == (("admin",), False)
    for roles in ("admin", ["root"], [1], {"admin": True}):
        assert refused({"exempt_roles": roles}) == ("moderation.allowance.roles",
                                                    {"roles": ", ".join(EXEMPTABLE_ROLES)})
    assert refused({"flagged_skip_vision": 1}) == ("common.field_not_boolean",
                                                   {"name": "flagged_skip_vision"})


def test_an_account_action() -> None:
    assert parse_account_action({"uid": "u" * 128, "action": "flag"}) == ("u" * 128, "flag")
    assert parse_account_action({"uid": UNATTRIBUTED, "action": "reset_day"}) == (
        None, "reset_day")
    with pytest.raises(InvalidInput) as err:
        parse_account_action(["u"])
    assert (err.value.message.code, err.value.message.params) == (
        "moderation.account.body", {"actions": "flag, unflag, reset_day"})
    with pytest.raises(InvalidInput) as too_long:
        parse_account_action({"uid": "u" * 129, "action": "flag"})
    assert too_long.value.message.code == "moderation.account.uid"


# -- the day in the quota time zone ------------------------------------------------------------

def test_renewals_are_midnights_in_the_quota_zone_told_in_utc() -> None:
    midnight, month = next_midnight(NOW, LA), next_month_start(NOW, LA)
    assert midnight == datetime(2026, 3, 20, 7, 0, tzinfo=UTC)  # PDT
    assert month == datetime(2026, 4, 1, 7, 0, tzinfo=UTC)
    assert midnight.tzinfo is UTC and month.tzinfo is UTC
    # 20:00 on March 31st in Los Angeles is April 1st in Tokyo, where this server is.
    assert next_month_start(datetime(2026, 4, 1, 3, 0, tzinfo=UTC), LA) == month


def test_the_day_counted_is_the_quota_zones() -> None:
    usage = AccountUsage(month_units=5, day=LA_DAY, day_units=20)
    assert check(RULES, OLD, usage, 1, NOW, LA) == Refusal(
        "daily", datetime(2026, 3, 20, 7, 0, tzinfo=UTC))
    assert room(RULES, OLD, usage, NOW, LA) == 0
    assert charged(usage, 2, NOW, LA) == AccountUsage(month_units=7, day=LA_DAY, day_units=22)
    reset = apply_action("reset_day", AccountStanding(), usage, NOW, LA)
    assert reset == (AccountStanding(), AccountUsage(month_units=5, day=LA_DAY, day_units=0))


def test_the_month_may_be_spent_to_the_last_unit() -> None:
    usage = AccountUsage(month_units=199)
    assert check(RULES, OLD, usage, 1, NOW, LA) is None
    assert check(RULES, OLD, usage, 2, NOW, LA) == Refusal(
        "monthly", datetime(2026, 4, 1, 7, 0, tzinfo=UTC))


def test_a_new_account_may_spend_again_when_it_is_a_day_old() -> None:
    young = Spender("young", created_at=NOW - timedelta(hours=22))
    grown_up = NOW + timedelta(hours=2)  # before LA's midnight (7:00 UTC)
    usage = AccountUsage(day=LA_DAY, day_units=5)
    assert check(RULES, young, usage, 15, NOW, LA) == Refusal("daily", grown_up)
    assert check(RULES, young, usage, 16, NOW, LA) == Refusal(
        "daily", datetime(2026, 3, 20, 7, 0, tzinfo=UTC))


def test_a_rejection_exactly_24_hours_old_no_longer_counts() -> None:
    old = AccountStanding(rejected_at=(NOW - timedelta(hours=24), NOW - timedelta(hours=23)))
    assert recent_rejections(old, NOW) == 1
    standing, flagged = after_rejection(AllowanceSettings(flag_after_rejections=3), old, NOW)
    assert standing.rejected_at == (NOW - timedelta(hours=23), NOW) and not flagged
    assert recent_rejections(AccountStanding(), NOW) == 0


def test_unflagging_forgets_the_rejections() -> None:
    standing = AccountStanding(flagged=True, rejected_at=(NOW,))
    usage = AccountUsage(month_units=3)
    assert apply_action("unflag", standing, usage, NOW, LA) == (AccountStanding(), usage)
    assert apply_action("flag", AccountStanding(rejected_at=(NOW,)), usage, NOW, LA) == (
        AccountStanding(flagged=True, rejected_at=(NOW,)), usage)


def test_the_top_accounts() -> None:
    usages = [("b", AccountUsage(month_units=5)), ("a", AccountUsage(month_units=5)),
              ("c", AccountUsage(month_units=9)), ("d", AccountUsage(month_units=1))]
    assert [k for k, _ in top_accounts(usages, 3)] == ["c", "a", "b"]
    assert top_accounts(usages, 0) == []
