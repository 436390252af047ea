"""The admin use cases over the real Firestore ledger (emulator): guards, validation,
effects, replies that survive JSON, and an unreachable database."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from google.cloud import firestore

from devtools.firestore_emulator import free_port
from errors import InvalidInput, PermissionDenied, Unauthenticated, Unavailable
from identity import Caller
from infra.firestore_rechecks import FirestoreRecheckStore
from infra.firestore_vision_ledger import FirestoreVisionLedger
from infra.frame_sampler import PillowFrameSampler
from infra.gcs_objects import GcsObjectStore
from infra.vision_safesearch import VisionSafeSearch
from moderation.accounts import Spenders
from moderation.admin import VisionAdmin
from moderation.image_reader import ImageReader
from moderation.paid_vision import PaidVision
from moderation.placement import Placement
from moderation.rechecks import ModerationRechecks
from moderation.settings import VisionSettings
from tests.support.spenders import MonthLedger

pytestmark = pytest.mark.emulator

LA = ZoneInfo("America/Los_Angeles")
# 14 days and 21 hours into November in LA, so the projection is not trivial.
NOW = datetime(2026, 11, 16, 4, 0, tzinfo=UTC)
ADMIN = Caller(uid="admin-1", is_admin=True, email="admin@example.com")
STAFF = Caller(uid="staff-1", is_admin=False, has_staff_claim=True)


class RecordingQueue:
    """The RecheckQueue port, keeping what was enqueued (Cloud Tasks in production)."""

    def __init__(self) -> None:
        self.tasks: list[dict] = []

    def enqueue(self, payload: dict, delay_s: float = 0.0) -> None:
        self.tasks.append(payload)


def make(client: firestore.Client, limit: int = 1000, queue: RecordingQueue | None = None,
         **ledger_kwargs: object) -> tuple[VisionAdmin, FirestoreVisionLedger]:
    clock = lambda: NOW  # noqa: E731
    ledger = MonthLedger(client, VisionSettings(monthly_limit=limit), LA, clock,
                         **ledger_kwargs)  # type: ignore[arg-type]
    # Drains and the backlog touch only Firestore and the queue; the clients stay unbuilt.
    objects = GcsObjectStore.create("demo-test")
    rechecks = ModerationRechecks(
        store=FirestoreRecheckStore(client, clock), queue=queue or RecordingQueue(),
        ledger=ledger, spenders=Spenders(None), objects=objects,
        reader=ImageReader(objects, PillowFrameSampler()),
        paid=PaidVision(ledger, VisionSafeSearch.create("http://127.0.0.1:9", 1.0),
                        VisionSettings()),
        placement=Placement(objects, "quarantine/", clock), clock=clock, tz=LA)
    return VisionAdmin(ledger, clock, LA, free_units=1000, price_per_1000=1.5,
                       rechecks=rechecks), ledger


def actions(client: firestore.Client) -> list[dict]:
    return [s.to_dict() for s in client.collection("admin_actions").stream()]


def test_status_of_a_fresh_project_is_the_defaults(firestore_client) -> None:
    admin, _ = make(firestore_client)
    status = admin.status(ADMIN)
    assert json.loads(json.dumps(status)) == status  # JSON-safe as is
    assert status == {
        "monthKey": "2026_11", "limit": 1000, "used": 0, "remaining": 1000,
        "enabled": True, "strategy": "warn", "rejectAction": "quarantine",
        "thresholds": {"adult": "LIKELY", "racy": "LIKELY", "violence": "LIKELY",
                       "medical": None, "spoof": None},
        "alertsSent": [], "projectedMonthEndUsage": 0, "projectedCostUsd": 0.0,
        "costSoFarUsd": 0.0, "updatedAt": None, "updatedBy": None,
        "recheckBacklog": {"waiting": 0, "queued": 0, "inProgress": 0,
                           "oldestQueuedAt": None},
        "allowance": {"daily": 20, "monthly": 200, "new_account_daily": 5,
                      "unattributed_daily": 100, "exempt_roles": ["admin", "staff"],
                      "flag_after_rejections": 3, "flagged_skip_vision": True},
        "topAccounts": [],
    }


def test_status_reports_usage_projection_cost_and_who_changed_what(firestore_client) -> None:
    admin, ledger = make(firestore_client, limit=5000)
    ledger.begin("jobs/a", 1500, {})
    admin.set_fallback_strategy(ADMIN, {"strategy": "deny"})
    status = admin.status(ADMIN)
    assert json.loads(json.dumps(status)) == status
    assert (status["used"], status["remaining"], status["limit"]) == (1500, 3500, 5000)
    assert status["strategy"] == "deny"
    # November 2026 in LA lasts 721 h (DST ends on the 1st); 357 h have passed at NOW.
    assert status["projectedMonthEndUsage"] == round(1500 * 721 / 357) == 3029
    assert status["costSoFarUsd"] == pytest.approx(0.75)
    expected_cost = (status["projectedMonthEndUsage"] - 1000) * 1.5 / 1000
    assert status["projectedCostUsd"] == pytest.approx(expected_cost, abs=1e-4)
    assert status["updatedAt"] == NOW.isoformat()
    assert status["updatedBy"] == "admin-1"


@pytest.mark.parametrize("name", ["status", "set_enabled", "set_fallback_strategy",
                                  "set_monthly_quota", "reset_quota"])
def test_every_admin_use_case_refuses_non_admins(firestore_client, name: str) -> None:
    admin, _ = make(firestore_client)
    with pytest.raises(PermissionDenied):
        getattr(admin, name)(STAFF, {"enabled": False, "strategy": "deny", "limit": 1})
    with pytest.raises(Unauthenticated):
        getattr(admin, name)(None, {"enabled": False, "strategy": "deny", "limit": 1})
    assert actions(firestore_client) == []
    assert not firestore_client.document("system_config/vision_api").get().exists


@pytest.mark.parametrize(("name", "data", "field"), [
    ("set_enabled", {"enabled": "false"}, "enabled"),
    ("set_enabled", {}, "enabled"),
    ("set_enabled", None, "enabled"),
    ("set_fallback_strategy", {"strategy": "block"}, "strategy"),
    ("set_fallback_strategy", {"strategy": 1}, "strategy"),
    ("set_monthly_quota", {"limit": -1}, "limit"),
    ("set_monthly_quota", {"limit": 2.5}, "limit"),
    ("set_monthly_quota", {"limit": "100"}, "limit"),
    ("set_monthly_quota", {"limit": True}, "limit"),
    ("set_monthly_quota", {"limit": 10_000_001}, "limit"),
])
def test_bad_input_names_the_field_and_changes_nothing(firestore_client, name: str,
                                                       data: object, field: str) -> None:
    admin, _ = make(firestore_client)
    with pytest.raises(InvalidInput, match=f"'{field}'"):
        getattr(admin, name)(ADMIN, data)
    assert actions(firestore_client) == []


def test_set_enabled_switches_reservations_off_and_on(firestore_client) -> None:
    admin, ledger = make(firestore_client)
    assert admin.set_enabled(ADMIN, {"enabled": False}) == {
        "success": True, "enabled": False, "previousEnabled": True}
    assert ledger.begin("jobs/a", 1, {}).kind == "disabled"
    ledger.release("jobs/a")  # the refused caller applied its fallback
    assert admin.set_enabled(ADMIN, {"enabled": True})["previousEnabled"] is False
    assert ledger.begin("jobs/a", 1, {}, after_fallback=True).kind == "reserved"
    assert [a["action"] for a in actions(firestore_client)] == ["set_vision_enabled"] * 2


def test_set_fallback_strategy_normalises_and_stores(firestore_client) -> None:
    admin, ledger = make(firestore_client)
    reply = admin.set_fallback_strategy(ADMIN, {"strategy": " DENY "})
    assert reply == {"success": True, "strategy": "deny", "previousStrategy": "warn"}
    assert ledger.read_settings().fallback_strategy == "deny"


def test_set_monthly_quota_takes_effect_on_the_next_reservation(firestore_client) -> None:
    admin, ledger = make(firestore_client)
    ledger.begin("jobs/a", 3, {})
    reply = admin.set_monthly_quota(ADMIN, {"limit": 3.0})
    assert reply == {"success": True, "limit": 3, "previousLimit": 1000}
    assert ledger.begin("jobs/b", 1, {}).kind == "exhausted"
    status = admin.status(ADMIN)
    assert (status["limit"], status["remaining"]) == (3, 0)


def test_reset_quota_reports_the_previous_usage_and_frees_the_month(firestore_client) -> None:
    admin, ledger = make(firestore_client, limit=2)
    ledger.begin("jobs/a", 2, {})
    assert ledger.begin("jobs/b", 1, {}).kind == "exhausted"
    ledger.release("jobs/b")  # the refused caller applied its fallback
    assert admin.reset_quota(ADMIN, None) == {"success": True, "monthKey": "2026_11",
                                              "previousUsage": 2, "usage": 0,
                                              "rechecksQueued": 0}
    assert ledger.begin("jobs/b", 1, {}, after_fallback=True).kind == "reserved"
    (record,) = actions(firestore_client)
    assert record["before"]["usageCount"] == 2


def test_check_alerts_announces_each_level_once(firestore_client) -> None:
    admin, ledger = make(firestore_client, limit=10)
    ledger.begin("jobs/a", 9, {})
    assert admin.check_alerts() == [80]
    assert admin.check_alerts() == []
    assert admin.status(ADMIN)["alertsSent"] == [80]


def test_an_unreachable_ledger_becomes_unavailable(monkeypatch) -> None:
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", f"127.0.0.1:{free_port()}")
    admin, _ = make(firestore.Client(project="demo-test"), rpc_timeout_s=2.0,
                    unavailable_budget_s=0.5)
    with pytest.raises(Unavailable) as caught:
        admin.status(ADMIN)
    assert "not reachable" in caught.value.message
    with pytest.raises(Unavailable):
        admin.set_enabled(ADMIN, {"enabled": False})
    with pytest.raises(Unavailable):
        admin.check_alerts()
