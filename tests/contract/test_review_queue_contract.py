"""One behaviour suite for both review queues: the in-memory one the unit tests use
(tests/support/fakes.py FakeReviewQueue) and the Firestore one (on the emulator,
infra/firestore_review.py). Order, paging, claims, decisions, appeals, settling by a
re-check and the backlog behave alike."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from moderation.review import ReviewItem
from tests.support.fakes import FakeClock, FakeLedger, FakeRecheckStore, FakeReviewQueue

NOW = datetime(2026, 11, 15, 12, 0, tzinfo=UTC)


def item(n: int, *, cause: str = "quarantined", uploader: str = "alice",
         at: datetime = NOW) -> ReviewItem:
    name = f"users/{uploader}/{n}.png"
    return ReviewItem(key=f"{n:064x}", bucket="b", name=name, generation=str(100 + n),
                      location={"name": "quarantine/" + name, "generation": str(200 + n)},
                      cause=cause, reason="vision", status="rejected",
                      uploader_uid=uploader, entered_at=at + timedelta(seconds=n),
                      scores={"likelihoods": {"adult": "LIKELY"}},
                      first_result={"status": "rejected"}, latest_result={"status": "rejected"})


@pytest.fixture(params=["memory", "firestore"])
def queue(request: pytest.FixtureRequest) -> Any:
    if request.param == "memory":
        return FakeReviewQueue(FakeRecheckStore(FakeLedger(clock=FakeClock(NOW))))
    from infra.firestore_review import FirestoreReviewQueue

    return FirestoreReviewQueue(request.getfixturevalue("firestore_client"), FakeClock(NOW))


@pytest.fixture
def records(queue: Any, request: pytest.FixtureRequest) -> Any:
    """The uploader-readable records the queue writes with a decision or an appeal: a
    store to seed and read (FakeRecheckStore, or FirestoreRecheckStore on the emulator)."""
    if isinstance(queue, FakeReviewQueue):
        return queue.records
    from infra.firestore_rechecks import FirestoreRecheckStore

    return FirestoreRecheckStore(request.getfixturevalue("firestore_client"), FakeClock(NOW))


def keys(items: list[ReviewItem]) -> list[str]:
    return [i.key for i in items]


def test_appeals_first_then_the_oldest_with_filters_and_pages(queue: Any) -> None:
    for n in range(1, 6):
        queue.enter(item(n, cause="needs_review" if n % 2 else "quarantined",
                         uploader="bob" if n == 5 else "alice"))
    assert queue.appeal(item(4), "please", NOW) == "appealed"
    everything = queue.page("waiting", None, None, None, 100)
    assert keys(everything) == [item(n).key for n in (4, 1, 2, 3, 5)]
    assert everything[0].appeal is not None and everything[0].appeal["explanation"] == "please"
    assert keys(queue.page("waiting", "needs_review", None, None, 100)) == \
        [item(n).key for n in (1, 3, 5)]
    assert keys(queue.page("waiting", None, "bob", None, 100)) == [item(5).key]
    assert keys(queue.page("waiting", "needs_review", "alice", None, 100)) == \
        [item(n).key for n in (1, 3)]
    first = queue.page("waiting", None, None, None, 2)
    rest = queue.page("waiting", None, None, first[-1].key, 10)
    assert keys(first + rest) == keys(everything)
    assert queue.page("decided", None, None, None, 10) == []


def test_entering_again_refreshes_and_bumps_the_revision(queue: Any) -> None:
    queue.enter(item(1))
    queue.enter(item(1, cause="needs_review"))
    found = queue.get(item(1).key)
    assert (found.cause, found.revision, found.state) == ("needs_review", 2, "waiting")
    assert queue.get("f" * 64) is None


def test_one_claimer_at_a_time_until_the_claim_runs_out(queue: Any) -> None:
    queue.enter(item(1))
    key = item(1).key
    assert queue.claim(key, "mod-1", NOW) == "claimed"
    assert queue.claim(key, "mod-1", NOW) == "claimed"  # one's own claim renews
    assert queue.claim(key, "mod-2", NOW + timedelta(minutes=9)) == "held"
    assert queue.claim(key, "mod-2", NOW + timedelta(minutes=11)) == "claimed"
    assert queue.get(key).claimed_by == "mod-2" and queue.get(key).claimed_revision == 1
    assert queue.claim("f" * 64, "mod-1", NOW) == "missing"


def test_a_decision_starts_finishes_and_shuts_out_the_rest(queue: Any, records: Any) -> None:
    queue.enter(item(1))
    key = item(1).key
    assert queue.start_decision(key, "mod-1", 2, NOW) == "stale"
    started = queue.start_decision(key, "mod-1", 1, NOW)
    assert isinstance(started, ReviewItem) and started.key == key
    assert queue.start_decision(key, "mod-2", 1, NOW) == "held"
    # The same moderator may carry a half-done decision through again.
    assert isinstance(queue.start_decision(key, "mod-1", 1, NOW), ReviewItem)
    assert queue.settle(key, {"status": "approved"}) is False  # a person is deciding
    records.save(key, {"bucket": "b", "name": "users/alice/1.png", "generation": "101",
                       "uploaderUid": "alice", "status": "rejected"})
    queue.finish_decision(key, "mod-1", {"decision": "approve", "by": "mod-1"},
                          {"name": "users/alice/1.png", "generation": "300"},
                          {"name": "users/alice/1.png", "uploaderUid": "alice",
                           "status": "approved", "decidedBy": "person"})
    assert records.record(key)["status"] == "approved"
    assert records.uploader_verdict("alice", "users/alice/1.png")["decidedBy"] == "person"
    done = queue.get(key)
    assert done.state == "decided" and done.decision["decision"] == "approve"
    assert done.location == {"name": "users/alice/1.png", "generation": "300"}
    assert queue.start_decision(key, "mod-1", None, NOW) == "decided"
    assert queue.claim(key, "mod-1", NOW) == "decided"
    assert queue.settle(key, {"status": "rejected"}) is False
    queue.enter(item(1))  # the machine never reopens a person's decision
    assert queue.get(key).state == "decided"
    assert keys(queue.page("decided", None, None, None, 10)) == [key]
    assert queue.start_decision("f" * 64, "mod-1", None, NOW) == "missing"


def test_a_recheck_settles_an_image_and_an_appeal_or_a_new_outcome_reopens_it(queue: Any
                                                                              ) -> None:
    queue.enter(item(1))
    key = item(1).key
    assert queue.settle(key, {"status": "approved"}) is True
    assert queue.get(key).state == "settled"
    assert queue.page("waiting", None, None, None, 10) == []
    assert queue.start_decision(key, "mod-1", None, NOW) == "decided"
    queue.enter(item(1))
    assert queue.get(key).state == "waiting"
    assert queue.settle("f" * 64, {"status": "approved"}) is True  # nothing queued


def test_an_appeal_once_never_after_a_decision_and_it_enters_an_unqueued_image(
        queue: Any, records: Any) -> None:
    records.save(item(7).key, {"bucket": "b", "name": item(7).name, "generation": "107",
                               "uploaderUid": "alice", "status": "rejected"})
    assert queue.appeal(item(7), "mine", NOW) == "appealed"
    assert records.record(item(7).key)["appeal"]["state"] == "waiting"
    assert records.uploader_verdict("alice", item(7).name)["appeal"]["explanation"] == "mine"
    found = queue.get(item(7).key)
    assert (found.priority, found.state, found.appeal["explanation"]) == (0, "waiting", "mine")
    assert queue.appeal(item(7), "again", NOW) == "already"
    queue.enter(item(8))
    queue.start_decision(item(8).key, "mod-1", None, NOW)
    queue.finish_decision(item(8).key, "mod-1", {"decision": "reject"}, None, {})
    assert queue.appeal(item(8), "why", NOW) == "decided"


def test_the_backlog_counts_what_waits(queue: Any) -> None:
    assert queue.backlog() == {"byCause": {"needs_review": 0, "quarantined": 0, "flagged": 0},
                               "appeals": 0, "oldestAt": None}
    queue.enter(item(1, cause="needs_review"))
    queue.enter(item(2))
    queue.enter(item(3, cause="flagged"))
    queue.appeal(item(2), "x", NOW)
    queue.settle(item(3).key, {"status": "approved"})
    backlog = queue.backlog()
    assert backlog["byCause"] == {"needs_review": 1, "quarantined": 1, "flagged": 0}
    assert backlog["appeals"] == 1
    assert backlog["oldestAt"] == NOW + timedelta(seconds=1)
