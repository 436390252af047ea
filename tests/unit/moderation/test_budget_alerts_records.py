"""The budget-alert use case's records, notices, keys and log lines, whole: what an admin
reads and what the next delivery looks up (tests/unit/moderation/test_budget_alerts.py holds
the rules). Written against the survivors of mutation testing (README, "Mutation testing")."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from errors import StoreUnavailable
from identity import Caller
from moderation.admin import AdminChange
from moderation.budget_alerts import VisionBudgetAlerts, alert_key

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
NOVEMBER = "2026-11-01T07:00:00Z"
ATTRIBUTES = {"billingAccountId": "01D4EE-079462-DFD6EC", "budgetId": "budget-1",
              "schemaVersion": "1.0"}


class Switch:
    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.calls: list[dict[str, Any]] = []

    def set_enabled(self, caller: Caller, enabled: bool, *,
                    audit: dict[str, Any] | None = None, audit_id: str | None = None,
                    only_if_changed: bool = False) -> AdminChange:
        self.calls.append({"uid": caller.uid, "enabled": enabled, "audit": audit,
                           "audit_id": audit_id, "only_if_changed": only_if_changed})
        before = {"enabled": self.enabled}
        self.enabled = enabled
        return AdminChange(before, {"enabled": enabled})


class Records:
    def __init__(self) -> None:
        self.records: dict[str, dict[str, Any]] = {}
        self.notices: list[dict[str, Any]] = []
        self.looked_up: list[str] = []
        self.taken_by_a_twin = False

    def seen(self, key: str) -> bool:
        self.looked_up.append(key)
        return key in self.records

    def record_once(self, key: str, record: dict[str, Any], notice: dict[str, Any]) -> bool:
        if self.taken_by_a_twin:
            return False
        self.records[key] = record
        self.notices.append(notice)
        return True


def message(budget_name: str | None = "Vision budget", **body: Any) -> str:
    fields = {"budgetDisplayName": budget_name, "costAmount": 101.5,
              "costIntervalStart": NOVEMBER, "budgetAmount": 100.0,
              "budgetAmountType": "SPECIFIED_AMOUNT", "currencyCode": "EUR",
              "alertThresholdExceeded": 1.0, **body}
    return base64.b64encode(json.dumps({k: v for k, v in fields.items() if v is not None})
                            .encode()).decode()


def make(enabled: bool = True) -> tuple[VisionBudgetAlerts, Switch, Records]:
    switch, records = Switch(enabled), Records()
    return (VisionBudgetAlerts(switch=switch, records=records, disable_at=1.0,
                               clock=lambda: NOW), switch, records)


FACTS = {"budgetId": "budget-1", "budgetName": "Vision budget",
         "billingAccountId": "01D4EE-079462-DFD6EC", "costAmount": 101.5,
         "budgetAmount": 100.0, "currencyCode": "EUR", "share": 1.015,
         "costIntervalStart": NOVEMBER, "alertThresholdExceeded": 1.0,
         "forecastThresholdExceeded": None, "budgetAmountType": "SPECIFIED_AMOUNT",
         "disableAt": 1.0, "messageId": "m1"}


def test_switching_off_writes_this_record_notice_and_audit() -> None:
    alerts, switch, records = make()
    handled = alerts.handle("m1", message(), ATTRIBUTES)
    key = alert_key("budget-1", NOVEMBER, "disable", Decimal(1))
    assert (handled.result, handled.key) == ("switched_off", key)
    assert records.looked_up == [key]
    assert records.records == {key: {**FACTS, "key": key, "action": "disable",
                                     "threshold": 1.0, "result": "switched_off", "at": NOW}}
    assert records.notices == [{**FACTS, "kind": "vision_budget",
                                "event": "vision_switched_off", "visionSwitchedOff": True,
                                "visionWasAlreadyOff": False, "at": NOW, "read": False}]
    assert switch.calls == [{"uid": "system:billing-budget", "enabled": False,
                             "audit": {"actor": "system", "source": "billing_budget",
                                       "alertKey": key, "budget": FACTS},
                             "audit_id": f"budget-{key}", "only_if_changed": True}]


def test_a_forecast_writes_its_own_record_and_notice() -> None:
    alerts, switch, records = make()
    handled = alerts.handle("m1", message(costAmount=40, alertThresholdExceeded=None,
                                          forecastThresholdExceeded=0.9), ATTRIBUTES)
    key = alert_key("budget-1", NOVEMBER, "forecast", Decimal("0.9"))
    assert (handled.result, handled.key) == ("forecast_noticed", key)
    facts = {**FACTS, "costAmount": 40.0, "share": 0.4, "alertThresholdExceeded": None,
             "forecastThresholdExceeded": 0.9}
    assert records.records == {key: {**facts, "key": key, "action": "forecast",
                                     "threshold": 0.9, "result": "forecast_noticed",
                                     "at": NOW}}
    assert records.notices[0]["event"] == "forecast"
    assert switch.calls == []


def test_a_message_without_optional_fields_stores_them_as_none() -> None:
    alerts, _, records = make()
    body = message(budget_name=None, currencyCode=None, budgetAmountType=None,
                   alertThresholdExceeded=None)
    alerts.handle("m1", body, {"budgetId": "budget-1"})
    (record,) = records.records.values()
    assert (record["budgetName"], record["billingAccountId"], record["currencyCode"],
            record["budgetAmountType"], record["alertThresholdExceeded"]) == (
        "budget-1", None, "", None, None)


def test_two_budgets_over_in_the_same_interval_each_act() -> None:
    """The key holds the budget: the second budget's overrun is no repeat of the first's."""
    alerts, switch, records = make()
    first = alerts.handle("m1", message(), ATTRIBUTES)
    second = alerts.handle("m2", message(), {**ATTRIBUTES, "budgetId": "budget-2"})
    assert (first.result, second.result) == ("switched_off", "already_off")
    assert first.key != second.key
    assert [n["budgetId"] for n in records.notices] == ["budget-1", "budget-2"]
    assert len(switch.calls) == 2


def test_the_key_of_a_record_never_changes() -> None:
    """Records already stored are looked up by it: the same alert must find them."""
    canonical = json.dumps(["budget-1", NOVEMBER, "disable", "10"]).encode()
    # pragma: allowlist nextline secret
    disable = "6e1288b445c316beaea7aee698ef788f24f446e29a9a975d281e1de59331c4f2"
    # pragma: allowlist nextline secret
    forecast = "76f31363efd89cc30c6af42efcdcf59972056c485d0f703ab5478e3b4631a493"
    assert alert_key("budget-1", NOVEMBER, "disable", Decimal("10")) == \
        hashlib.sha256(canonical).hexdigest() == disable
    assert alert_key("budget-1", NOVEMBER, "forecast", Decimal("0.90")) == forecast


def test_a_twin_that_recorded_first_is_answered_with_the_key() -> None:
    alerts, _, records = make()
    records.taken_by_a_twin = True
    handled = alerts.handle("m1", message(), ATTRIBUTES)
    assert (handled.result, handled.key) == ("repeat", alert_key("budget-1", NOVEMBER,
                                                                 "disable", Decimal(1)))


# -- log lines -----------------------------------------------------------------------------------

def lines(caplog: pytest.LogCaptureFixture) -> list[tuple[int, str]]:
    return [(r.levelno, r.getMessage()) for r in caplog.records
            if r.name == "moderation.budget_alerts"]


def test_the_log_lines_of_each_outcome(caplog: pytest.LogCaptureFixture) -> None:
    alerts, _, records = make()
    with caplog.at_level(logging.INFO):
        alerts.handle("m1", message(costAmount=50.25), ATTRIBUTES)
        alerts.handle("m2", message(), ATTRIBUTES)
        alerts.handle("m3", message(), ATTRIBUTES)
        alerts.handle("m4", message(), {**ATTRIBUTES, "budgetId": "budget-2"})
        alerts.handle("m5", message(costAmount=40, alertThresholdExceeded=None,
                                    forecastThresholdExceeded=0.9), ATTRIBUTES)
        records.taken_by_a_twin = True
        alerts.handle("m6", message(costAmount=40, alertThresholdExceeded=None,
                                    forecastThresholdExceeded=1.2), ATTRIBUTES)
    key = alert_key("budget-1", NOVEMBER, "forecast", Decimal("1.2"))
    assert lines(caplog) == [
        (logging.INFO, "budget budget-1 at 50.2 % of 100.0 EUR: below 100.0 %, nothing to do"),
        (logging.WARNING, "budget budget-1 at 101.5 % (101.5 of 100.0 EUR): Vision switched "
                          "off"),
        (logging.INFO, f"budget budget-1: disable at 1.0 of the interval from {NOVEMBER} "
                       "handled before; nothing to do"),
        (logging.WARNING, "budget budget-2 at 101.5 % (101.5 of 100.0 EUR): Vision was already "
                          "off"),
        (logging.WARNING, "budget budget-1 is forecast to exceed 90.0 % of 100.0 EUR (cost so "
                          "far 40); Vision stays on"),
        (logging.INFO, f"budget budget-1: another delivery recorded {key} first"),
    ]


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@pytest.mark.parametrize(("data", "attributes", "reason"), [
    ("", ATTRIBUTES, "the message has no data"),
    (None, ATTRIBUTES, "the message has no data"),
    ("%%% not base64 %%%", ATTRIBUTES, "the message data is not base64"),
    (message()[:8] + "!" + message()[8:], ATTRIBUTES, "the message data is not base64"),
    (b64(b"\xff\xfe{}"), ATTRIBUTES, "the message data is not JSON"),
    (b64(b"costAmount=100"), ATTRIBUTES, "the message data is not JSON"),
    (b64(b'{"costAmount": NaN, "budgetAmount": 1, "costIntervalStart": "x"}'), ATTRIBUTES,
     "the message data is not JSON"),
    (b64(b"[1, 2]"), ATTRIBUTES, "the message data is not a JSON object"),
    (message(), {"budgetId": "  "}, "the message has no budgetId attribute"),
    (message(budgetAmount=None), ATTRIBUTES, "budgetAmount is missing"),
    (message(budgetAmount=0), ATTRIBUTES, "budgetAmount is 0: no share of it can be computed"),
    (message(costAmount="7"), ATTRIBUTES, "costAmount is not a number"),
    (message(costAmount=-0.5), ATTRIBUTES, "costAmount is negative"),
    (message(costIntervalStart=" "), ATTRIBUTES, "costIntervalStart is missing"),
    (message(alertThresholdExceeded=-1), ATTRIBUTES, "alertThresholdExceeded is negative"),
    (message(forecastThresholdExceeded="x"), ATTRIBUTES,
     "forecastThresholdExceeded is not a number"),
])
def test_each_malformed_message_says_what_is_wrong(
        data: str | None, attributes: dict[str, str], reason: str,
        caplog: pytest.LogCaptureFixture) -> None:
    alerts, switch, _ = make()
    with caplog.at_level(logging.INFO):
        handled = alerts.handle("m1", data, attributes)
    assert (handled.result, handled.reason, handled.key) == ("malformed", reason, None)
    assert lines(caplog) == [(logging.WARNING,
                              f"budget notification m1 ignored: {reason}")]
    assert switch.calls == []


def test_an_unreachable_firestore_is_logged_and_raised(
        caplog: pytest.LogCaptureFixture) -> None:
    alerts, _, records = make()

    def down(key: str) -> bool:
        raise StoreUnavailable(detail="deadline exceeded")

    records.seen = down  # type: ignore[method-assign]
    with caplog.at_level(logging.INFO), pytest.raises(StoreUnavailable):
        alerts.handle("m1", message(), ATTRIBUTES)
    ((level, text),) = lines(caplog)
    assert level == logging.WARNING
    assert text == ("budget notification m1 not handled, Firestore is unreachable "
                    "(Pub/Sub delivers it again): deadline exceeded")


def test_the_share_to_disable_at_must_be_positive() -> None:
    for share in (0, -0.5):
        with pytest.raises(ValueError, match=r"^disable_at must be a positive share of the "
                                             r"budget$"):
            VisionBudgetAlerts(switch=Switch(), records=Records(), disable_at=share,
                               clock=lambda: NOW)
