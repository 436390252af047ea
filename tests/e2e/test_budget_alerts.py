"""Cloud Billing budget notifications end to end: Pub/Sub CloudEvents shaped as Eventarc
delivers them, through functions-framework and firebase-functions' Pub/Sub wrapper, into
on_vision_budget_alert, the quota ledger's switch and the budget-alert records on the
Firestore emulator."""

from __future__ import annotations

import base64
import threading
from typing import Any

import pytest

from tests.support.budget_alerts import (
    ATTRIBUTES,
    DECEMBER,
    budget_data,
    deliver_alert,
)
from tests.support.moderation import callable_


def docs(firestore_client: Any, collection: str) -> list[dict[str, Any]]:
    return [d.to_dict() for d in firestore_client.collection(collection).stream()]


def vision_enabled() -> bool:
    import composition

    return composition.vision_ledger().read_settings().enabled


def system_audits(firestore_client: Any) -> list[dict[str, Any]]:
    return [a for a in docs(firestore_client, "admin_actions") if a.get("actor") == "system"]


def budget_notices(firestore_client: Any) -> list[dict[str, Any]]:
    return [n for n in docs(firestore_client, "admin_notifications")
            if n.get("kind") == "vision_budget"]


def test_crossing_the_budget_switches_vision_off_audited_as_system_and_notified(
        functions_env, call, firestore_client):
    deliver_alert(call, budget_data(cost=104.2), message_id="1001")

    assert vision_enabled() is False
    (audit,) = docs(firestore_client, "admin_actions")
    assert audit["action"] == "set_vision_enabled"
    assert (audit["adminUid"], audit["actor"], audit["source"]) == (
        "system:billing-budget", "system", "billing_budget")
    assert audit["before"] == {"enabled": True} and audit["after"] == {"enabled": False}
    assert audit["budget"]["budgetId"] == "budget-e2e"
    assert audit["budget"]["costAmount"] == 104.2 and audit["budget"]["budgetAmount"] == 100.0
    assert audit["budget"]["messageId"] == "1001"
    (config,) = docs(firestore_client, "system_config")
    assert config["enabled"] is False and config["updatedBy"] == "system:billing-budget"
    (notice,) = docs(firestore_client, "admin_notifications")
    assert notice["kind"] == "vision_budget" and notice["event"] == "vision_switched_off"
    assert (notice["budgetName"], notice["costAmount"], notice["budgetAmount"],
            notice["currencyCode"], notice["costIntervalStart"]) == (
        "Vision budget", 104.2, 100.0, "USD", "2026-11-01T07:00:00Z")
    assert notice["share"] == pytest.approx(1.042) and notice["visionSwitchedOff"] is True
    assert notice["read"] is False
    (record,) = docs(firestore_client, "budget_alerts")
    assert record["result"] == "switched_off" and record["action"] == "disable"
    assert audit["alertKey"] == record["key"]


def deliver_at_once(call: Any, twins: int, data: str | None, **kwargs: Any
                    ) -> list[BaseException]:
    """Deliver the same alert `twins` times at once (threads released together); what
    the deliveries raised."""
    start = threading.Barrier(twins)
    failures: list[BaseException] = []

    def twin() -> None:
        try:
            start.wait()
            deliver_alert(call, data, **kwargs)
        except BaseException as err:  # reported by the caller
            failures.append(err)

    threads = [threading.Thread(target=twin) for _ in range(twins)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return failures


def test_repeats_do_nothing_even_when_they_arrive_at_once(functions_env, call,
                                                          firestore_client):
    deliver_alert(call, budget_data(cost=101))
    failures = deliver_at_once(call, 4, budget_data(cost=101, interval=DECEMBER))
    assert failures == []
    deliver_alert(call, budget_data(cost=101))  # November again, later

    # One switch per interval, each audited, announced and recorded exactly once.
    assert len(system_audits(firestore_client)) == 1  # December found Vision off already
    assert len(docs(firestore_client, "admin_actions")) == 1
    assert sorted(n["event"] for n in budget_notices(firestore_client)) == [
        "vision_already_off", "vision_switched_off"]
    assert len(docs(firestore_client, "budget_alerts")) == 2


def test_four_twins_of_the_first_alert_switch_once(functions_env, call, firestore_client):
    failures = deliver_at_once(call, 4, budget_data(cost=120), message_id="2002")
    assert failures == []
    assert vision_enabled() is False
    assert len(docs(firestore_client, "admin_actions")) == 1
    assert [n["event"] for n in budget_notices(firestore_client)] == ["vision_switched_off"]
    assert len(docs(firestore_client, "budget_alerts")) == 1


def test_an_admin_who_turns_vision_back_on_stays_in_charge(functions_env, call, admin_token,
                                                           firestore_client):
    deliver_alert(call, budget_data(cost=101))
    reply = callable_(call, "setVisionApiEnabled", {"enabled": True}, admin_token)
    assert reply.get_json()["result"]["previousEnabled"] is False
    deliver_alert(call, budget_data(cost=130))  # the same interval, more spent
    assert vision_enabled() is True

    # A new interval below the share: nothing.
    deliver_alert(call, budget_data(cost=20, interval=DECEMBER, alertThresholdExceeded=0.2))
    assert vision_enabled() is True
    assert len(budget_notices(firestore_client)) == 1
    # The new interval crosses the share: off again.
    deliver_alert(call, budget_data(cost=100, interval=DECEMBER))
    assert vision_enabled() is False
    actions = sorted(docs(firestore_client, "admin_actions"), key=lambda a: a["at"])
    assert [(a["adminUid"], a["after"]) for a in actions] == [
        ("system:billing-budget", {"enabled": False}),
        ("admin-1", {"enabled": True}),
        ("system:billing-budget", {"enabled": False})]
    # The admin's record keeps its shape: no system fields.
    assert not {"actor", "source", "budget", "alertKey"} & set(actions[1])


def test_a_forecast_alone_leaves_vision_on_and_is_announced_once(functions_env, call,
                                                                 firestore_client):
    forecast = budget_data(cost=45, alertThresholdExceeded=None, forecastThresholdExceeded=1.0)
    deliver_alert(call, forecast)
    deliver_alert(call, forecast)
    assert vision_enabled() is True
    assert docs(firestore_client, "admin_actions") == []
    (notice,) = docs(firestore_client, "admin_notifications")
    assert notice["event"] == "forecast" and notice["forecastThresholdExceeded"] == 1.0
    assert notice["visionSwitchedOff"] is False


def test_vision_already_off_is_noted_without_an_audit_record_of_a_change(
        functions_env, call, admin_token, firestore_client):
    callable_(call, "setVisionApiEnabled", {"enabled": False}, admin_token)
    deliver_alert(call, budget_data(cost=150))
    deliver_alert(call, budget_data(cost=150))
    (audit,) = docs(firestore_client, "admin_actions")  # the admin's own, nothing else
    assert audit["adminUid"] == "admin-1"
    (notice,) = budget_notices(firestore_client)
    assert notice["event"] == "vision_already_off" and notice["visionWasAlreadyOff"] is True
    assert vision_enabled() is False


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


@pytest.mark.parametrize("data, attributes", [
    pytest.param("not base64 at all!", ATTRIBUTES, id="not-base64"),
    pytest.param(_b64(b"{not json"), ATTRIBUTES, id="not-json"),
    pytest.param(None, ATTRIBUTES, id="no-data"),
    pytest.param(budget_data(cost=None), ATTRIBUTES, id="cost-missing"),
    pytest.param(budget_data(cost=-5), ATTRIBUTES, id="cost-negative"),
    pytest.param(budget_data(cost="lots"), ATTRIBUTES, id="cost-not-a-number"),
    pytest.param(budget_data(budget=0), ATTRIBUTES, id="budget-zero"),
    pytest.param(budget_data(cost=500), {"schemaVersion": "1.0"}, id="no-budget-id"),
    pytest.param(budget_data(cost=500), None, id="no-attributes"),
])
def test_a_malformed_message_is_acknowledged_and_writes_nothing(
        functions_env, call, firestore_client, data, attributes):
    deliver_alert(call, data, attributes)  # 200: acknowledged, never retried
    assert vision_enabled() is True
    for collection in ("admin_actions", "admin_notifications", "budget_alerts",
                       "system_config"):
        assert docs(firestore_client, collection) == [], collection


def test_firestore_down_fails_the_delivery_so_pubsub_retries(functions_env, call,
                                                             monkeypatch):
    import composition
    from devtools.firestore_emulator import free_port

    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", f"127.0.0.1:{free_port()}")
    composition.reset()
    deliver_alert(call, budget_data(cost=101), expect=500)
