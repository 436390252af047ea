"""One behaviour suite for both quota ledgers: the in-memory one the unit tests use
(tests/support/fakes.py FakeLedger) and the Firestore one (on the emulator). Whatever the
use cases are told by the fake, the real ledger says too: the month's limit, the job's
lease, the per-account allowances, the flags and the admins' account actions.

Settings are given the way each keeps them (the fake's attribute; the Firestore ledger's
own admin writes); everything else goes through moderation.ports.QuotaLedger and the admin
methods of moderation.admin.VisionLedgerAdmin.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from identity import Caller
from moderation.allowance import UNATTRIBUTED, AllowanceSettings, Spender
from moderation.quota import month_key
from moderation.settings import VisionSettings
from tests.support.fakes import FakeClock, FakeLedger

LA = ZoneInfo("America/Los_Angeles")
NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)  # 04:00 in Los Angeles
ADMIN = Caller(uid="admin-1", is_admin=True, email="admin@example.com")
OLD = NOW - timedelta(days=30)
ALICE = Spender("alice", created_at=OLD)
BOB = Spender("bob", created_at=OLD)
STAFF = Spender("stella", roles=frozenset({"staff"}), created_at=OLD)
NEWBIE = Spender("newbie", created_at=NOW - timedelta(hours=20))  # grown up at 16:00
STRANGER = Spender("stranger")  # unknown to Firebase Auth
NOBODY = Spender(None)          # an image outside any user's folder
RESULT = {"status": "approved", "checked": True}
REJECTED = {"status": "rejected", "checked": True}


class World:
    def __init__(self, ledger: Any, clock: FakeClock, kind: str) -> None:
        self.ledger = ledger
        self.clock = clock
        self.kind = kind
        self.jobs = 0

    def configure(self, *, limit: int = 1000, enabled: bool = True,
                  allowance: AllowanceSettings | None = None) -> None:
        rules = allowance or AllowanceSettings()
        if self.kind == "memory":
            self.ledger.settings = replace(self.ledger.settings, monthly_limit=limit,
                                           enabled=enabled, allowance=rules)
            return
        self.ledger.set_monthly_limit(ADMIN, limit)
        self.ledger.set_enabled(ADMIN, enabled)
        self.ledger.set_allowance(ADMIN, rules)

    def new_job(self) -> str:
        self.jobs += 1
        return f"contract_jobs/j{self.jobs}"

    def spend(self, spender: Spender, job: str | None = None, **kwargs: Any) -> Any:
        return self.ledger.begin(job or self.new_job(), 1, {"uploaderUid": spender.uid},
                                 spender, **kwargs)

    def judged(self, spender: Spender, result: dict[str, Any] = RESULT) -> str:
        """One image judged by Vision for `spender` (reserved and completed); its kind."""
        job = self.new_job()
        begin = self.spend(spender, job)
        if begin.kind == "reserved":
            self.ledger.complete(job, result, owner=begin.owner,
                                 rejected=result.get("status") == "rejected")
        else:
            self.ledger.release(job, {"status": "needs_review"}, owner=begin.owner)
        return str(begin.kind)

    @property
    def used(self) -> int:
        return self.ledger.month_usage(month_key(self.clock(), LA))[0]

    def row(self, spender: Spender) -> Any:
        rows = {r.account: r for r in self.ledger.top_accounts(month_key(self.clock(), LA),
                                                                 50)}
        return rows.get(spender.account)

    def advance(self, **delta: float) -> None:
        self.clock.now += timedelta(**delta)


@pytest.fixture(params=["memory", "firestore"])
def world(request: pytest.FixtureRequest) -> World:
    clock = FakeClock(NOW)
    if request.param == "memory":
        ledger: Any = FakeLedger(VisionSettings(), clock=clock, tz=LA)
    else:
        from infra.firestore_vision_ledger import FirestoreVisionLedger

        client = request.getfixturevalue("firestore_client")
        ledger = FirestoreVisionLedger(client, VisionSettings(), LA, clock,
                                       settle_interval_s=0.0)
    w = World(ledger, clock, request.param)
    w.configure()
    return w


# -- the month ---------------------------------------------------------------------------------

def test_a_reservation_counts_its_unit_and_a_refusal_counts_none(world: World) -> None:
    world.configure(limit=2)
    assert [world.spend(STAFF).kind for _ in range(3)] == ["reserved", "reserved",
                                                           "exhausted"]
    assert world.used == 2


def test_vision_switched_off_wins_over_every_other_refusal(world: World) -> None:
    world.configure(limit=0, enabled=False)
    begin = world.spend(ALICE)
    assert (begin.kind, begin.renews_at) == ("disabled", None)
    assert world.used == 0


# -- the job -----------------------------------------------------------------------------------

def test_a_job_is_busy_under_its_lease_then_done_and_counted_once(world: World) -> None:
    job = world.new_job()
    first = world.spend(ALICE, job)
    assert first.kind == "reserved"
    assert world.spend(ALICE, job).kind == "busy"
    assert world.ledger.complete(job, RESULT, owner=first.owner)
    again = world.spend(ALICE, job, after_fallback=True)  # a verdict is never judged again
    assert (again.kind, again.prior_result) == ("done", RESULT)
    assert world.used == 1 and world.row(ALICE).usage.month_units == 1


def test_an_expired_lease_is_taken_over_without_a_second_unit_or_charge(world: World) -> None:
    job = world.new_job()
    world.spend(ALICE, job)
    world.advance(seconds=121)
    takeover = world.spend(ALICE, job)
    assert takeover.kind == "reserved"
    assert world.spend(ALICE, job).kind == "busy"  # the new holder's lease counts in turn
    assert world.used == 1 and world.row(ALICE).usage.units_on("2026_11_15") == 1


def test_a_caller_without_the_lease_cannot_settle_the_job(world: World) -> None:
    job = world.new_job()
    holder = world.spend(ALICE, job)
    assert not world.ledger.release(job, None, owner="someone-else")
    assert not world.ledger.release(job, None)  # never begun: only a missing job is recorded
    assert not world.ledger.complete(job, RESULT, owner="someone-else")
    assert world.used == 1
    assert world.ledger.complete(job, RESULT, owner=holder.owner)


def test_a_release_gives_the_unit_back_to_the_month_and_the_account_once(
        world: World) -> None:
    job = world.new_job()
    begin = world.spend(ALICE, job)
    assert world.ledger.release(job, {"status": "needs_review"}, owner=begin.owner)
    assert not world.ledger.release(job, {"status": "needs_review"}, owner=begin.owner)
    assert world.used == 0
    usage = world.row(ALICE).usage
    assert (usage.month_units, usage.units_on("2026_11_15")) == (0, 0)


def test_a_fallback_is_done_for_a_redelivery_and_judged_by_a_recheck_once(
        world: World) -> None:
    job = world.new_job()
    begin = world.spend(ALICE, job)
    world.ledger.release(job, {"status": "needs_review", "checked": False},
                         owner=begin.owner)
    redelivery = world.spend(ALICE, job)
    assert (redelivery.kind, redelivery.prior_result["status"]) == ("done", "needs_review")
    recheck = world.spend(ALICE, job, after_fallback=True)
    assert recheck.kind == "reserved"
    world.ledger.complete(job, RESULT, owner=recheck.owner)
    assert world.spend(ALICE, job, after_fallback=True).kind == "done"
    assert world.used == 1


def test_a_job_never_begun_is_recorded_as_a_fallback_only_if_absent(world: World) -> None:
    job = world.new_job()
    assert world.ledger.release(job, {"status": "needs_review"}, fields={"name": "x"})
    assert not world.ledger.release(job, {"status": "other"}, fields={"name": "x"})
    assert world.spend(ALICE, job).prior_result == {"status": "needs_review"}
    held = world.new_job()
    world.spend(ALICE, held)
    assert not world.ledger.release(held, {"status": "needs_review"})


def test_a_claim_leases_a_job_without_a_unit_once(world: World) -> None:
    job = world.new_job()
    owner = world.ledger.claim(job, {"name": "x"}, ALICE)
    assert owner is not None
    assert world.ledger.claim(job, {}, ALICE) is None  # leased: busy
    assert world.spend(ALICE, job).kind == "busy"
    assert world.ledger.release(job, {"status": "needs_review"}, owner=owner)
    assert world.ledger.claim(job, {}, ALICE) is None  # a fallback is done for a delivery
    assert world.ledger.claim(job, {}, ALICE, after_fallback=True) is not None
    assert world.used == 0 and world.row(ALICE) is None
    done = world.new_job()
    world.ledger.complete(done, RESULT, owner=world.spend(ALICE, done).owner)
    assert world.ledger.claim(done, {}, ALICE, after_fallback=True) is None


def test_abandon_gives_the_unit_back_and_forgets_the_job(world: World) -> None:
    job = world.new_job()
    world.spend(ALICE, job)
    world.ledger.abandon(job)
    assert world.used == 0 and world.row(ALICE).usage.month_units == 0
    assert world.spend(ALICE, job).kind == "reserved"


# -- allowances --------------------------------------------------------------------------------

def test_an_account_gets_exactly_its_daily_allowance_then_waits_for_midnight(
        world: World) -> None:
    world.configure(allowance=AllowanceSettings(daily=3))
    kinds = [world.judged(ALICE) for _ in range(5)]
    assert kinds == ["reserved"] * 3 + ["over_allowance"] * 2
    refused = world.spend(ALICE)
    # Midnight in Los Angeles: 08:00 UTC on the 16th.
    assert refused.renews_at == datetime(2026, 11, 16, 8, 0, tzinfo=UTC)
    state = world.ledger.allowance(ALICE)
    assert (state.room, state.renews_at, state.flagged) == (
        0, datetime(2026, 11, 16, 8, 0, tzinfo=UTC), False)
    assert world.used == 3


def test_the_next_day_in_the_quota_time_zone_renews_the_daily_allowance(world: World) -> None:
    world.configure(allowance=AllowanceSettings(daily=1))
    world.clock.now = datetime(2026, 11, 16, 7, 59, tzinfo=UTC)  # 23:59 on the 15th, LA
    assert world.judged(ALICE) == "reserved"
    assert world.spend(ALICE).kind == "over_allowance"
    world.advance(minutes=1)  # midnight in LA
    assert world.judged(ALICE) == "reserved"
    assert world.row(ALICE).usage.month_units == 2


def test_the_monthly_allowance_renews_with_the_month(world: World) -> None:
    world.configure(allowance=AllowanceSettings(daily=100, monthly=2))
    world.clock.now = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)  # 23:00 on 30 Nov, LA
    assert [world.judged(ALICE) for _ in range(3)] == ["reserved", "reserved",
                                                       "over_allowance"]
    refused = world.spend(ALICE)
    assert refused.renews_at == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    world.advance(hours=1)
    assert world.judged(ALICE) == "reserved"
    assert world.row(ALICE).usage.month_units == 1  # December's own count


def test_a_new_or_unknown_account_has_the_new_account_allowance(world: World) -> None:
    world.configure(allowance=AllowanceSettings(daily=4, new_account_daily=2))
    assert [world.judged(NEWBIE) for _ in range(3)] == ["reserved", "reserved",
                                                        "over_allowance"]
    assert [world.judged(STRANGER) for _ in range(3)] == ["reserved", "reserved",
                                                          "over_allowance"]
    # The new account may spend the ordinary allowance once it is 24 hours old.
    assert world.spend(NEWBIE).renews_at == NEWBIE.created_at + timedelta(hours=24)
    world.clock.now = NEWBIE.created_at + timedelta(hours=24)
    assert world.judged(NEWBIE) == "reserved"


def test_images_outside_any_users_folder_share_the_unattributed_pool(world: World) -> None:
    world.configure(allowance=AllowanceSettings(daily=1))  # unattributed: 1 x 5
    assert [world.judged(NOBODY) for _ in range(6)] == ["reserved"] * 5 + ["over_allowance"]
    row = world.row(NOBODY)
    assert (row.account, row.uid, row.usage.month_units) == (UNATTRIBUTED, None, 5)
    world.configure(allowance=AllowanceSettings(daily=1, unattributed_daily=6))
    assert world.judged(NOBODY) == "reserved"


def test_exempt_roles_have_no_allowance_but_are_counted(world: World) -> None:
    world.configure(allowance=AllowanceSettings(daily=1, monthly=1))
    assert [world.judged(STAFF) for _ in range(4)] == ["reserved"] * 4
    assert world.ledger.allowance(STAFF).room is None
    assert world.row(STAFF).usage.month_units == 4
    world.configure(allowance=AllowanceSettings(daily=1, monthly=1, exempt_roles=()))
    assert world.spend(STAFF).kind == "over_allowance"


def test_one_account_over_its_allowance_does_not_stop_another(world: World) -> None:
    world.configure(allowance=AllowanceSettings(daily=2))
    assert [world.judged(ALICE) for _ in range(3)][-1] == "over_allowance"
    assert [world.judged(BOB) for _ in range(2)] == ["reserved", "reserved"]
    assert world.used == 4


def test_the_month_limit_still_binds_every_account(world: World) -> None:
    world.configure(limit=3, allowance=AllowanceSettings(daily=10))
    assert [world.judged(ALICE) for _ in range(2)] == ["reserved"] * 2
    assert [world.judged(BOB) for _ in range(2)] == ["reserved", "exhausted"]
    assert world.used == 3


# -- flags -------------------------------------------------------------------------------------

def test_three_rejections_in_a_day_flag_the_account_and_it_skips_vision(world: World) -> None:
    for _ in range(2):
        world.judged(ALICE, REJECTED)
    assert not world.ledger.allowance(ALICE).flagged
    world.judged(ALICE, REJECTED)
    state = world.ledger.allowance(ALICE)
    assert (state.flagged, state.skip_vision) == (True, True)
    assert world.spend(ALICE).kind == "flagged"
    row = world.row(ALICE)
    assert (row.usage.rejections, row.standing.flagged, row.usage.month_units) == (3, True, 3)
    assert world.spend(BOB).kind == "reserved"  # nobody else is touched


def test_rejections_more_than_24_hours_apart_do_not_flag(world: World) -> None:
    for _ in range(2):
        world.judged(ALICE, REJECTED)
    world.advance(hours=25)
    world.judged(ALICE, REJECTED)
    assert not world.ledger.allowance(ALICE).flagged


def test_with_flagged_skip_vision_off_a_flagged_account_is_still_judged(world: World) -> None:
    world.configure(allowance=AllowanceSettings(flag_after_rejections=1,
                                                flagged_skip_vision=False))
    world.judged(ALICE, REJECTED)
    state = world.ledger.allowance(ALICE)
    assert (state.flagged, state.skip_vision) == (True, False)
    assert world.spend(ALICE).kind == "reserved"


def test_admins_flag_unflag_and_reset_an_accounts_day(world: World) -> None:
    world.configure(allowance=AllowanceSettings(daily=2))
    change = world.ledger.manage_account(ADMIN, "bob", "flag")
    assert (change.before["flagged"], change.after["flagged"]) == (False, True)
    assert world.spend(BOB).kind == "flagged"
    world.ledger.manage_account(ADMIN, "bob", "unflag")
    assert [world.judged(BOB) for _ in range(3)] == ["reserved", "reserved", "over_allowance"]
    change = world.ledger.manage_account(ADMIN, "bob", "reset_day")
    assert (change.before["unitsToday"], change.after["unitsToday"]) == (2, 0)
    assert world.judged(BOB) == "reserved"
    assert world.row(BOB).usage.month_units == 3  # the month keeps what was spent
    # Unflagging forgets the recent rejections: the next one does not flag again at once.
    for _ in range(3):
        world.ledger.manage_account(ADMIN, "bob", "reset_day")
        world.judged(BOB, REJECTED)
    world.ledger.manage_account(ADMIN, "bob", "unflag")
    world.ledger.manage_account(ADMIN, "bob", "reset_day")
    world.judged(BOB, REJECTED)
    assert not world.ledger.allowance(BOB).flagged


def test_the_top_accounts_are_the_months_biggest_spenders(world: World) -> None:
    world.configure(allowance=AllowanceSettings(daily=10))
    for spender, n in ((ALICE, 3), (BOB, 5), (NOBODY, 1)):
        for _ in range(n):
            world.judged(spender)
    top = world.ledger.top_accounts(month_key(world.clock(), LA), 2)
    assert [(r.account, r.usage.month_units) for r in top] == [("bob", 5), ("alice", 3)]
