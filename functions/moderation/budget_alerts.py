"""Cloud Billing budget notifications switch Vision off; nothing here ever switches it on.

Cloud Billing publishes a budget's state to a Pub/Sub topic several times a day: the data
is JSON (budgetDisplayName, costAmount, budgetAmount, currencyCode, costIntervalStart,
alertThresholdExceeded, forecastThresholdExceeded, ...), the attributes name the budget
(billingAccountId, budgetId, schemaVersion). Google's own sample answers an overrun by
unlinking billing from the project, which stops Firebase too; here only Vision stops,
through the switch admins use (the ledger's `set_enabled`, audited in `admin_actions`).

The rules, per message:
- cost / budget >= `disable_at` (1.0 = 100 %): switch Vision off and tell admins
  (`admin_notifications`, kind "vision_budget"), once per (budget, cost interval, share);
  Vision already off: no change and no audit record of one, the notice says so;
- only a forecast threshold exceeded, the cost still below the share: a forecast notice,
  once per (budget, cost interval, forecast threshold); Vision stays on;
- anything else: nothing.
A repeat of a (budget, interval, share) that acted already does nothing, even after an
admin turned Vision back on: the admin decided. A new interval acts again only once its
own cost crosses the share.

A malformed message (not base64, not JSON, an amount missing, negative or not a number,
a budget of 0, no budgetId) is logged and acknowledged: a retry cannot fix it. Firestore
being unreachable raises, so Pub/Sub delivers the message again.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal, Protocol

from errors import StoreUnavailable
from identity import Caller
from log_fields import log_fields
from moderation.admin import AdminChange

log = logging.getLogger(__name__)

# Who switches Vision off for a budget: no person, so the audit record says "system".
SYSTEM_CALLER = Caller(uid="system:billing-budget", is_admin=True)
NOTICE_KIND = "vision_budget"
AUDIT_SOURCE = "billing_budget"
_MAX_TEXT = 300  # longest id or name kept from a message (a budget's name is at most 60)

Action = Literal["disable", "forecast"]
Result = Literal["malformed", "no_action", "repeat", "switched_off", "already_off",
                 "forecast_noticed"]


class MalformedAlert(ValueError):
    """A message no retry can fix; the text says what is wrong and is safe to log."""


@dataclass(frozen=True)
class BudgetAlert:
    """One budget notification, checked. Amounts are exact decimals, as sent."""

    budget_id: str
    budget_name: str
    billing_account_id: str | None
    cost: Decimal
    budget: Decimal
    currency: str
    interval_start: str
    alert_threshold: Decimal | None
    forecast_threshold: Decimal | None
    amount_type: str | None
    schema_version: str | None

    @property
    def share(self) -> Decimal:
        """cost / budget (the budget is never 0 here)."""
        return self.cost / self.budget

    def reaches(self, share: Decimal) -> bool:
        return self.cost >= share * self.budget

    def facts(self) -> dict[str, Any]:
        """The alert as stored in records and notices (Firestore holds no Decimal)."""
        return {
            "budgetId": self.budget_id, "budgetName": self.budget_name,
            "billingAccountId": self.billing_account_id,
            "costAmount": float(self.cost), "budgetAmount": float(self.budget),
            "currencyCode": self.currency, "share": float(self.share),
            "costIntervalStart": self.interval_start,
            "alertThresholdExceeded": _float_or_none(self.alert_threshold),
            "forecastThresholdExceeded": _float_or_none(self.forecast_threshold),
            "budgetAmountType": self.amount_type,
        }


@dataclass(frozen=True)
class Handled:
    """What one message did; `key` names its budget_alerts record when it had one."""

    result: Result
    key: str | None = None
    reason: str | None = None


class VisionSwitch(Protocol):
    """The ledger's admin switch (FirestoreVisionLedger.set_enabled), with what a system
    caller needs: extra audit fields, a fixed audit record id (a second call with it finds
    the first one's record and changes nothing), and no write at all when Vision is
    already as asked (then before == after)."""

    def set_enabled(self, caller: Caller, enabled: bool, *,
                    audit: dict[str, Any] | None = None, audit_id: str | None = None,
                    only_if_changed: bool = False) -> AdminChange: ...


class BudgetAlertRecords(Protocol):
    """`budget_alerts/{key}` (one per (budget, interval, action, share)) and the admin
    notice that goes with it. Raise StoreUnavailable when Firestore cannot be reached."""

    def seen(self, key: str) -> bool:
        """Whether the record of `key` exists (the alert acted already)."""
        ...

    def record_once(self, key: str, record: dict[str, Any], notice: dict[str, Any]) -> bool:
        """Create the record and the notice together unless the record exists; False when
        it did (another delivery got there first)."""
        ...


class VisionBudgetAlerts:
    def __init__(self, *, switch: VisionSwitch, records: BudgetAlertRecords,
                 disable_at: float, clock: Callable[[], datetime]) -> None:
        if not disable_at > 0:
            raise ValueError("disable_at must be a positive share of the budget")
        self._switch = switch
        self._records = records
        self._disable_at = Decimal(str(disable_at))
        self._clock = clock

    def handle(self, message_id: str, data: str | None,
               attributes: Mapping[str, str] | None) -> Handled:
        """One Pub/Sub message (data as base64 text, as Pub/Sub delivers it). Returns
        normally for everything a retry cannot change; raises StoreUnavailable when
        Firestore is down, so that Pub/Sub delivers the message again."""
        attributes = attributes or {}
        with log_fields(message_id=message_id, budget_id=_text(attributes.get("budgetId"))):
            try:
                alert = parse_alert(data, attributes)
            except MalformedAlert as err:
                log.warning("budget notification %s ignored: %s", message_id, err)
                return Handled("malformed", reason=str(err))
            try:
                return self._act(message_id, alert)
            except StoreUnavailable as err:
                log.warning("budget notification %s not handled, Firestore is unreachable "
                            "(Pub/Sub delivers it again): %s", message_id, err)
                raise

    def _act(self, message_id: str, alert: BudgetAlert) -> Handled:
        action, share = self._decide(alert)
        if action is None:
            log.info("budget %s at %.1f %% of %s %s: below %s %%, nothing to do",
                     alert.budget_id, alert.share * 100, alert.budget, alert.currency,
                     self._disable_at * 100)
            return Handled("no_action")
        key = alert_key(alert.budget_id, alert.interval_start, action, share)
        if self._records.seen(key):
            log.info("budget %s: %s at %s of the interval from %s handled before; "
                     "nothing to do", alert.budget_id, action, share, alert.interval_start)
            return Handled("repeat", key)
        now = self._clock()
        facts = {**alert.facts(), "disableAt": float(self._disable_at), "messageId": message_id}
        if action == "disable":
            change = self._switch.set_enabled(
                SYSTEM_CALLER, False, audit_id=f"budget-{key}", only_if_changed=True,
                audit={"actor": "system", "source": AUDIT_SOURCE, "alertKey": key,
                       "budget": facts})
            switched = change.before.get("enabled") is True
            result: Result = "switched_off" if switched else "already_off"
            event = "vision_switched_off" if switched else "vision_already_off"
        else:
            switched, result, event = False, "forecast_noticed", "forecast"
        notice = {**facts, "kind": NOTICE_KIND, "event": event, "visionSwitchedOff": switched,
                  "visionWasAlreadyOff": result == "already_off", "at": now, "read": False}
        record = {**facts, "key": key, "action": action, "threshold": float(share),
                  "result": result, "at": now}
        if not self._records.record_once(key, record, notice):
            log.info("budget %s: another delivery recorded %s first", alert.budget_id, key)
            return Handled("repeat", key)
        if result == "forecast_noticed":
            log.warning("budget %s is forecast to exceed %s %% of %s %s (cost so far %s); "
                        "Vision stays on", alert.budget_id, share * 100, alert.budget,
                        alert.currency, alert.cost)
        else:
            log.warning("budget %s at %.1f %% (%s of %s %s): Vision %s",
                        alert.budget_id, alert.share * 100, alert.cost, alert.budget,
                        alert.currency,
                        "switched off" if switched else "was already off")
        return Handled(result, key)

    def _decide(self, alert: BudgetAlert) -> tuple[Action | None, Decimal]:
        if alert.reaches(self._disable_at):
            return "disable", self._disable_at
        if alert.forecast_threshold is not None:
            return "forecast", alert.forecast_threshold
        return None, self._disable_at


def alert_key(budget_id: str, interval_start: str, action: Action, share: Decimal) -> str:
    """The id of the budget_alerts record: the same alert, repeated, gets the same key."""
    canonical = json.dumps([budget_id, interval_start, action, _decimal_text(share)])
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def parse_alert(data: str | None, attributes: Mapping[str, str]) -> BudgetAlert:
    """A budget notification from the message's base64 data and its attributes; raises
    MalformedAlert."""
    if not data:
        raise MalformedAlert("the message has no data")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as err:
        raise MalformedAlert("the message data is not base64") from err
    try:
        body = json.loads(raw.decode("utf-8"), parse_float=Decimal, parse_int=Decimal,
                          parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError) as err:
        raise MalformedAlert("the message data is not JSON") from err
    if not isinstance(body, dict):
        raise MalformedAlert("the message data is not a JSON object")
    budget_id = _text(attributes.get("budgetId"))
    if not budget_id:
        raise MalformedAlert("the message has no budgetId attribute")
    budget = _amount(body, "budgetAmount")
    if budget == 0:
        raise MalformedAlert("budgetAmount is 0: no share of it can be computed")
    interval = _text(body.get("costIntervalStart"))
    if not interval:
        raise MalformedAlert("costIntervalStart is missing")
    return BudgetAlert(
        budget_id=budget_id,
        budget_name=_text(body.get("budgetDisplayName")) or budget_id,
        billing_account_id=_text(attributes.get("billingAccountId")),
        cost=_amount(body, "costAmount"),
        budget=budget,
        currency=_text(body.get("currencyCode")) or "",
        interval_start=interval,
        alert_threshold=_optional_amount(body, "alertThresholdExceeded"),
        forecast_threshold=_optional_amount(body, "forecastThresholdExceeded"),
        amount_type=_text(body.get("budgetAmountType")),
        schema_version=_text(attributes.get("schemaVersion")),
    )


def _amount(body: dict[str, Any], name: str) -> Decimal:
    value = body.get(name)
    if value is None:
        raise MalformedAlert(f"{name} is missing")
    if not isinstance(value, Decimal) or not value.is_finite():
        raise MalformedAlert(f"{name} is not a number")
    if value < 0:
        raise MalformedAlert(f"{name} is negative")
    return value


def _optional_amount(body: dict[str, Any], name: str) -> Decimal | None:
    return None if body.get(name) is None else _amount(body, name)


def _text(value: object) -> str | None:
    """A string field, cut to a sane length; None for anything else or empty."""
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip()[:_MAX_TEXT]


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _decimal_text(value: Decimal) -> str:
    try:
        return format(value.normalize(), "f")
    except InvalidOperation:  # pragma: no cover - finite decimals always normalise
        return str(value)


def _float_or_none(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None
