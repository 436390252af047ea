"""The review queue's pure rules (moderation/review.py) one by one: who may claim and decide,
what a moderator's list shows, and each bad input's own message. The desk that uses them is
tested in test_review_desk.py."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from errors import InvalidInput
from moderation.review import (
    MAX_CLAIM,
    MAX_DECISIONS,
    MAX_EXPLANATION,
    MAX_NOTE,
    MAX_PAGE,
    DecisionRequest,
    PageRequest,
    ReviewItem,
    claim_answer,
    decision_refusal,
    parse_appeal,
    parse_decisions,
    parse_keys,
    parse_page,
    refusal_message,
    review_cause,
    scores_of,
)

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
KEY = "a" * 64
OTHER_KEY = "0123456789abcdef" * 4
ITEM = ReviewItem(key=KEY, bucket="b", name="users/u1/p.png", generation="7",
                  location={"name": "quarantine/users/u1/p.png", "generation": "8"},
                  cause="quarantined", reason="vision", status="rejected",
                  uploader_uid="u1", entered_at=NOW - timedelta(seconds=90))


def claimed(by: str, until: datetime, **changes: Any) -> ReviewItem:
    return replace(ITEM, claimed_by=by, claimed_until=until, **changes)


def refused(parse: Any, data: Any) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        parse(data)
    return caught.value


# -- claims ------------------------------------------------------------------------------------

def test_a_claim_binds_others_only_while_it_lasts() -> None:
    item = claimed("mona", NOW + timedelta(seconds=1))
    assert item.claimed_by_other("mel", NOW)
    assert not item.claimed_by_other("mona", NOW)
    assert not claimed("mona", NOW).claimed_by_other("mel", NOW)  # ends at its instant
    assert not ITEM.claimed_by_other("mel", NOW)
    assert not replace(ITEM, claimed_by="mona").claimed_by_other("mel", NOW)


@pytest.mark.parametrize(("item", "answer"), [
    (None, "missing"),
    (ITEM, "claimed"),
    (replace(ITEM, state="deciding"), "claimed"),
    (replace(ITEM, state="decided"), "decided"),
    (replace(ITEM, state="settled"), "decided"),
    (claimed("mona", NOW + timedelta(minutes=5)), "held"),
    (claimed("mel", NOW + timedelta(minutes=5)), "claimed"),
    (claimed("mona", NOW - timedelta(minutes=1)), "claimed"),
])
def test_claim_answers(item: ReviewItem | None, answer: str) -> None:
    assert claim_answer(item, "mel", NOW) == answer


@pytest.mark.parametrize(("item", "revision", "refusal"), [
    (None, None, "missing"),
    (replace(ITEM, state="decided"), None, "decided"),
    (replace(ITEM, state="settled"), 1, "decided"),
    (claimed("mona", NOW + timedelta(minutes=5)), 1, "held"),
    (ITEM, 1, None),
    (ITEM, None, None),
    (ITEM, 2, "stale"),
    (replace(ITEM, state="deciding", claimed_by="mel"), None, None),
    # With no revision given, the one seen when claiming counts, and only the claimer's.
    (claimed("mel", NOW + timedelta(minutes=5), revision=2, claimed_revision=1), None,
     "stale"),
    (claimed("mel", NOW + timedelta(minutes=5), revision=2, claimed_revision=2), None, None),
    (claimed("mona", NOW - timedelta(minutes=1), revision=2, claimed_revision=1), None, None),
    (claimed("mel", NOW + timedelta(minutes=5), revision=2, claimed_revision=1), 2, None),
])
def test_decision_refusals(item: ReviewItem | None, revision: int | None,
                           refusal: str | None) -> None:
    assert decision_refusal(item, "mel", revision, NOW) == refusal


def test_refusal_messages_name_the_claims_end_in_utc() -> None:
    held = refusal_message("held", claimed("mona", datetime(2026, 12, 7, 9, 5, tzinfo=UTC)))
    assert (held.code, held.params) == ("review.held", {"until": "09:05 UTC"})
    for refusal in ("missing", "decided", "stale", "gone"):
        assert refusal_message(refusal, ITEM).code == f"review.{refusal}"
    # A held refusal with nothing to name the end by, or an unknown one: "missing".
    assert refusal_message("held", ITEM).code == "review.missing"
    assert refusal_message("held", None).code == "review.missing"
    assert refusal_message("stale", claimed("m", NOW)).code == "review.stale"
    assert refusal_message("other", None).code == "review.missing"


# -- what enters and what a list shows ---------------------------------------------------------

@pytest.mark.parametrize(("status", "where", "cause"), [
    ("needs_review", "users/u1/p.png", "needs_review"),
    ("rejected", "quarantine/users/u1/p.png", "quarantined"),
    ("rejected", "users/u1/p.png", "flagged"),
    ("rejected", None, None),
    ("needs_review", None, None),
    ("approved", "users/u1/p.png", None),
])
def test_review_causes(status: str, where: str | None, cause: str | None) -> None:
    assert review_cause(status, where, "quarantine/") == cause


def test_scores_are_vision_likelihoods_and_the_local_models_score() -> None:
    assert scores_of(None) is None
    assert scores_of({}) is None
    assert scores_of({"likelihoods": {}, "localScore": None}) is None
    assert scores_of({"likelihoods": {"adult": "LIKELY"}}) == {
        "likelihoods": {"adult": "LIKELY"}}
    assert scores_of({"localScore": 0.0}) == {"localScore": 0.0}
    assert scores_of({"likelihoods": {"racy": "POSSIBLE"}, "localScore": 0.4}) == {
        "likelihoods": {"racy": "POSSIBLE"}, "localScore": 0.4}


def test_a_listing_shows_everything_a_moderator_decides_by() -> None:
    until = NOW + timedelta(minutes=3)
    item = replace(
        claimed("mona", until), state="deciding", revision=3,
        appeal={"explanation": "it is a cat", "at": NOW - timedelta(minutes=1)},
        scores={"likelihoods": {"adult": "LIKELY"}},
        first_result={"status": "rejected", "at": NOW - timedelta(hours=1)},
        latest_result={"status": "rejected", "at": NOW - timedelta(minutes=2)},
        decision={"decision": "approve", "at": NOW})
    assert item.listing(NOW) == {
        "key": KEY, "name": "users/u1/p.png", "cause": "quarantined", "reason": "vision",
        "status": "rejected", "uploaderUid": "u1",
        "enteredAt": "2026-12-07T11:58:30+00:00", "waitingSeconds": 90,
        "state": "deciding", "appealed": True,
        "appeal": {"explanation": "it is a cat", "at": "2026-12-07T11:59:00+00:00"},
        "revision": 3, "scores": {"likelihoods": {"adult": "LIKELY"}},
        "location": {"name": "quarantine/users/u1/p.png", "generation": "8"},
        "firstResult": {"status": "rejected", "at": "2026-12-07T11:00:00+00:00"},
        "latestResult": {"status": "rejected", "at": "2026-12-07T11:58:00+00:00"},
        "claimedBy": "mona", "claimedUntil": "2026-12-07T12:03:00+00:00",
        "decision": {"decision": "approve", "at": "2026-12-07T12:00:00+00:00"},
    }


def test_a_listing_hides_a_claim_that_ran_out_and_never_counts_negative_time() -> None:
    for until in (NOW, NOW - timedelta(seconds=1)):
        shown = claimed("mona", until).listing(NOW)
        assert (shown["claimedBy"], shown["claimedUntil"]) == (None, None)
    early = replace(ITEM, entered_at=NOW + timedelta(seconds=5)).listing(NOW)
    assert early["waitingSeconds"] == 0
    assert replace(ITEM, entered_at=NOW - timedelta(seconds=1)).listing(NOW)[
        "waitingSeconds"] == 1
    plain = ITEM.listing(NOW)
    assert (plain["appealed"], plain["appeal"], plain["decision"]) == (False, None, None)


# -- a list request ----------------------------------------------------------------------------

def test_a_page_request_has_defaults_and_takes_every_filter() -> None:
    assert parse_page(None) == parse_page({}) == PageRequest("waiting", None, None, None, 50)
    assert parse_page({"state": "decided", "cause": "flagged", "uploader": "u" * 128,
                       "after": KEY, "limit": MAX_PAGE}) == \
        PageRequest("decided", "flagged", "u" * 128, KEY, MAX_PAGE)
    assert parse_page({"limit": 1}).limit == 1


@pytest.mark.parametrize(("data", "code", "params"), [
    ([], "review.body", {}),
    ("waiting", "review.body", {}),
    ({"state": "waiting", "page": 2}, "moderation.allowance.unknown_field", {"name": "page"}),
    ({"state": "deciding"}, "review.state", {"states": "waiting, decided"}),
    ({"cause": "nsfw"}, "review.cause", {"causes": "needs_review, quarantined, flagged"}),
    ({"uploader": ""}, "common.field_not_string", {"name": "uploader"}),
    ({"uploader": 7}, "common.field_not_string", {"name": "uploader"}),
    ({"uploader": "u" * 129}, "common.field_not_string", {"name": "uploader"}),
    ({"after": "A" * 64}, "review.after", {}),
    ({"after": "X" * 64}, "review.after", {}),
    ({"after": "a" * 63}, "review.after", {}),
    ({"limit": 0}, "review.limit", {"most": MAX_PAGE}),
    ({"limit": MAX_PAGE + 1}, "review.limit", {"most": MAX_PAGE}),
    ({"limit": True}, "review.limit", {"most": MAX_PAGE}),
    ({"limit": 5.0}, "review.limit", {"most": MAX_PAGE}),
])
def test_a_bad_page_request_says_what_is_wrong(data: Any, code: str,
                                               params: dict[str, Any]) -> None:
    error = refused(parse_page, data)
    assert (error.message.code, error.message.params) == (code, params)


# -- claims and decisions ----------------------------------------------------------------------

def test_keys_are_taken_once_each_in_order() -> None:
    assert parse_keys({"keys": [OTHER_KEY, KEY, OTHER_KEY]}) == [OTHER_KEY, KEY]
    assert len(parse_keys({"keys": [f"{i:064x}" for i in range(MAX_CLAIM)]})) == MAX_CLAIM
    assert parse_keys({"keys": [KEY, OTHER_KEY]}, most=2) == [KEY, OTHER_KEY]


@pytest.mark.parametrize("data", [
    None, [], {}, {"keys": KEY}, {"keys": []}, {"keys": [KEY.upper()]}, {"keys": [7]},
    {"keys": [KEY, "b" * 65]}, {"keys": [f"{i:064x}" for i in range(MAX_CLAIM + 1)]},
])
def test_bad_keys_say_how_many_may_be_claimed(data: Any) -> None:
    error = refused(parse_keys, data)
    assert (error.message.code, error.message.params) == ("review.keys", {"most": MAX_CLAIM})


def test_decisions_keep_their_revision_and_a_trimmed_note() -> None:
    assert parse_decisions({"decisions": [
        {"key": KEY, "decision": "approve"},
        {"key": OTHER_KEY, "decision": "reject", "revision": 1, "note": "  nudity  "},
        {"key": "b" * 64, "decision": "reject", "note": "   "},
        {"key": "c" * 64, "decision": "reject", "note": "n" * MAX_NOTE},
    ]}) == [DecisionRequest(KEY, "approve", None, None),
            DecisionRequest(OTHER_KEY, "reject", 1, "nudity"),
            DecisionRequest("b" * 64, "reject", None, None),
            DecisionRequest("c" * 64, "reject", None, "n" * MAX_NOTE)]
    many = [{"key": f"{i:064x}", "decision": "approve"} for i in range(MAX_DECISIONS)]
    assert len(parse_decisions({"decisions": many})) == MAX_DECISIONS


@pytest.mark.parametrize(("data", "code", "params"), [
    (None, "review.decisions", {"most": MAX_DECISIONS}),
    ({"decisions": []}, "review.decisions", {"most": MAX_DECISIONS}),
    ({"decisions": {"key": KEY}}, "review.decisions", {"most": MAX_DECISIONS}),
    ({"decisions": [{"key": f"{i:064x}", "decision": "approve"}
                    for i in range(MAX_DECISIONS + 1)]},
     "review.decisions", {"most": MAX_DECISIONS}),
    ({"decisions": ["approve"]}, "review.decision_key", {}),
    ({"decisions": [{"key": "x", "decision": "approve"}]}, "review.decision_key", {}),
    ({"decisions": [{"key": KEY, "decision": "delete"}]}, "review.decision",
     {"decisions": "approve, reject"}),
    ({"decisions": [{"key": KEY, "decision": "approve", "revision": 0}]},
     "review.revision", {}),
    ({"decisions": [{"key": KEY, "decision": "approve", "revision": True}]},
     "review.revision", {}),
    ({"decisions": [{"key": KEY, "decision": "approve", "revision": "2"}]},
     "review.revision", {}),
    ({"decisions": [{"key": KEY, "decision": "approve", "note": 5}]},
     "review.note", {"most": MAX_NOTE}),
    ({"decisions": [{"key": KEY, "decision": "approve", "note": "n" * (MAX_NOTE + 1)}]},
     "review.note", {"most": MAX_NOTE}),
    ({"decisions": [{"key": KEY, "decision": "approve"}, {"key": KEY, "decision": "reject"}]},
     "review.twice", {"key": KEY}),
])
def test_a_bad_decision_says_what_is_wrong(data: Any, code: str,
                                           params: dict[str, Any]) -> None:
    error = refused(parse_decisions, data)
    assert (error.message.code, error.message.params) == (code, params)


# -- appeals -----------------------------------------------------------------------------------

def test_an_appeal_is_a_path_and_an_explanation_both_trimmed() -> None:
    assert parse_appeal({"path": " users/u1/p.png ", "explanation": " a cat "}) == (
        "users/u1/p.png", "a cat")
    longest = parse_appeal({"path": "p" * 1024, "explanation": "e" * MAX_EXPLANATION})
    assert longest == ("p" * 1024, "e" * MAX_EXPLANATION)


@pytest.mark.parametrize(("data", "code", "params"), [
    (None, "review.appeal_body", {}),
    ({"path": "p", "explanation": "e", "uid": "u2"}, "review.appeal_body", {}),
    ({"explanation": "e"}, "moderation.check.path_empty", {}),
    ({"path": "  ", "explanation": "e"}, "moderation.check.path_empty", {}),
    ({"path": "p" * 1025, "explanation": "e"}, "moderation.check.path_empty", {}),
    ({"path": "p"}, "review.explanation", {"most": MAX_EXPLANATION}),
    ({"path": "p", "explanation": " "}, "review.explanation", {"most": MAX_EXPLANATION}),
    ({"path": "p", "explanation": "e" * (MAX_EXPLANATION + 1)}, "review.explanation",
     {"most": MAX_EXPLANATION}),
])
def test_a_bad_appeal_says_what_is_wrong(data: Any, code: str, params: dict[str, Any]) -> None:
    error = refused(parse_appeal, data)
    assert (error.message.code, error.message.params) == (code, params)
