"""What only the Firestore ledger can show about allowances (the behaviours both ledgers
share are in tests/contract/test_quota_ledger_contract.py): the documents, the charge in
the same commit as the month's unit under concurrency, the flag's notice once a day, and
that no document shared by all accounts is written per reservation."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from google.cloud import firestore

from identity import Caller
from infra.firestore_vision_ledger import FirestoreVisionLedger
from moderation.allowance import AllowanceSettings, Spender
from moderation.settings import VisionSettings
from tests.support.fakes import FakeClock

pytestmark = pytest.mark.emulator

LA = ZoneInfo("America/Los_Angeles")
NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)
ADMIN = Caller(uid="admin-1", is_admin=True, email="admin@example.com")
ALICE = Spender("alice", created_at=NOW - timedelta(days=30))


def make(client: firestore.Client, clock: FakeClock | None = None, **rules: object
         ) -> FirestoreVisionLedger:
    ledger = FirestoreVisionLedger(
        client, VisionSettings(allowance=AllowanceSettings(**rules)),  # type: ignore[arg-type]
        LA, clock or FakeClock(NOW), settle_interval_s=3600.0)
    return ledger


def doc(client: firestore.Client, path: str) -> dict | None:
    snap = client.document(path).get()
    return snap.to_dict() if snap.exists else None


def test_a_reservation_charges_the_account_in_the_same_commit(firestore_client) -> None:
    ledger = make(firestore_client)
    begin = ledger.begin("jobs/a", 1, {}, ALICE)
    account = doc(firestore_client, "vision_api_quota/2026_11/accounts/alice")
    assert account is not None
    assert (account["units"], account["day"], account["dayUnits"], account["uid"]) == (
        1, "2026_11_15", 1, "alice")
    job = doc(firestore_client, "jobs/a")
    assert job is not None
    assert (job["account"], job["accountUnits"], job["chargedDay"], job["leaseOwner"]) == (
        "alice", 1, "2026_11_15", begin.owner)
    ledger.release("jobs/a", None, owner=begin.owner)
    account = doc(firestore_client, "vision_api_quota/2026_11/accounts/alice")
    assert (account["units"], account["dayUnits"]) == (0, 0)
    assert doc(firestore_client, "jobs/a")["accountUnits"] == 0


def test_twenty_concurrent_calls_at_the_edge_get_exactly_the_allowance(
        firestore_client) -> None:
    ledger = make(firestore_client, daily=5)
    start = threading.Barrier(10)
    kinds: list[str] = []
    lock = threading.Lock()

    def one(index: int) -> None:
        start.wait()
        for n in range(2):
            kind = ledger.begin(f"jobs/t{index}-{n}", 1, {}, ALICE).kind
            with lock:
                kinds.append(kind)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(kinds) == ["over_allowance"] * 15 + ["reserved"] * 5
    assert ledger.month_usage("2026_11")[0] == 5
    assert doc(firestore_client, "vision_api_quota/2026_11/accounts/alice")["units"] == 5


def test_no_document_shared_by_every_account_is_written_by_a_reservation(
        firestore_client) -> None:
    ledger = make(firestore_client)
    ledger.begin("jobs/warm", 1, {}, ALICE)  # creates the month and its shards
    watched = ["vision_api_quota/2026_11", "system_config/vision_api"]
    before = {p: firestore_client.document(p).get().update_time for p in watched}
    for n in range(5):
        ledger.begin(f"jobs/{n}", 1, {}, Spender(f"user{n}", created_at=NOW))
    after = {p: firestore_client.document(p).get().update_time for p in watched}
    assert after == before


def test_a_flag_sends_one_notice_per_account_per_day(firestore_client) -> None:
    clock = FakeClock(NOW)
    ledger = make(firestore_client, clock, flag_after_rejections=2)

    def reject(n: int) -> None:
        begin = ledger.begin(f"jobs/r{n}", 1, {}, ALICE)
        assert begin.kind == "reserved"
        ledger.complete(f"jobs/r{n}", {"status": "rejected", "checked": True},
                        owner=begin.owner, rejected=True)

    reject(1)
    reject(2)
    notices = [d.to_dict() for d in firestore_client.collection("admin_notifications")
               .stream()]
    assert [(n["kind"], n["account"], n["uid"], n["rejections"]) for n in notices] == [
        ("vision_account_flagged", "alice", "alice", 2)]
    standing = doc(firestore_client, "vision_accounts/alice")
    assert standing is not None and standing["flagged"] is True
    # Unflagged and flagged again the same day: no second notice; the next day: one more.
    ledger.manage_account(ADMIN, "alice", "unflag")
    reject(3)
    reject(4)
    assert len(list(firestore_client.collection("admin_notifications").stream())) == 1
    ledger.manage_account(ADMIN, "alice", "unflag")
    clock.now += timedelta(days=1)
    reject(5)
    reject(6)
    assert len(list(firestore_client.collection("admin_notifications").stream())) == 2


def test_every_admin_account_action_is_audited(firestore_client) -> None:
    ledger = make(firestore_client)
    ledger.begin("jobs/a", 1, {}, ALICE)
    ledger.manage_account(ADMIN, "alice", "flag")
    ledger.manage_account(ADMIN, "alice", "reset_day")
    ledger.manage_account(ADMIN, "alice", "unflag")
    ledger.set_allowance(ADMIN, AllowanceSettings(daily=7))
    records = sorted((d.to_dict() for d in firestore_client.collection("admin_actions")
                      .stream()), key=lambda r: r["action"])
    assert [r["action"] for r in records] == [
        "set_vision_account_allowance", "vision_account_flag", "vision_account_reset_day",
        "vision_account_unflag"]
    by_action = {r["action"]: r for r in records}
    assert by_action["vision_account_reset_day"]["before"]["unitsToday"] == 1
    assert by_action["vision_account_reset_day"]["after"]["unitsToday"] == 0
    assert by_action["vision_account_flag"]["target"] == {"uid": "alice", "account": "alice"}
    assert by_action["set_vision_account_allowance"]["after"]["daily"] == 7
    assert all(r["adminUid"] == "admin-1" and r["adminEmail"] == "admin@example.com"
               for r in records)
    assert ledger.read_settings().allowance.daily == 7
