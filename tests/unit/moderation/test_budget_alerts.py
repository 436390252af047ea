"""The budget-alert use case's rules on in-memory stand-ins for its own two ports (the
admins' Vision switch and the alert records); the Firestore adapter and the trigger are
tested on the emulator in tests/e2e/test_budget_alerts.py."""

from __future__ import annotations

import base64
import json
import logging
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from errors import StoreUnavailable
from identity import Caller
from infra.config import ConfigError, load_settings
from log_fields import current_fields
from moderation.admin import AdminChange
from moderation.budget_alerts import (
    SYSTEM_CALLER,
    MalformedAlert,
    VisionBudgetAlerts,
    alert_key,
    parse_alert,
)

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
NOVEMBER = "2026-11-01T07:00:00Z"
DECEMBER = "2026-12-01T08:00:00Z"
ATTRIBUTES = {"billingAccountId": "01D4EE-079462-DFD6EC", "budgetId": "budget-1",
              "schemaVersion": "1.0"}


class Switch:
    """The ledger's set_enabled as the use case sees it: Vision's state, the audit records
    by id; a fixed audit id is written once, and only_if_changed writes nothing when
    Vision is already as asked."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.audits: dict[str, dict[str, Any]] = {}
        self.down = False

    def set_enabled(self, caller: Caller, enabled: bool, *,
                    audit: dict[str, Any] | None = None, audit_id: str | None = None,
                    only_if_changed: bool = False) -> AdminChange:
        if self.down:
            raise StoreUnavailable(detail="down")
        if audit_id in self.audits:
            done = self.audits[audit_id]
            return AdminChange(done["before"], done["after"])
        before, after = {"enabled": self.enabled}, {"enabled": enabled}
        if only_if_changed and before == after:
            return AdminChange(before, after)
        self.enabled = enabled
        self.audits[audit_id or f"auto-{len(self.audits)}"] = {
            **(audit or {}), "adminUid": caller.uid, "before": before, "after": after}
        return AdminChange(before, after)


class Records:
    def __init__(self) -> None:
        self.records: dict[str, dict[str, Any]] = {}
        self.notices: list[dict[str, Any]] = []
        self.down = False
        self.record_fails = False  # the record's commit fails (seen() still answers)
        self.someone_else_first = False

    def seen(self, key: str) -> bool:
        if self.down:
            raise StoreUnavailable(detail="down")
        return key in self.records

    def record_once(self, key: str, record: dict[str, Any], notice: dict[str, Any]) -> bool:
        if self.down or self.record_fails:
            raise StoreUnavailable(detail="down")
        if self.someone_else_first:
            self.records[key] = {"by": "another delivery"}
        if key in self.records:
            return False
        self.records[key] = record
        self.notices.append(notice)
        return True


def data(cost: Any = 100.0, budget: Any = 100.0, interval: str = NOVEMBER,
         **extra: Any) -> str:
    body = {"budgetDisplayName": "Vision budget", "costAmount": cost,
            "costIntervalStart": interval, "budgetAmount": budget,
            "budgetAmountType": "SPECIFIED_AMOUNT", "currencyCode": "EUR",
            "alertThresholdExceeded": 1.0, **extra}
    return base64.b64encode(json.dumps({k: v for k, v in body.items() if v is not None})
                            .encode()).decode()


def make(enabled: bool = True, disable_at: float = 1.0
         ) -> tuple[VisionBudgetAlerts, Switch, Records]:
    switch, records = Switch(enabled), Records()
    return (VisionBudgetAlerts(switch=switch, records=records, disable_at=disable_at,
                               clock=lambda: NOW), switch, records)


# -- crossing the share ----------------------------------------------------------------------

def test_crossing_the_share_switches_vision_off_audited_as_system_and_announced() -> None:
    alerts, switch, records = make()
    handled = alerts.handle("m1", data(cost=101.5), ATTRIBUTES)

    assert handled.result == "switched_off" and switch.enabled is False
    (audit_id, audit), = switch.audits.items()
    assert audit_id == f"budget-{handled.key}"
    assert audit["adminUid"] == SYSTEM_CALLER.uid == "system:billing-budget"
    assert (audit["actor"], audit["source"], audit["alertKey"]) == (
        "system", "billing_budget", handled.key)
    assert audit["budget"]["budgetId"] == "budget-1"
    assert audit["budget"]["costAmount"] == 101.5 and audit["budget"]["budgetAmount"] == 100.0
    (notice,) = records.notices
    assert notice["kind"] == "vision_budget" and notice["event"] == "vision_switched_off"
    assert notice["visionSwitchedOff"] is True and notice["visionWasAlreadyOff"] is False
    assert (notice["budgetName"], notice["currencyCode"], notice["costIntervalStart"]) == (
        "Vision budget", "EUR", NOVEMBER)
    assert notice["share"] == pytest.approx(1.015) and notice["disableAt"] == 1.0
    assert notice["read"] is False and notice["at"] == NOW and notice["messageId"] == "m1"
    assert records.records[handled.key]["result"] == "switched_off"


def test_the_share_is_exact_at_the_boundary() -> None:
    alerts, switch, _ = make()
    assert alerts.handle("m1", data(cost=99.99), ATTRIBUTES).result == "no_action"
    assert switch.enabled is True
    # 0.1 + 0.2 is not 0.3 in binary floating point; the amounts are compared as sent.
    alerts, switch, _ = make(disable_at=0.3)
    assert alerts.handle("m1", data(cost=0.3, budget=1), ATTRIBUTES).result == "switched_off"


def test_the_share_is_configurable() -> None:
    alerts, switch, _ = make(disable_at=0.9)
    assert alerts.handle("m1", data(cost=90), ATTRIBUTES).result == "switched_off"
    assert switch.enabled is False


def test_below_the_share_nothing_happens() -> None:
    alerts, switch, records = make()
    assert alerts.handle("m1", data(cost=50, alertThresholdExceeded=0.5),
                         ATTRIBUTES).result == "no_action"
    assert switch.enabled is True and switch.audits == {} and records.records == {}


# -- idempotency -----------------------------------------------------------------------------

def test_repeats_of_an_alert_that_acted_do_nothing() -> None:
    alerts, switch, records = make()
    first = alerts.handle("m1", data(cost=101), ATTRIBUTES)
    again = alerts.handle("m2", data(cost=130), ATTRIBUTES)  # later, same interval
    assert (first.result, again.result) == ("switched_off", "repeat")
    assert first.key == again.key
    assert len(switch.audits) == 1 and len(records.notices) == 1


def test_an_admin_who_turns_vision_back_on_is_not_overruled_by_repeats() -> None:
    alerts, switch, _ = make()
    alerts.handle("m1", data(cost=101), ATTRIBUTES)
    switch.enabled = True  # an admin decides to carry on
    assert alerts.handle("m2", data(cost=140), ATTRIBUTES).result == "repeat"
    assert switch.enabled is True


def test_a_delivery_that_died_after_switching_is_finished_by_its_retry() -> None:
    alerts, switch, records = make()
    records.record_fails = True
    with pytest.raises(StoreUnavailable):
        alerts.handle("m1", data(cost=101), ATTRIBUTES)
    # Vision went off (the ledger's commit landed) but nothing was recorded or announced.
    assert switch.enabled is False and records.notices == []
    switch.enabled = True  # meanwhile an admin turned it back on
    records.record_fails = False
    handled = alerts.handle("m1", data(cost=101), ATTRIBUTES)
    # The audit record of the first attempt is found: no second change, and the notice
    # tells what the alert did.
    assert handled.result == "switched_off" and switch.enabled is True
    assert len(switch.audits) == 1 and len(records.notices) == 1


def test_a_twin_delivery_that_records_first_wins() -> None:
    alerts, switch, records = make()
    records.someone_else_first = True
    assert alerts.handle("m1", data(cost=101), ATTRIBUTES).result == "repeat"
    # Both twins used the same audit id: one change, and the winner's notice only.
    assert switch.enabled is False and len(switch.audits) == 1
    assert records.notices == []


def test_a_new_interval_acts_again_only_once_it_crosses_the_share() -> None:
    alerts, switch, _ = make()
    alerts.handle("m1", data(cost=101), ATTRIBUTES)
    switch.enabled = True  # an admin turned it back on for the rest of November
    assert alerts.handle("m2", data(cost=3, interval=DECEMBER,
                                    alertThresholdExceeded=None), ATTRIBUTES
                         ).result == "no_action"
    assert switch.enabled is True
    assert alerts.handle("m3", data(cost=100, interval=DECEMBER), ATTRIBUTES
                         ).result == "switched_off"
    assert switch.enabled is False and len(switch.audits) == 2


def test_vision_already_off_is_noted_without_an_audit_record_of_a_change() -> None:
    alerts, switch, records = make(enabled=False)
    handled = alerts.handle("m1", data(cost=120), ATTRIBUTES)
    assert handled.result == "already_off" and switch.audits == {}
    (notice,) = records.notices
    assert notice["event"] == "vision_already_off"
    assert notice["visionSwitchedOff"] is False and notice["visionWasAlreadyOff"] is True
    assert alerts.handle("m2", data(cost=120), ATTRIBUTES).result == "repeat"


def test_nothing_ever_switches_vision_on() -> None:
    alerts, switch, _ = make(enabled=False)
    for cost, interval in ((5, NOVEMBER), (120, NOVEMBER), (1, DECEMBER)):
        alerts.handle("m", data(cost=cost, interval=interval), ATTRIBUTES)
    assert switch.enabled is False


# -- forecasts -------------------------------------------------------------------------------

def test_a_forecast_alone_is_announced_once_and_leaves_vision_on() -> None:
    alerts, switch, records = make()
    forecast = data(cost=40, alertThresholdExceeded=None, forecastThresholdExceeded=1.0)
    first = alerts.handle("m1", forecast, ATTRIBUTES)
    again = alerts.handle("m2", forecast, ATTRIBUTES)
    assert (first.result, again.result) == ("forecast_noticed", "repeat")
    assert switch.enabled is True and switch.audits == {}
    (notice,) = records.notices
    assert notice["event"] == "forecast" and notice["visionSwitchedOff"] is False
    assert notice["forecastThresholdExceeded"] == 1.0
    # Crossing the share later in the same interval still switches Vision off.
    assert alerts.handle("m3", data(cost=100, forecastThresholdExceeded=1.0),
                         ATTRIBUTES).result == "switched_off"


# -- malformed messages ----------------------------------------------------------------------

def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


MALFORMED = {
    "no data": ("", ATTRIBUTES),
    "not base64": ("%%% not base64 %%%", ATTRIBUTES),
    "not UTF-8": (b64(b"\xff\xfe{}"), ATTRIBUTES),
    "not JSON": (b64(b"costAmount=100"), ATTRIBUTES),
    "a JSON list": (b64(b"[1, 2]"), ATTRIBUTES),
    "NaN cost": (b64(b'{"costAmount": NaN, "budgetAmount": 1, "costIntervalStart": "x"}'),
                 ATTRIBUTES),
    "cost missing": (data(cost=None), ATTRIBUTES),
    "cost a string": (data(cost="100"), ATTRIBUTES),
    "cost a boolean": (data(cost=True), ATTRIBUTES),
    "cost negative": (data(cost=-1), ATTRIBUTES),
    "budget missing": (data(budget=None), ATTRIBUTES),
    "budget 0": (data(budget=0), ATTRIBUTES),
    "threshold not a number": (data(forecastThresholdExceeded="high"), ATTRIBUTES),
    "no interval": (data(interval=""), ATTRIBUTES),
    "no budgetId": (data(), {"billingAccountId": "01D4EE-079462-DFD6EC"}),
    "no attributes": (data(), None),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_a_malformed_message_is_acknowledged_logged_and_changes_nothing(
        case: str, caplog: pytest.LogCaptureFixture) -> None:
    alerts, switch, records = make()
    message, attributes = MALFORMED[case]
    with caplog.at_level(logging.INFO):
        handled = alerts.handle("m1", message, attributes)
    assert handled.result == "malformed" and handled.reason
    assert switch.enabled is True and switch.audits == {} and records.records == {}
    (line,) = [r for r in caplog.records if r.name == "moderation.budget_alerts"]
    assert line.levelno == logging.WARNING and line.exc_info is None  # no stack trace
    assert "m1" in line.getMessage()


def test_parse_reads_every_field() -> None:
    alert = parse_alert(data(cost=12.34, forecastThresholdExceeded=0.9), ATTRIBUTES)
    assert alert.cost == Decimal("12.34") and alert.budget == Decimal("100.0")
    assert alert.billing_account_id == "01D4EE-079462-DFD6EC"
    assert alert.schema_version == "1.0" and alert.amount_type == "SPECIFIED_AMOUNT"
    assert alert.forecast_threshold == Decimal("0.9")
    with pytest.raises(MalformedAlert, match="budgetAmount is 0"):
        parse_alert(data(budget=0.0), ATTRIBUTES)


# -- Firestore down, logging -----------------------------------------------------------------

@pytest.mark.parametrize("part", ["records", "switch"])
def test_firestore_down_raises_so_pubsub_delivers_again(part: str) -> None:
    alerts, switch, records = make()
    (records if part == "records" else switch).down = True
    with pytest.raises(StoreUnavailable):
        alerts.handle("m1", data(cost=101), ATTRIBUTES)
    assert records.notices == []


def test_log_lines_carry_the_message_and_budget(caplog: pytest.LogCaptureFixture) -> None:
    seen: list[dict[str, str]] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(current_fields())

    handler = Capture()
    logger = logging.getLogger("moderation.budget_alerts")
    logger.addHandler(handler)
    try:
        with caplog.at_level(logging.INFO):
            make()[0].handle("m7", data(cost=101), ATTRIBUTES)
    finally:
        logger.removeHandler(handler)
    assert seen and all(f.get("message_id") == "m7" and f.get("budget_id") == "budget-1"
                        for f in seen)


# -- keys and configuration ------------------------------------------------------------------

def test_the_key_names_budget_interval_action_and_share() -> None:
    key = alert_key("b", NOVEMBER, "disable", Decimal("1.0"))
    assert key == alert_key("b", NOVEMBER, "disable", Decimal("1"))
    others = {alert_key("c", NOVEMBER, "disable", Decimal(1)),
              alert_key("b", DECEMBER, "disable", Decimal(1)),
              alert_key("b", NOVEMBER, "forecast", Decimal(1)),
              alert_key("b", NOVEMBER, "disable", Decimal("0.9"))}
    assert key not in others and len(others) == 4


def test_the_share_comes_from_configuration() -> None:
    assert load_settings({}).vision_budget_disable_at == 1.0
    assert load_settings({"VISION_BUDGET_DISABLE_AT": "0.8"}).vision_budget_disable_at == 0.8
    for bad in ("0", "-1", "all"):
        with pytest.raises(ConfigError, match="VISION_BUDGET_DISABLE_AT"):
            load_settings({"VISION_BUDGET_DISABLE_AT": bad})
    with pytest.raises(ValueError):
        make(disable_at=0)
