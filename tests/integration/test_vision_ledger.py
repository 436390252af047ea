"""The Firestore quota ledger on the real emulator: counting, idempotency, reset, admin
writes, alerts, contention and an unreachable database."""

from __future__ import annotations

import os
import threading
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from google.cloud import firestore

from devtools.firestore_emulator import free_port
from errors import StoreBusy, StoreUnavailable
from identity import Caller
from infra.firestore_vision_ledger import FirestoreVisionLedger
from moderation.settings import VisionSettings
from moderation.strategy import FallbackStrategy
from tests.support.spenders import MonthLedger

pytestmark = pytest.mark.emulator

LA = ZoneInfo("America/Los_Angeles")
NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
ADMIN = Caller(uid="admin-1", is_admin=True, email="admin@example.com")
LEASE_S = 120.0


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def make_ledger(client: firestore.Client, clock: Clock | None = None, *,
                limit: int = 100, enabled: bool = True, **kwargs: object
                ) -> FirestoreVisionLedger:
    defaults = VisionSettings(enabled=enabled, monthly_limit=limit)
    # Settle usageCount after every reservation, so the month document can be asserted on.
    kwargs.setdefault("settle_interval_s", 0.0)
    return MonthLedger(client, defaults, LA, clock or Clock(NOW), lease_s=LEASE_S,
                                 **kwargs)  # type: ignore[arg-type]


def doc(client: firestore.Client, path: str) -> dict | None:
    snap = client.document(path).get()
    return snap.to_dict() if snap.exists else None


def usage(client: firestore.Client, key: str = "2026_11") -> int:
    return (doc(client, f"vision_api_quota/{key}") or {}).get("usageCount", 0)


def collection(client: firestore.Client, name: str) -> list[dict]:
    return [s.to_dict() for s in client.collection(name).stream()]


# --- reservations ---------------------------------------------------------------------------

def test_first_reservation_creates_the_month_and_the_job(firestore_client) -> None:
    ledger = make_ledger(firestore_client, limit=50)
    begin = ledger.begin("image_moderation/a", 1, {"eventId": "e1", "state": "ignored"})

    assert (begin.kind, begin.month_key, begin.usage, begin.limit) == ("reserved", "2026_11",
                                                                       1, 50)
    assert begin.settings.monthly_limit == 50
    month = doc(firestore_client, "vision_api_quota/2026_11")
    assert month is not None
    assert {k: month[k] for k in ("monthKey", "usageCount", "limit", "epoch", "resetCount",
                                  "alertsSent")} == {
        "monthKey": "2026_11", "usageCount": 1, "limit": 50, "epoch": 0, "resetCount": 0,
        "alertsSent": []}
    assert month["lastUpdated"] == NOW
    job = doc(firestore_client, "image_moderation/a")
    assert job is not None
    assert job["state"] == "reserved"  # the caller's fields never override ours
    assert (job["units"], job["monthKey"], job["epoch"], job["deliveries"]) == (1, "2026_11",
                                                                               0, 1)
    assert job["eventId"] == "e1"
    assert job["leaseUntil"] == NOW + timedelta(seconds=LEASE_S)
    assert job["reservedAt"] == NOW


def test_units_are_counted_not_calls(firestore_client) -> None:
    ledger = make_ledger(firestore_client)
    assert ledger.begin("jobs/a", 2, {}).usage == 2
    assert ledger.begin("jobs/b", 3, {}).usage == 5
    assert usage(firestore_client) == 5
    assert doc(firestore_client, "jobs/b")["units"] == 3


def leased_without_units(client: firestore.Client, path: str, claim: str) -> bool:
    """A refusal leases its job to the caller (who applies a fallback) and counts nothing."""
    job = doc(client, path) or {}
    return (job.get("state"), job.get("units"), job.get("claim")) == ("reserved", 0, claim)


def test_the_limit_is_never_exceeded_and_a_refusal_only_leases_its_job(
        firestore_client) -> None:
    ledger = make_ledger(firestore_client, limit=3)
    assert ledger.begin("jobs/a", 2, {}).kind == "reserved"
    refused = ledger.begin("jobs/b", 2, {})
    assert (refused.kind, refused.usage, refused.limit) == ("exhausted", 2, 3)
    assert leased_without_units(firestore_client, "jobs/b", "exhausted")
    assert ledger.begin("jobs/c", 1, {}).kind == "reserved"  # exactly at the limit
    assert ledger.begin("jobs/d", 1, {}).kind == "exhausted"
    assert usage(firestore_client) == 3
    assert leased_without_units(firestore_client, "jobs/d", "exhausted")


def test_disabled_counts_nothing_and_wins_over_exhausted(firestore_client) -> None:
    ledger = make_ledger(firestore_client, limit=0, enabled=False)
    begin = ledger.begin("jobs/a", 1, {})
    assert (begin.kind, begin.usage, begin.limit) == ("disabled", 0, 0)
    assert leased_without_units(firestore_client, "jobs/a", "disabled")
    assert doc(firestore_client, "vision_api_quota/2026_11") is None


def test_zero_limit_is_exhausted_at_once(firestore_client) -> None:
    assert make_ledger(firestore_client, limit=0).begin("jobs/a", 1, {}).kind == "exhausted"


@pytest.mark.parametrize("units", [0, -1, True, 1.0])
def test_units_must_be_a_positive_whole_number(firestore_client, units: object) -> None:
    with pytest.raises(ValueError):
        make_ledger(firestore_client).begin("jobs/a", units, {})  # type: ignore[arg-type]
    assert doc(firestore_client, "jobs/a") is None


@pytest.mark.parametrize(("instant", "key"), [
    (datetime(2026, 12, 1, 7, 30, tzinfo=UTC), "2026_11"),  # 23:30 on 30 Nov in LA
    (datetime(2026, 12, 1, 8, 0, tzinfo=UTC), "2026_12"),   # midnight in LA
])
def test_month_key_follows_los_angeles_at_the_boundary(firestore_client, instant: datetime,
                                                       key: str) -> None:
    begin = make_ledger(firestore_client, Clock(instant)).begin("jobs/a", 1, {})
    assert begin.month_key == key
    assert usage(firestore_client, key) == 1
    assert doc(firestore_client, "jobs/a")["monthKey"] == key


# --- idempotency ----------------------------------------------------------------------------

def test_same_job_is_busy_under_its_lease_then_done_and_counted_once(firestore_client) -> None:
    clock = Clock(NOW)
    ledger = make_ledger(firestore_client, clock)
    assert ledger.begin("jobs/a", 1, {}).kind == "reserved"
    clock.advance(LEASE_S - 1)
    busy = ledger.begin("jobs/a", 1, {})
    assert (busy.kind, busy.usage) == ("busy", 1)

    ledger.complete("jobs/a", {"verdict": "approve"}, release=False)
    again = ledger.begin("jobs/a", 1, {})
    assert again.kind == "done"
    assert again.prior_result == {"verdict": "approve"}
    assert usage(firestore_client) == 1
    job = doc(firestore_client, "jobs/a")
    assert (job["state"], job["result"], job["completedAt"]) == ("done", {"verdict": "approve"},
                                                                 clock.now)


def test_expired_lease_is_taken_over_without_counting_again(firestore_client) -> None:
    clock = Clock(NOW)
    ledger = make_ledger(firestore_client, clock)
    ledger.begin("jobs/a", 2, {})
    clock.advance(LEASE_S + 1)
    takeover = ledger.begin("jobs/a", 2, {})
    assert (takeover.kind, takeover.usage) == ("reserved", 2)
    job = doc(firestore_client, "jobs/a")
    assert job["deliveries"] == 2
    assert job["leaseUntil"] == clock.now + timedelta(seconds=LEASE_S)
    # The new holder's lease is respected in turn.
    assert ledger.begin("jobs/a", 2, {}).kind == "busy"
    assert usage(firestore_client) == 2


def test_release_gives_units_back_exactly_once(firestore_client) -> None:
    ledger = make_ledger(firestore_client)
    ledger.begin("jobs/a", 2, {})
    ledger.begin("jobs/b", 1, {})
    assert usage(firestore_client) == 3

    ledger.complete("jobs/a", {"error": "unavailable"}, release=True)
    assert usage(firestore_client) == 1
    ledger.complete("jobs/a", {"error": "again"}, release=True)
    assert usage(firestore_client) == 1
    job = doc(firestore_client, "jobs/a")
    assert (job["state"], job["releasedUnits"], job["result"]) == ("done", 2,
                                                                   {"error": "unavailable"})


def test_complete_without_release_keeps_the_units(firestore_client) -> None:
    ledger = make_ledger(firestore_client)
    ledger.begin("jobs/a", 1, {})
    ledger.complete("jobs/a", {"ok": True}, release=False)
    assert usage(firestore_client) == 1
    assert doc(firestore_client, "jobs/a")["releasedUnits"] == 0


def test_complete_without_a_reservation_records_a_done_job_with_no_units(
        firestore_client) -> None:
    ledger = make_ledger(firestore_client, limit=0)
    refused = ledger.begin("jobs/a", 1, {})
    assert refused.kind == "exhausted"
    ledger.complete("jobs/a", {"status": "needs_review"}, owner=refused.owner, release=True)
    job = doc(firestore_client, "jobs/a")
    assert (job["state"], job["units"], job["monthKey"]) == ("done", 0, "2026_11")
    redelivery = ledger.begin("jobs/a", 1, {})
    assert (redelivery.kind, redelivery.prior_result) == ("done", {"status": "needs_review"})
    assert usage(firestore_client) == 0


def test_abandon_gives_back_and_forgets_the_job_once(firestore_client) -> None:
    ledger = make_ledger(firestore_client)
    ledger.begin("jobs/a", 1, {})
    ledger.begin("jobs/b", 1, {})
    ledger.abandon("jobs/a")
    assert doc(firestore_client, "jobs/a") is None
    assert usage(firestore_client) == 1
    ledger.abandon("jobs/a")
    assert usage(firestore_client) == 1
    # A done job is a result worth keeping: abandon leaves it alone.
    ledger.complete("jobs/b", {"ok": True}, release=False)
    ledger.abandon("jobs/b")
    assert doc(firestore_client, "jobs/b")["state"] == "done"


def test_release_of_a_reservation_from_last_month_goes_to_last_month(firestore_client) -> None:
    clock = Clock(datetime(2026, 12, 1, 7, 59, tzinfo=UTC))  # 30 Nov, 23:59 in LA
    ledger = make_ledger(firestore_client, clock)
    ledger.begin("jobs/a", 1, {})
    clock.advance(120)
    ledger.begin("jobs/b", 1, {})
    ledger.complete("jobs/a", {}, release=True)
    assert (usage(firestore_client, "2026_11"), usage(firestore_client, "2026_12")) == (0, 1)


# --- admin writes and reset -----------------------------------------------------------------

def test_reset_keeps_history_and_an_old_release_does_not_touch_the_new_epoch(
        firestore_client) -> None:
    clock = Clock(NOW)
    ledger = make_ledger(firestore_client, clock)
    ledger.begin("jobs/a", 1, {})
    ledger.begin("jobs/b", 1, {})
    clock.advance(60)
    change = ledger.reset_month(ADMIN)
    assert change.before["usageCount"] == 2
    assert change.after == {"monthKey": "2026_11", "usageCount": 0, "epoch": 1}

    month = doc(firestore_client, "vision_api_quota/2026_11")
    assert (month["usageCount"], month["epoch"], month["resetCount"],
            month["usageBeforeReset"], month["lastResetAt"]) == (0, 1, 1, 2, clock.now)
    assert month["monthKey"] == "2026_11"

    ledger.begin("jobs/c", 1, {})
    assert doc(firestore_client, "jobs/c")["epoch"] == 1
    ledger.complete("jobs/a", {}, release=True)  # reserved before the reset
    assert usage(firestore_client) == 1
    assert doc(firestore_client, "jobs/a")["releasedUnits"] == 0
    ledger.complete("jobs/c", {}, release=True)
    assert usage(firestore_client) == 0

    actions = collection(firestore_client, "admin_actions")
    assert len(actions) == 1
    assert (actions[0]["action"], actions[0]["adminUid"], actions[0]["before"]["usageCount"],
            actions[0]["after"]["usageCount"]) == ("reset_vision_quota", "admin-1", 2, 0)
    assert ledger.reset_month(ADMIN).after["epoch"] == 2


def test_reset_before_any_use_creates_a_clean_month(firestore_client) -> None:
    ledger = make_ledger(firestore_client, limit=7)
    ledger.reset_month(ADMIN)
    month = doc(firestore_client, "vision_api_quota/2026_11")
    assert (month["usageCount"], month["epoch"], month["limit"]) == (0, 1, 7)
    assert ledger.begin("jobs/a", 1, {}).usage == 1


@pytest.mark.parametrize(("method", "value", "field", "before", "action"), [
    ("set_enabled", False, "enabled", True, "set_vision_enabled"),
    ("set_fallback_strategy", FallbackStrategy.DENY, "fallbackStrategy", FallbackStrategy.WARN,
     "set_vision_fallback_strategy"),
    ("set_monthly_limit", 5, "monthlyLimit", 100, "set_vision_monthly_limit"),
])
def test_admin_write_updates_settings_and_appends_an_audit_record(
        firestore_client, method: str, value: object, field: str, before: object,
        action: str) -> None:
    clock = Clock(NOW)
    ledger = make_ledger(firestore_client, clock)
    change = getattr(ledger, method)(ADMIN, value)
    assert (change.before, change.after) == ({field: before}, {field: value})

    config = doc(firestore_client, "system_config/vision_api")
    assert config == {field: value, "updatedAt": NOW, "updatedBy": "admin-1"}
    (record,) = collection(firestore_client, "admin_actions")
    assert record == {"action": action, "adminUid": "admin-1",
                      "adminEmail": "admin@example.com", "before": {field: before},
                      "after": {field: value}, "at": NOW}
    # The next change records the stored value as its "before".
    getattr(ledger, method)(Caller(uid="admin-2", is_admin=True), before)
    records = collection(firestore_client, "admin_actions")
    assert sorted(str(r["before"][field]) for r in records) == sorted([str(before),
                                                                       str(value)])
    assert "adminEmail" not in next(r for r in records if r["adminUid"] == "admin-2")


def test_set_monthly_limit_also_sets_the_current_month(firestore_client) -> None:
    ledger = make_ledger(firestore_client, limit=100)
    ledger.begin("jobs/a", 4, {})
    ledger.set_monthly_limit(ADMIN, 5)
    assert doc(firestore_client, "vision_api_quota/2026_11")["limit"] == 5
    assert ledger.begin("jobs/b", 1, {}).kind == "reserved"
    refused = ledger.begin("jobs/c", 1, {})
    assert (refused.kind, refused.limit) == ("exhausted", 5)
    assert ledger.month_usage("2026_11") == (5, 5, [])


def test_another_instance_sees_a_settings_change_at_once(firestore_client) -> None:
    first = make_ledger(firestore_client)
    # A second instance: its own client, its own ledger, same database.
    second = make_ledger(firestore.Client(project=os.environ["GOOGLE_CLOUD_PROJECT"]))
    assert second.read_settings().enabled is True
    first.set_enabled(ADMIN, False)
    assert second.read_settings().enabled is False
    assert second.begin("jobs/a", 1, {}).kind == "disabled"
    first.set_enabled(ADMIN, True)
    first.set_monthly_limit(ADMIN, 1)
    assert second.begin("jobs/b", 1, {}).kind == "reserved"
    assert second.begin("jobs/c", 1, {}).kind == "exhausted"


def test_month_usage_of_an_unused_month(firestore_client) -> None:
    assert make_ledger(firestore_client, limit=42).month_usage("2026_10") == (0, 42, [])


# --- alerts ---------------------------------------------------------------------------------

def test_alerts_fire_once_per_level(firestore_client) -> None:
    clock = Clock(NOW)
    ledger = make_ledger(firestore_client, clock, limit=20)
    assert ledger.record_alerts(clock.now) == []  # no month document yet
    ledger.begin("jobs/a", 15, {})
    assert ledger.record_alerts(clock.now) == []
    ledger.begin("jobs/b", 1, {})  # 16 of 20 = 80 %
    assert ledger.record_alerts(clock.now) == [80]
    assert ledger.record_alerts(clock.now) == []
    ledger.begin("jobs/c", 4, {})  # 20 of 20: 95 % and 100 % at once
    assert ledger.record_alerts(clock.now) == [95, 100]
    assert ledger.record_alerts(clock.now) == []

    notes = sorted(collection(firestore_client, "admin_notifications"), key=lambda n: n["level"])
    assert [n["level"] for n in notes] == [80, 95, 100]
    assert notes[0] == {"kind": "vision_quota", "level": 80, "monthKey": "2026_11",
                        "usage": 16, "limit": 20, "at": NOW, "read": False}
    assert doc(firestore_client, "vision_api_quota/2026_11")["alertsSent"] == [80, 95, 100]

    # After a reset the levels are announced again as usage climbs back.
    ledger.reset_month(ADMIN)
    ledger.begin("jobs/d", 16, {})
    assert ledger.record_alerts(clock.now) == [80]


# --- contention and failure -----------------------------------------------------------------

def test_concurrent_reservations_never_pass_the_limit(firestore_client) -> None:
    ledger = make_ledger(firestore_client, limit=15)
    kinds: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker(index: int) -> None:
        for n in range(5):
            try:
                kind = ledger.begin(f"jobs/t{index}-{n}", 1, {}).kind
            except BaseException as err:  # any error reaching the caller is a failure
                with lock:
                    errors.append(err)
                continue
            with lock:
                kinds.append(kind)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)

    assert errors == []
    assert sorted(kinds) == ["exhausted"] * 5 + ["reserved"] * 15
    assert ledger.month_usage("2026_11")[0] == 15
    assert ledger.settle("2026_11") == 15  # concurrent settles skip; one more makes it exact
    assert usage(firestore_client) == 15
    reserved_jobs = [d for d in collection(firestore_client, "jobs")
                     if d.get("state") == "reserved" and d.get("units")]
    assert len(reserved_jobs) == 15


def test_unreachable_firestore_raises_ledger_unavailable_quickly(monkeypatch) -> None:
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", f"127.0.0.1:{free_port()}")
    client = firestore.Client(project="demo-test")
    ledger = make_ledger(client, rpc_timeout_s=2.0, unavailable_budget_s=1.0)
    calls = [
        lambda: ledger.begin("jobs/a", 1, {}),
        lambda: ledger.complete("jobs/a", {}, release=True),
        lambda: ledger.abandon("jobs/a"),
        ledger.read_settings,
        lambda: ledger.month_usage("2026_11"),
        lambda: ledger.set_enabled(ADMIN, False),
        lambda: ledger.reset_month(ADMIN),
        lambda: ledger.record_alerts(NOW),
    ]
    for call in calls:
        started = time.monotonic()
        with pytest.raises(StoreUnavailable):
            call()
        assert time.monotonic() - started < 8.0


# --- allotment shards: the invariants of infra/firestore_vision_ledger.py -------------------

def shards(client: firestore.Client, key: str = "2026_11") -> list[dict]:
    refs = client.collection(f"vision_api_quota/{key}/shards").stream()
    return [s.to_dict() for s in sorted(refs, key=lambda s: int(s.id))]


def set_shards(client: firestore.Client, caps: list[int], used: list[int],
               key: str = "2026_11") -> None:
    for i, (cap, u) in enumerate(zip(caps, used, strict=True)):
        client.document(f"vision_api_quota/{key}/shards/{i}").set(
            {"cap": cap, "used": u, "epoch": 0})


def test_a_month_is_created_with_its_shards_and_caps_that_add_up_to_the_limit(
        firestore_client) -> None:
    ledger = make_ledger(firestore_client, limit=50, shard_count=8)
    ledger.begin("jobs/a", 1, {})
    found = shards(firestore_client)
    assert len(found) == 8
    assert sum(s["cap"] for s in found) == 50  # I1: the caps never pass the limit
    assert sum(s["used"] for s in found) == 1
    assert {s["epoch"] for s in found} == {0}
    job = doc(firestore_client, "jobs/a")
    assert found[job["shard"]]["used"] == 1  # the unit sits in the shard the job names
    assert doc(firestore_client, "vision_api_quota/2026_11")["shardCount"] == 8


def test_room_held_by_one_idle_shard_is_used_before_anyone_is_refused(firestore_client) -> None:
    ledger = make_ledger(firestore_client, limit=5, shard_count=4)
    ledger.begin("jobs/warm", 1, {})
    ledger.abandon("jobs/warm")
    set_shards(firestore_client, caps=[0, 0, 5, 0], used=[0, 0, 0, 0])  # all room in shard 2
    kinds = [ledger.begin(f"jobs/{n}", 1, {}).kind for n in range(6)]
    assert kinds == ["reserved"] * 5 + ["exhausted"]  # I2
    assert [s["used"] for s in shards(firestore_client)] == [0, 0, 5, 0]


def test_room_split_too_thin_for_a_request_is_dealt_again(firestore_client) -> None:
    ledger = make_ledger(firestore_client, limit=4, shard_count=4)  # one unit of room each
    assert ledger.begin("jobs/a", 3, {}).kind == "reserved"  # I2: 3 units fit after a deal
    assert ledger.begin("jobs/b", 1, {}).kind == "reserved"
    assert ledger.begin("jobs/c", 1, {}).kind == "exhausted"
    found = shards(firestore_client)
    assert sum(s["used"] for s in found) == 4 and sum(s["cap"] for s in found) == 4


def test_a_limit_change_deals_this_month_and_next_month_again(firestore_client) -> None:
    clock = Clock(NOW)
    ledger = make_ledger(firestore_client, clock, limit=40, shard_count=4)
    for n in range(6):
        ledger.begin(f"jobs/{n}", 1, {})
    assert ledger.ensure_months(clock.now) == ["2026_12"]  # the next month, ahead of time
    ledger.set_monthly_limit(ADMIN, 10)
    now_shards, next_shards = shards(firestore_client), shards(firestore_client, "2026_12")
    assert sum(s["cap"] for s in now_shards) == 10  # I6
    assert sum(s["used"] for s in now_shards) == 6
    assert all(s["cap"] >= s["used"] for s in now_shards)
    assert sum(s["cap"] for s in next_shards) == 10
    assert doc(firestore_client, "vision_api_quota/2026_12")["limit"] == 10
    assert [ledger.begin(f"jobs/x{n}", 1, {}).kind for n in range(5)] == [
        "reserved"] * 4 + ["exhausted"]


def test_a_limit_lowered_below_the_usage_grants_nothing_even_after_releases(
        firestore_client) -> None:
    ledger = make_ledger(firestore_client, limit=10, shard_count=2)
    for n in range(6):
        ledger.begin(f"jobs/{n}", 1, {})
    ledger.set_monthly_limit(ADMIN, 4)
    assert ledger.begin("jobs/x", 1, {}).kind == "exhausted"
    ledger.complete("jobs/0", {}, release=True)
    ledger.complete("jobs/1", {}, release=True)  # 4 used: still no room
    assert ledger.begin("jobs/y", 1, {}).kind == "exhausted"
    ledger.complete("jobs/2", {}, release=True)  # 3 used: one unit of room
    assert ledger.begin("jobs/z", 1, {}).kind == "reserved"
    assert ledger.begin("jobs/w", 1, {}).kind == "exhausted"
    assert ledger.month_usage("2026_11")[0] == 4


def test_caps_that_disagree_with_the_settings_are_dealt_before_anyone_reserves(
        firestore_client) -> None:
    ledger = make_ledger(firestore_client, limit=100, shard_count=4)
    ledger.begin("jobs/a", 1, {})
    # An edit that bypassed set_monthly_limit (console, another tool): caps still say 100.
    firestore_client.document("system_config/vision_api").set({"monthlyLimit": 2})
    assert ledger.begin("jobs/b", 1, {}).kind == "reserved"
    assert ledger.begin("jobs/c", 1, {}).kind == "exhausted"
    assert sum(s["cap"] for s in shards(firestore_client)) == 2
    assert doc(firestore_client, "vision_api_quota/2026_11")["limit"] == 2


def test_a_month_from_before_shards_keeps_its_count_and_its_jobs_release(
        firestore_client) -> None:
    # What the previous ledger left: usage in the month document, jobs without a shard.
    firestore_client.document("vision_api_quota/2026_11").set({
        "monthKey": "2026_11", "usageCount": 7, "limit": 10, "epoch": 0,
        "lastUpdated": NOW, "alertsSent": []})
    firestore_client.document("jobs/old").set({
        "state": "reserved", "units": 1, "monthKey": "2026_11", "epoch": 0,
        "leaseUntil": NOW, "leaseOwner": "gone"})
    ledger = make_ledger(firestore_client, limit=10, shard_count=4)
    assert ledger.month_usage("2026_11")[0] == 7
    kinds = [ledger.begin(f"jobs/{n}", 1, {}).kind for n in range(4)]
    assert kinds == ["reserved"] * 3 + ["exhausted"]
    assert shards(firestore_client)[0]["used"] >= 7
    ledger.complete("jobs/old", {}, release=True)  # its unit went to shard 0
    assert ledger.month_usage("2026_11")[0] == 9
    assert doc(firestore_client, "jobs/old")["releasedUnits"] == 1


def test_a_new_month_is_created_once_under_concurrent_first_reservations(
        firestore_client) -> None:
    ledger = make_ledger(firestore_client, limit=10, shard_count=4, settle_interval_s=60.0)
    kinds: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(20)

    def worker(n: int) -> None:
        barrier.wait()
        try:
            kinds.append(ledger.begin(f"jobs/{n}", 1, {}).kind)
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(20)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []  # I8: nobody failed on creating the month
    assert sorted(kinds) == ["exhausted"] * 10 + ["reserved"] * 10
    assert len(shards(firestore_client)) == 4
    assert ledger.month_usage("2026_11")[0] == 10
    assert time.monotonic() - started < 20


def test_usage_count_is_settled_by_the_first_reservation_after_the_interval(
        firestore_client) -> None:
    clock = Clock(NOW)
    ledger = make_ledger(firestore_client, clock, settle_interval_s=60.0)
    ledger.ensure_months(clock.now)
    clock.advance(61)
    ledger.begin("jobs/a", 1, {})  # the month was last written 61 s ago: settled
    assert usage(firestore_client) == 1
    ledger.begin("jobs/b", 1, {})  # settled 0 s ago: not yet
    assert usage(firestore_client) == 1
    assert ledger.month_usage("2026_11")[0] == 2  # the status adds up the shards
    clock.advance(61)
    ledger.complete("jobs/b", {}, release=True)  # a release settles too
    assert usage(firestore_client) == 1
    ledger.begin("jobs/c", 1, {})
    assert ledger.record_alerts(clock.now) == []  # the alert check settles on the way
    assert usage(firestore_client) == 2


def test_a_reservation_gives_up_within_its_budget_while_the_shards_are_locked(
        firestore_client) -> None:
    ledger = make_ledger(firestore_client, limit=100, shard_count=2, reserve_budget_s=1.0)
    ledger.begin("jobs/warm", 1, {})
    locked = threading.Event()

    def hold_the_shards() -> None:
        # An admin-style transaction that reads every shard (taking their locks) and takes
        # its time: a reservation's commit on a shard waits for it.
        @firestore.transactional
        def body(tx: firestore.Transaction) -> None:
            refs = [firestore_client.document(f"vision_api_quota/2026_11/shards/{i}")
                    for i in range(2)]
            list(firestore_client.get_all(refs, transaction=tx))
            locked.set()
            time.sleep(3.0)
            tx.update(refs[0], {"touchedAt": NOW})

        body(firestore_client.transaction())

    holder = threading.Thread(target=hold_the_shards)
    holder.start()
    try:
        assert locked.wait(10)
        started = time.monotonic()
        with pytest.raises(StoreBusy):
            ledger.begin("jobs/a", 1, {})
        elapsed = time.monotonic() - started
    finally:
        holder.join()
    assert elapsed < 2.5  # I9: the 1 s budget, plus one cut-short call at most
    assert doc(firestore_client, "jobs/a") is None  # nothing half-written
    assert ledger.month_usage("2026_11")[0] == 1


# --- storms: the bench's cases, small enough for CI, with real concurrency ------------------

def storm(ledger: FirestoreVisionLedger, threads: int, per_thread: int, prefix: str,
          kinds: list[str] | None = None, progress: threading.Condition | None = None
          ) -> tuple[list[str], list[BaseException]]:
    """`threads` workers reserving `per_thread` units each at once; what each was told (in
    `kinds`, as it comes: `progress` is notified at each answer) and what raised."""
    kinds = [] if kinds is None else kinds
    errors: list[BaseException] = []
    lock = progress or threading.Condition()
    barrier = threading.Barrier(threads)

    def worker(index: int) -> None:
        barrier.wait()
        for n in range(per_thread):
            try:
                kind = ledger.begin(f"jobs/{prefix}{index}-{n}", 1, {}).kind
            except BaseException as err:
                with lock:
                    errors.append(err)
                continue
            with lock:
                kinds.append(kind)
                lock.notify_all()

    pool = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=120)
    return kinds, errors


@pytest.mark.parametrize(("threads", "per_thread", "limit", "existing"), [
    (20, 1, 7, True),    # bench case (a), scaled down
    (20, 1, 7, False),   # (b): nobody has created the month yet
    (10, 4, 25, True),   # (c)
])
def test_a_storm_grants_exactly_the_limit(firestore_client, threads: int, per_thread: int,
                                          limit: int, existing: bool) -> None:
    ledger = make_ledger(firestore_client, Clock(NOW), limit=limit, settle_interval_s=2.0)
    if existing:
        ledger.ensure_months(NOW)
    kinds, errors = storm(ledger, threads, per_thread, "s")
    assert errors == []
    assert kinds.count("reserved") == limit
    assert kinds.count("exhausted") == threads * per_thread - limit
    assert ledger.month_usage("2026_11")[0] == limit
    reserved = [d for d in collection(firestore_client, "jobs")
                if d["state"] == "reserved" and d["units"]]
    assert len(reserved) == limit
    per_shard: dict[int, int] = {}
    for job in reserved:
        per_shard[job["shard"]] = per_shard.get(job["shard"], 0) + 1
    # Every unit sits in the shard its job names, and no shard went past its cap.
    for i, shard in enumerate(shards(firestore_client)):
        assert shard["used"] == per_shard.get(i, 0) <= shard["cap"]


def test_a_storm_while_an_admin_lowers_the_limit_and_resets_never_passes_it(
        firestore_client) -> None:
    ledger = make_ledger(firestore_client, Clock(NOW), limit=60, settle_interval_s=2.0)
    ledger.ensure_months(NOW)
    stop = threading.Event()
    samples: list[tuple[int, int]] = []
    admin_errors: list[BaseException] = []
    lowered: list[int] = []
    used_when_lowered: list[int] = []

    def sample() -> None:
        while not stop.is_set():
            limit = ledger.read_settings().monthly_limit  # read first: it only goes down
            samples.append((ledger.month_usage("2026_11")[0], limit))
            time.sleep(0.05)

    kinds: list[str] = []
    progress = threading.Condition()

    def after_answers(count: int) -> None:
        """Wait until the storm has had `count` more answers: each change lands mid-storm,
        whatever the machine's speed."""
        with progress:
            target = len(kinds) + count
            assert progress.wait_for(lambda: len(kinds) >= target, 60), "the storm stalled"

    def admin() -> None:
        try:
            after_answers(15)
            ledger.reset_month(ADMIN)
            after_answers(15)
            # Lower it, aiming above what is used now. Grants landing while the change
            # commits may still take usage past the new limit (lowering below the usage is
            # allowed, by design: the month is then over at once); from the moment the
            # change has committed, not one more unit may be granted.
            lowered.append(min(59, ledger.month_usage("2026_11")[0] + 20))
            ledger.set_monthly_limit(ADMIN, lowered[0])
            used_when_lowered.append(ledger.month_usage("2026_11")[0])
            after_answers(15)
            ledger.reset_month(ADMIN)
        except BaseException as err:
            admin_errors.append(err)

    sampler, changer = threading.Thread(target=sample), threading.Thread(target=admin)
    sampler.start()
    changer.start()
    kinds, errors = storm(ledger, 10, 12, "d", kinds, progress)
    changer.join(timeout=60)
    stop.set()
    sampler.join(timeout=10)

    assert errors == [] and admin_errors == []

    def bound(limit: int) -> int:
        return max(limit, *used_when_lowered) if limit == lowered[0] else limit

    over = [(i, s) for i, s in enumerate(samples) if s[0] > bound(s[1])]
    assert samples and over == [], f"lowered {lowered}, over {over}, samples {samples}"
    final_used, final_limit, _ = ledger.month_usage("2026_11")
    assert final_limit == lowered[0] < 60 and final_used <= final_limit
    month = doc(firestore_client, "vision_api_quota/2026_11")
    assert month["epoch"] == 2
    # Exact per epoch: the reserved jobs of the last epoch are the final usage.
    last_epoch = [d for d in collection(firestore_client, "jobs")
                  if d["state"] == "reserved" and d["epoch"] == 2 and d["units"]]
    assert len(last_epoch) == final_used
    assert kinds.count("reserved") >= final_used


def test_an_admin_fence_pauses_reservations_and_the_change_lifts_it(firestore_client) -> None:
    ledger = make_ledger(firestore_client, limit=10, shard_count=2)
    ledger.begin("jobs/warm", 1, {})
    month = firestore_client.document("vision_api_quota/2026_11")
    month.update({"fenceUntil": datetime.now(UTC) + timedelta(seconds=1)})
    started = time.monotonic()
    assert ledger.begin("jobs/a", 1, {}).kind == "reserved"
    assert time.monotonic() - started >= 0.5  # it waited for the fence to run out
    # A fence further ahead than any admin sets is ignored (a clock far off, say).
    month.update({"fenceUntil": datetime.now(UTC) + timedelta(hours=1)})
    assert ledger.begin("jobs/b", 1, {}).kind == "reserved"
    ledger.set_monthly_limit(ADMIN, 8)
    assert doc(firestore_client, "vision_api_quota/2026_11")["fenceUntil"] is None
    assert ledger.month_usage("2026_11") == (3, 8, [])
