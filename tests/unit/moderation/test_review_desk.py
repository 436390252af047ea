"""The review queue end to end over in-memory fakes of our ports: what the trigger and the
re-check hand a person, the moderators' list, claims and decisions, the uploader's appeal,
the preview and the SLA notice. The real Placement, ModerationRechecks, UploadModeration
and PaidVision run; the Firestore adapter passes tests/contract/test_review_queue_contract.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from errors import (
    FailedPrecondition,
    InvalidInput,
    NotFound,
    PermissionDenied,
    StoreUnavailable,
    Unauthenticated,
)
from identity import Caller
from moderation.accounts import Spenders
from moderation.appeals import Appeals
from moderation.fallback import LocalThresholds, StrategyFallback
from moderation.image_reader import ImageReader
from moderation.paid_vision import PaidVision
from moderation.placement import DOWNLOAD_TOKENS, Placement
from moderation.ports import AccountFacts, ObjectInfo, VisionUnavailable
from moderation.rechecks import ModerationRechecks
from moderation.review_desk import DECIDED_BY_META, ReviewDesk
from moderation.review_intake import ReviewIntake
from moderation.safesearch import Likelihood, SafeSearchAnnotation
from moderation.settings import VisionSettings
from moderation.strategy import FallbackStrategy
from moderation.uploaded_images import JOB_COLLECTION, UploadModeration, moderation_key
from tests.support.fakes import (
    FakeAccountDirectory,
    FakeAuditLog,
    FakeClassifier,
    FakeClock,
    FakeFrameSampler,
    FakeLedger,
    FakeNotices,
    FakeObjectStore,
    FakeRecheckQueue,
    FakeRecheckStore,
    FakeReviewPreviews,
    FakeReviewQueue,
)

BUCKET = "uploads.example"
QUARANTINE = "quarantine/"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
ADULT = SafeSearchAnnotation(adult=Likelihood.VERY_LIKELY, racy=Likelihood.UNLIKELY,
                             violence=Likelihood.VERY_UNLIKELY,
                             medical=Likelihood.VERY_UNLIKELY, spoof=Likelihood.UNLIKELY)
MOD = Caller(uid="mod-1", has_moderator_claim=True, email="mod1@example.com")
MOD2 = Caller(uid="mod-2", has_moderator_claim=True)
ADMIN = Caller(uid="admin-1", is_admin=True)
NOBODY = Caller(uid="member-1")
STAFF = Caller(uid="staff-1", has_staff_claim=True)
ALICE = Caller(uid="alice")
BOB = Caller(uid="bob")


@dataclass
class World:
    clock: FakeClock
    ledger: FakeLedger
    vision: FakeClassifier
    objects: FakeObjectStore
    store: FakeRecheckStore
    queue: FakeReviewQueue
    rechecks: ModerationRechecks
    recheck_queue: FakeRecheckQueue
    moderation: UploadModeration
    desk: ReviewDesk
    appeals: Appeals
    notices: FakeNotices
    audit: FakeAuditLog
    previews: FakeReviewPreviews

    def upload(self, name: str, *, verdict: Any = None, metadata: dict[str, str] | None = None
               ) -> ObjectInfo:
        """Upload and run the trigger; Vision answers `verdict` (None: approves)."""
        if verdict is not None:
            self.vision.script.append(verdict)
        obj = self.objects.put(BUCKET, name, PNG, "image/png", metadata)
        self.moderation.moderate_event("e-" + obj.generation, obj)
        return obj

    def key(self, obj: ObjectInfo) -> str:
        return moderation_key(obj.bucket, obj.name, obj.generation)

    def at(self, name: str) -> ObjectInfo | None:
        return self.objects.stat(BUCKET, name)

    def page(self, caller: Caller = MOD, **data: Any) -> list[dict[str, Any]]:
        return self.desk.list_queue(caller, data)["items"]

    def decide(self, caller: Caller, *decisions: dict[str, Any]) -> list[dict[str, Any]]:
        return self.desk.decide(caller, {"decisions": list(decisions)})["results"]


def world(*, reject_action: str = "quarantine", strategy: str = "warn",
          enabled: bool = True) -> World:
    clock = FakeClock()
    ledger = FakeLedger(VisionSettings(enabled=enabled,
                                       fallback_strategy=FallbackStrategy(strategy),
                                       reject_action=reject_action), clock=clock)
    vision, objects = FakeClassifier(), FakeObjectStore()
    recheck_queue, store = FakeRecheckQueue(), FakeRecheckStore(ledger)
    queue = FakeReviewQueue(store)
    placement = Placement(objects, QUARANTINE, clock)
    paid = PaidVision(ledger, vision, VisionSettings())
    reader = ImageReader(objects, FakeFrameSampler())
    intake = ReviewIntake(queue, QUARANTINE, clock)
    rechecks = ModerationRechecks(store=store, queue=recheck_queue, ledger=ledger, paid=paid,
                                  spenders=Spenders(None), reader=reader, objects=objects,
                                  placement=placement, clock=clock, tz=ledger.tz,
                                  review=intake)
    moderation = UploadModeration(
        paid=paid, spenders=Spenders(None),
        fallback=StrategyFallback(None, LocalThresholds()), reader=reader,
        placement=placement, rechecks=rechecks, records=store, quarantine_prefix=QUARANTINE,
        skip_prefixes=(), clock=clock, review=intake)
    notices, audit, previews = FakeNotices(), FakeAuditLog(), FakeReviewPreviews()
    directory = FakeAccountDirectory(AccountFacts("mod-1", "mod1@example.com",
                                                  frozenset({"moderator"}), None))
    desk = ReviewDesk(queue=queue, rechecks=rechecks, paid=paid, directory=directory,
                      objects=objects, placement=placement, previews=previews,
                      notices=notices, audit=audit, job_path=store.upload_job_path,
                      clock=clock, sla=timedelta(hours=24))
    appeals = Appeals(queue=queue, records=store, notices=notices,
                      quarantine_prefix=QUARANTINE, clock=clock)
    return World(clock, ledger, vision, objects, store, queue, rechecks, recheck_queue,
                 moderation, desk, appeals, notices, audit, previews)


# -- what enters the queue ------------------------------------------------------------------


def test_a_vision_rejection_quarantined_waits_for_a_person_with_its_scores() -> None:
    w = world()
    obj = w.upload("users/alice/a.png", verdict=ADULT)
    (item,) = w.page()
    assert item["key"] == w.key(obj)
    assert (item["cause"], item["status"], item["uploaderUid"]) == (
        "quarantined", "rejected", "alice")
    assert item["location"]["name"] == QUARANTINE + "users/alice/a.png"
    assert item["scores"]["likelihoods"]["adult"] == "VERY_LIKELY"
    assert item["firstResult"]["status"] == "rejected" and item["revision"] == 1


def test_approved_images_and_deleted_rejections_never_enter() -> None:
    w = world(reject_action="delete")
    w.upload("users/alice/ok.png")
    w.upload("users/alice/bad.png", verdict=ADULT)
    assert w.at("users/alice/bad.png") is None  # deleted by the reject action
    assert w.page() == []


def test_warn_and_flag_in_place_enter_with_their_causes() -> None:
    w = world(reject_action="flag", strategy="warn")
    w.upload("users/alice/flagged.png", verdict=ADULT)
    w.vision.script.append(VisionUnavailable("unavailable", "Vision is down (test)"))
    w.upload("users/bob/unsure.png")
    causes = {i["name"]: i["cause"] for i in w.page()}
    assert causes == {"users/alice/flagged.png": "flagged",
                      "users/bob/unsure.png": "needs_review"}
    assert [i["name"] for i in w.page(cause="needs_review")] == ["users/bob/unsure.png"]
    assert [i["name"] for i in w.page(uploader="alice")] == ["users/alice/flagged.png"]


def test_a_vision_recheck_takes_a_held_image_out_of_the_queue() -> None:
    w = world(strategy="warn")
    w.vision.script.append(VisionUnavailable("unavailable", "Vision is down (test)"))
    obj = w.upload("users/alice/unsure.png")
    assert len(w.page()) == 1
    (task, _), = w.recheck_queue.tasks
    assert w.rechecks.run(task) == "approved"
    assert w.page() == []
    assert w.queue.items[w.key(obj)].state == "settled"


def test_a_recheck_never_overrides_a_person_who_is_deciding() -> None:
    w = world(strategy="deny")
    w.vision.script.append(VisionUnavailable("unavailable", "Vision is down (test)"))
    obj = w.upload("users/alice/held.png")
    (item,) = w.page()
    assert item["cause"] == "quarantined"
    started = w.queue.start_decision(item["key"], MOD.uid, item["revision"], w.clock())
    assert not isinstance(started, str)
    (task, _), = w.recheck_queue.tasks
    assert w.rechecks.run(task) == "decided_by_person"
    # The image stayed where the person found it; the queue still says "deciding".
    assert w.at(QUARANTINE + obj.name) is not None and w.at(obj.name) is None
    assert w.queue.items[item["key"]].state == "deciding"


def test_after_a_person_decides_a_later_recheck_finds_the_job_final() -> None:
    w = world(strategy="deny")
    w.vision.script.append(VisionUnavailable("unavailable", "Vision is down (test)"))
    obj = w.upload("users/alice/held.png")
    (item,) = w.page()
    (answer,) = w.decide(MOD, {"key": item["key"], "decision": "reject"})
    assert answer["ok"] and answer["code"] == "review.rejected_kept"
    calls = len(w.vision.calls)
    (task, _), = w.recheck_queue.tasks
    assert w.rechecks.run(task) == "done"  # the person closed the re-check
    assert len(w.vision.calls) == calls  # no unit spent on it
    assert w.ledger.jobs[f"{JOB_COLLECTION}/{w.key(obj)}"]["state"] == "done"


# -- the list ---------------------------------------------------------------------------------


def test_appeals_come_first_then_the_oldest_and_pages_follow_on() -> None:
    w = world()
    for n in range(5):
        w.upload(f"users/u{n}/a.png", verdict=ADULT)
        w.clock.advance(60)
    w.appeals.appeal(Caller(uid="u3"), {"path": "users/u3/a.png", "explanation": "my cat"})
    names = [i["name"] for i in w.page()]
    assert names == ["users/u3/a.png", "users/u0/a.png", "users/u1/a.png",
                     "users/u2/a.png", "users/u4/a.png"]
    first = w.desk.list_queue(MOD, {"limit": 2})
    assert [i["name"] for i in first["items"]] == names[:2]
    second = w.desk.list_queue(MOD, {"limit": 2, "after": first["next"]})
    assert [i["name"] for i in second["items"]] == names[2:4]
    last = w.desk.list_queue(MOD, {"limit": 2, "after": second["next"]})
    assert [i["name"] for i in last["items"]] == names[4:] and last["next"] is None
    assert w.desk.list_queue(MOD, {"limit": 5})["next"] is None  # exactly full: no next
    assert w.page()[0]["appealed"] is True


@pytest.mark.parametrize("caller", [None, NOBODY, STAFF])
def test_only_moderators_and_admins_use_the_desk(caller: Caller | None) -> None:
    w = world()
    w.upload("users/alice/a.png", verdict=ADULT)
    key = w.page()[0]["key"]
    for call in (lambda: w.desk.list_queue(caller, {}),
                 lambda: w.desk.claim(caller, {"keys": [key]}),
                 lambda: w.desk.decide(caller, {"decisions": [{"key": key,
                                                               "decision": "approve"}]}),
                 lambda: w.desk.preview(caller, key, reveal=False),
                 lambda: w.desk.status(caller, None)):
        with pytest.raises((PermissionDenied, Unauthenticated)):
            call()
    assert w.queue.items[key].state == "waiting" and w.audit.records == []
    assert w.page(ADMIN)[0]["key"] == key  # an admin is also a moderator


@pytest.mark.parametrize("data", [
    [], "x", {"state": "open"}, {"cause": "nsfw"}, {"limit": 0}, {"limit": 101},
    {"limit": True}, {"after": "x"}, {"uploader": ""}, {"uploader": 5}, {"colour": "red"},
])
def test_a_bad_list_request_is_invalid(data: Any) -> None:
    with pytest.raises(InvalidInput):
        world().desk.list_queue(MOD, data)


# -- claims -----------------------------------------------------------------------------------


def test_a_claim_is_reported_to_a_second_moderator_never_stolen_until_it_runs_out() -> None:
    w = world()
    w.upload("users/alice/a.png", verdict=ADULT)
    key = w.page()[0]["key"]
    assert w.desk.claim(MOD, {"keys": [key]})["results"] == [{"key": key, "claimed": True}]
    (other,) = w.desk.claim(MOD2, {"keys": [key]})["results"]
    assert other["claimed"] is False and other["reason"] == "held"
    assert other["claimedBy"] == MOD.uid and other["code"] == "review.held"
    assert other["claimedByEmail"] == "mod1@example.com"
    assert other["claimedUntil"] == (w.clock() + timedelta(minutes=10)).isoformat()
    assert w.page(MOD2)[0]["claimedByEmail"] == "mod1@example.com"
    (decided,) = w.decide(MOD2, {"key": key, "decision": "approve"})
    assert decided["ok"] is False and decided["reason"] == "held"
    assert decided["claimedBy"] == MOD.uid
    w.clock.advance(10 * 60 + 1)
    assert w.desk.claim(MOD2, {"keys": [key]})["results"][0]["claimed"] is True


@pytest.mark.parametrize("data", [None, {}, {"keys": []}, {"keys": ["x"]},
                                  {"keys": ["a" * 64] * 51}, {"keys": "a" * 64}])
def test_a_bad_claim_is_invalid(data: Any) -> None:
    with pytest.raises(InvalidInput):
        world().desk.claim(MOD, data)


# -- decisions ----------------------------------------------------------------------------------


def test_approving_a_quarantined_image_puts_it_back_with_a_fresh_link_and_it_is_not_judged_again(
) -> None:
    w = world()
    obj = w.upload("users/alice/a.png", verdict=ADULT,
                   metadata={DOWNLOAD_TOKENS: "old-token"})
    item = w.page()[0]
    (answer,) = w.decide(MOD, {"key": item["key"], "decision": "approve",
                               "revision": item["revision"], "note": " a cat "})
    assert answer["ok"] and answer["code"] == "review.restored"
    back = w.at(obj.name)
    assert back is not None and w.at(QUARANTINE + obj.name) is None
    assert back.metadata["moderationStatus"] == "approved"
    assert back.metadata[DECIDED_BY_META] == "person"
    assert back.metadata[DOWNLOAD_TOKENS] not in ("", "old-token")
    calls = len(w.vision.calls)
    # The copy's finalized event: recognised by its restore token, not judged nor paid for.
    assert w.moderation.moderate_event("e-restored", back) is None
    assert len(w.vision.calls) == calls
    record = w.store.records[item["key"]]
    assert record["status"] == "approved" and record["decidedBy"] == "person"
    assert record["review"]["decision"] == "approve"
    assert record["review"]["messages"]["tr"].startswith("Bir moderatör")
    decided = w.queue.items[item["key"]]
    assert decided.state == "decided" and decided.decision is not None
    assert decided.decision["note"] == "a cat" and decided.decision["by"] == MOD.uid
    (audit,) = w.audit.records
    assert audit["action"] == "review_decision" and audit["after"]["decision"] == "approve"
    assert w.page() == [] and [i["key"] for i in w.page(state="decided")] == [item["key"]]


def test_approval_never_replaces_a_newer_upload_at_the_path() -> None:
    w = world()
    obj = w.upload("users/alice/a.png", verdict=ADULT)
    key = w.page()[0]["key"]
    newer = w.upload("users/alice/a.png")  # approved, at the original path
    (answer,) = w.decide(MOD, {"key": key, "decision": "approve"})
    assert answer["ok"] and answer["code"] == "review.restore_skipped"
    assert w.at(obj.name).generation == newer.generation
    held = w.at(QUARANTINE + obj.name)
    assert held is not None and held.metadata["moderationStatus"] == "approved"


@pytest.mark.parametrize(("action", "code", "left"), [
    ("delete", "review.rejected_deleted", None),
    ("quarantine", "review.rejected_kept", QUARANTINE + "users/bob/u.png"),
    ("flag", "review.rejected_flagged", "users/bob/u.png"),
])
def test_rejecting_a_held_image_follows_the_reject_action(action: str, code: str,
                                                          left: str | None) -> None:
    w = world(reject_action=action, strategy="warn")
    w.vision.script.append(VisionUnavailable("unavailable", "Vision is down (test)"))
    obj = w.upload("users/bob/u.png")
    (item,) = w.page()
    (answer,) = w.decide(MOD, {"key": item["key"], "decision": "reject"})
    assert answer["ok"] and answer["code"] == code
    names = {name for (_, name) in w.objects.objects}
    assert names == ({left} if left else set())
    assert w.store.records[w.key(obj)]["status"] == "rejected"
    if left:
        assert w.at(left).metadata["moderationStatus"] == "rejected"


def test_a_stale_or_decided_image_is_refused_alone_and_the_rest_are_decided() -> None:
    w = world()
    w.upload("users/a1/a.png", verdict=ADULT)
    w.clock.advance(1)
    w.upload("users/a2/a.png", verdict=ADULT)
    first, second = w.page()
    w.appeals.appeal(Caller(uid="a2"), {"path": "users/a2/a.png", "explanation": "why"})
    answers = w.decide(MOD, {"key": first["key"], "decision": "reject",
                             "revision": first["revision"]},
                       {"key": second["key"], "decision": "approve",
                        "revision": second["revision"]})
    assert [a["ok"] for a in answers] == [True, False]
    assert answers[1]["reason"] == "stale" and answers[1]["code"] == "review.stale"
    assert w.queue.items[second["key"]].state == "waiting"
    again = w.decide(MOD, {"key": first["key"], "decision": "approve"})
    assert again[0]["reason"] == "decided"


def test_a_claim_remembers_what_the_moderator_saw() -> None:
    w = world()
    w.upload("users/a1/a.png", verdict=ADULT)
    key = w.page()[0]["key"]
    w.desk.claim(MOD, {"keys": [key]})
    w.appeals.appeal(Caller(uid="a1"), {"path": "users/a1/a.png", "explanation": "why"})
    (answer,) = w.decide(MOD, {"key": key, "decision": "reject"})
    assert answer["reason"] == "stale"


@pytest.mark.parametrize("data", [
    None, {}, {"decisions": []}, {"decisions": "x"},
    {"decisions": [{"key": "k", "decision": "approve"}]},
    {"decisions": [{"key": "a" * 64, "decision": "maybe"}]},
    {"decisions": [{"key": "a" * 64, "decision": "approve", "revision": 0}]},
    {"decisions": [{"key": "a" * 64, "decision": "approve", "note": "n" * 501}]},
    {"decisions": [{"key": "a" * 64, "decision": "approve"}] * 2},
    {"decisions": [{"key": f"{n:064x}", "decision": "approve"} for n in range(101)]},
])
def test_a_bad_decision_request_is_invalid_and_changes_nothing(data: Any) -> None:
    w = world()
    w.upload("users/alice/a.png", verdict=ADULT)
    with pytest.raises(InvalidInput):
        w.desk.decide(MOD, data)
    assert w.queue.items[w.page()[0]["key"]].state == "waiting" and w.audit.records == []


def test_a_database_outage_for_every_image_fails_the_call_and_for_some_answers_per_image(
) -> None:
    w = world()
    w.upload("users/a1/a.png", verdict=ADULT)
    w.upload("users/a2/a.png", verdict=ADULT)
    keys = [i["key"] for i in w.page()]
    w.queue.unavailable = True
    with pytest.raises(StoreUnavailable):
        w.desk.decide(MOD, {"decisions": [{"key": k, "decision": "reject"} for k in keys]})
    w.queue.unavailable = False
    assert all(w.queue.items[k].state == "waiting" for k in keys)

    original = w.queue.start_decision

    def flaky(*args: Any) -> Any:
        if args[0] == keys[1]:
            raise StoreUnavailable(detail="down (test)")
        return original(*args)

    w.queue.start_decision = flaky  # type: ignore[method-assign]
    answers = w.desk.decide(MOD, {"decisions": [{"key": k, "decision": "reject"}
                                                for k in keys]})["results"]
    assert [a["ok"] for a in answers] == [True, False]
    assert answers[1]["reason"] == "unavailable"
    assert w.queue.items[keys[1]].state == "waiting"


# -- appeals ----------------------------------------------------------------------------------


def test_an_appeal_goes_first_shows_in_the_uploaders_record_and_tells_moderators_once_an_hour(
) -> None:
    w = world()
    obj = w.upload("users/alice/a.png", verdict=ADULT)
    w.upload("users/bob/b.png", verdict=ADULT)
    reply = w.appeals.appeal(ALICE, {"path": "users/alice/a.png",
                                     "explanation": "  It is my cat.  "})
    assert reply["appealed"] is True and reply["key"] == w.key(obj)
    record = w.store.records[w.key(obj)]
    assert record["appeal"]["explanation"] == "It is my cat."
    assert record["appeal"]["state"] == "waiting"
    assert w.page()[0]["name"] == "users/alice/a.png"
    w.appeals.appeal(BOB, {"path": "users/bob/b.png", "explanation": "mine too"})
    assert len(w.notices.notices) == 1
    (notice,) = w.notices.notices.values()
    assert notice["audience"] == "moderators" and notice["kind"] == "review_appeal"
    with pytest.raises(FailedPrecondition) as again:
        w.appeals.appeal(ALICE, {"path": "users/alice/a.png", "explanation": "again"})
    assert again.value.message.code == "review.appeal.already"
    (answer,) = w.decide(MOD, {"key": w.key(obj), "decision": "approve"})
    assert answer["ok"]
    record = w.store.records[w.key(obj)]
    assert record["appeal"]["state"] == "decided" and record["status"] == "approved"


def test_an_appeal_brings_in_a_rejection_kept_in_place_with_no_queue_entry() -> None:
    w = world(reject_action="flag")
    obj = w.upload("users/alice/a.png", verdict=ADULT)
    w.queue.items.clear()  # as if it had never been queued
    w.appeals.appeal(ALICE, {"path": obj.name, "explanation": "please"})
    (item,) = w.page()
    assert (item["cause"], item["appealed"]) == ("flagged", True)


def test_only_the_uploader_appeals_and_only_what_can_be_appealed() -> None:
    w = world(reject_action="delete")
    w.upload("users/alice/ok.png")
    w.upload("users/alice/gone.png", verdict=ADULT)
    for caller, path, error, code in [
        (BOB, "users/alice/ok.png", NotFound, "review.appeal.not_found"),
        (ALICE, "users/alice/nothing.png", NotFound, "review.appeal.not_found"),
        (ALICE, "users/alice/ok.png", FailedPrecondition, "review.appeal.not_appealable"),
        (ALICE, "users/alice/gone.png", FailedPrecondition, "review.appeal.deleted"),
    ]:
        with pytest.raises(error) as caught:
            w.appeals.appeal(caller, {"path": path, "explanation": "x"})
        assert caught.value.message.code == code
    assert w.queue.items == {} and w.notices.notices == {}


@pytest.mark.parametrize("data", [
    None, [], {}, {"path": "users/alice/a.png"}, {"explanation": "x"},
    {"path": "", "explanation": "x"}, {"path": "users/alice/a.png", "explanation": "  "},
    {"path": "users/alice/a.png", "explanation": "x" * 501},
    {"path": "users/alice/a.png", "explanation": "x", "extra": 1},
    {"path": 5, "explanation": "x"},
])
def test_a_bad_appeal_is_invalid(data: Any) -> None:
    with pytest.raises(InvalidInput):
        world().appeals.appeal(ALICE, data)


def test_a_decided_image_cannot_be_appealed() -> None:
    w = world()
    obj = w.upload("users/alice/a.png", verdict=ADULT)
    w.decide(MOD, {"key": w.key(obj), "decision": "reject"})
    with pytest.raises(FailedPrecondition) as caught:
        w.appeals.appeal(ALICE, {"path": obj.name, "explanation": "please"})
    assert caught.value.message.code == "review.appeal.decided"


# -- looking at one, keeping up -----------------------------------------------------------------


def test_a_preview_is_blurred_unless_revealed_and_a_reveal_is_audited() -> None:
    w = world()
    obj = w.upload("users/alice/a.png", verdict=ADULT)
    key = w.key(obj)
    assert w.desk.preview(MOD, key, reveal=False).startswith(b"blurred:")
    assert w.audit.records == []
    assert w.desk.preview(MOD, key, reveal=True).startswith(b"revealed:")
    (audit,) = w.audit.records
    assert audit["action"] == "review_reveal" and audit["target"]["key"] == key
    with pytest.raises(InvalidInput):
        w.desk.preview(MOD, "nope", reveal=False)
    with pytest.raises(InvalidInput):
        w.desk.preview(MOD, "0" * 64, reveal=False)


def test_the_backlog_counts_by_cause_and_the_sla_notice_goes_once_a_day() -> None:
    w = world(strategy="warn")
    w.upload("users/a1/a.png", verdict=ADULT)
    w.vision.script.append(VisionUnavailable("unavailable", "Vision is down (test)"))
    w.upload("users/a2/a.png")
    status = w.desk.status(MOD, None)
    assert status["byCause"] == {"needs_review": 1, "quarantined": 1, "flagged": 0}
    assert status["waiting"] == 2 and status["overdue"] is False
    assert w.desk.check_sla() is False
    w.clock.advance(25 * 3600)
    assert w.desk.status(MOD, None)["oldestWaitingHours"] == 25.0
    assert w.desk.check_sla() is True
    assert w.desk.check_sla() is False  # once that day
    (notice,) = w.notices.notices.values()
    assert notice["kind"] == "review_sla" and notice["audience"] == "moderators"
