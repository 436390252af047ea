"""Every branch of the pre-upload check (PreUploadCheck.analyze), with the real
StrategyFallback over in-memory fakes of our ports (tests/support/fakes.py)."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, replace
from typing import Any

import pytest

from errors import (
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    PermissionDenied,
    QuotaExhausted,
    Unauthenticated,
    Unavailable,
)
from identity import Caller
from moderation.accounts import Spenders
from moderation.allowance import AllowanceSettings, Spender
from moderation.fallback import LocalThresholds, StrategyFallback
from moderation.outcome import MODERATION_UNAVAILABLE, STATUS_MESSAGES
from moderation.paid_vision import PaidVision
from moderation.ports import LocalModelUnavailable, VisionUnavailable
from moderation.pre_upload_check import ANALYSIS_COLLECTION, PreUploadCheck
from moderation.safesearch import Likelihood, SafeSearchAnnotation
from moderation.settings import VisionSettings
from moderation.strategy import FallbackStrategy
from tests.support.fakes import (
    FakeAppCheckTokens,
    FakeClassifier,
    FakeClock,
    FakeFrameSampler,
    FakeLedger,
    FakeLocalModel,
    FakeObjectStore,
)

OWN_BUCKET = "own.example"
LIMIT = 1024  # max_analyze_bytes
ALICE = Caller(uid="alice")
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(56))
JOB = f"{ANALYSIS_COLLECTION}/{hashlib.sha256(PNG).hexdigest()}"
RACY = SafeSearchAnnotation(adult=Likelihood.UNLIKELY, racy=Likelihood.LIKELY)
STRATEGIES = ["deny", "allow", "warn", "local"]
VERDICT = {"deny": ("rejected", False), "allow": ("unchecked", True),
           "warn": ("needs_review", True), "local": ("approved", True)}  # local: score 0.05


@dataclass
class World:
    ledger: FakeLedger
    vision: FakeClassifier
    model: FakeLocalModel
    objects: FakeObjectStore
    check: PreUploadCheck


def world(strategy: str = "warn", *, enabled: bool = True, limit: int = 1000,
          default_strategy: str = "warn", own_bucket: str | None = OWN_BUCKET,
          score: float | LocalModelUnavailable = 0.05,
          replay_guard: FakeAppCheckTokens | None = None) -> World:
    ledger = FakeLedger(VisionSettings(enabled=enabled,
                                       fallback_strategy=FallbackStrategy(strategy),
                                       monthly_limit=limit), clock=FakeClock())
    vision, model, objects = FakeClassifier(), FakeLocalModel(score), FakeObjectStore()
    paid = PaidVision(ledger, vision,
                      VisionSettings(fallback_strategy=FallbackStrategy(default_strategy)))
    check = PreUploadCheck(
        paid=paid, spenders=Spenders(None), frames=FakeFrameSampler(),
        fallback=StrategyFallback(model.factory, LocalThresholds()), objects=objects,
        max_analyze_bytes=LIMIT, own_bucket=own_bucket, replay_guard=replay_guard)
    return World(ledger, vision, model, objects, check)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def analyze(w: World, data: Any, caller: Caller | None = ALICE) -> dict[str, Any]:
    return w.check.analyze(caller, data)


# -- input ------------------------------------------------------------------------------------

EITHER = 'Send either {"image": "<base64 bytes>"} or {"path": "<object path in this ' \
         'project\'s bucket>"}.'
NOT_A_PATH = ("'path' must be an object path inside this project's bucket (like "
              "'uploads/photo.jpg'), not a URL.")


@pytest.mark.parametrize(("data", "message"), [
    (None, EITHER),
    ([b64(PNG)], EITHER),
    (b64(PNG), EITHER),
    ({}, EITHER),
    ({"image": b64(PNG), "path": "uploads/p.png"}, EITHER),
    ({"image": ""}, "'image' must be a non-empty base64 string."),
    ({"image": 12}, "'image' must be a non-empty base64 string."),
    ({"image": "not base64!"}, "'image' is not valid base64."),
    ({"image": b64(PNG)[:-1]}, "'image' is not valid base64."),
    ({"image": "data:image/png;base64,"}, "'image' is empty."),
    ({"image": b64(b"just some text, not an image")},
     "The file is not an image Vision can check (JPEG, PNG, GIF, WebP, BMP, TIFF or ICO)."),
    ({"path": ""}, "'path' must be a non-empty object path."),
    ({"path": "   "}, "'path' must be a non-empty object path."),
    ({"path": 7}, "'path' must be a non-empty object path."),
    ({"path": "https://evil.example/p.png"}, NOT_A_PATH),
    ({"path": "gs://other-bucket/p.png"}, NOT_A_PATH),
    ({"path": "gs:other/p.png"}, NOT_A_PATH),
    ({"path": "uploads/../secrets/p.png"}, NOT_A_PATH),
    ({"path": "/uploads/p.png"}, NOT_A_PATH),
    ({"path": "uploads\\p.png"}, NOT_A_PATH),
    ({"path": "uploads/p\x00.png"}, NOT_A_PATH),
    ({"path": "uploads/p\n.png"}, NOT_A_PATH),
    ({"path": "u/" + "a" * 1023}, NOT_A_PATH),
])
def test_bad_input_is_invalid_and_costs_nothing(data: Any, message: str) -> None:
    w = world()
    with pytest.raises(InvalidInput) as err:
        analyze(w, data)
    assert err.value.message == message
    assert not isinstance(err.value, PayloadTooLarge)
    assert w.ledger.calls == [] and w.vision.calls == [] and w.objects.reads == []


def test_a_data_url_is_accepted_as_browsers_produce_it() -> None:
    w = world()
    reply = analyze(w, {"image": "data:image/png;base64," + b64(PNG)})
    assert (reply["verdict"], reply["checked"]) == ("approved", True)
    assert [c.content for c in w.vision.calls] == [PNG]


def test_an_image_whose_base64_is_over_the_limit_is_refused_before_decoding() -> None:
    w = world()
    with pytest.raises(PayloadTooLarge) as err:
        analyze(w, {"image": b64(PNG + bytes(LIMIT))})
    assert err.value.message == "'image' is over 1 KB."
    assert w.ledger.calls == []


def test_an_image_just_over_the_limit_after_decoding_is_refused() -> None:
    w = world()
    data = PNG + bytes(LIMIT + 2 - len(PNG))
    assert len(b64(data)) <= (LIMIT * 4) // 3 + 8  # passes the encoded-size check
    with pytest.raises(PayloadTooLarge) as err:
        analyze(w, {"image": b64(data)})
    assert err.value.message == "The image is over 1 KB; the most this check accepts."
    assert w.ledger.calls == []


def test_an_image_of_exactly_the_limit_is_checked() -> None:
    w = world()
    reply = analyze(w, {"image": b64(PNG + bytes(LIMIT - len(PNG)))})
    assert reply["verdict"] == "approved" and len(w.vision.calls) == 1


def test_a_path_is_read_from_the_projects_own_bucket() -> None:
    w = world()
    w.objects.put(OWN_BUCKET, "uploads/alice/p.png", PNG)
    w.objects.put("other-bucket", "uploads/alice/p.png", b"GIF89a other")

    reply = analyze(w, {"path": "  uploads/alice/p.png "})

    assert reply["verdict"] == "approved"
    assert w.objects.reads == [("uploads/alice/p.png", LIMIT + 1)]
    assert [c.content for c in w.vision.calls] == [PNG]  # the bytes, never a gs:// URI
    assert w.vision.calls[0].gcs_uri is None


@pytest.mark.parametrize("path", ["users/bob/private.png", "quarantine/users/bob/private.png",
                                  "uploads/check.png", "public/x.png", "users/alice",
                                  "users/alicex/p.png", "quarantine/p.png"])
def test_a_path_the_caller_may_not_read_is_refused_before_it_is_read(path: str) -> None:
    """What storage.rules would not let alice read: someone else's folder or quarantined
    image, or a path outside any user folder. Whether it exists is not revealed either."""
    w = world()
    w.objects.put(OWN_BUCKET, path, PNG)
    with pytest.raises(PermissionDenied, match="only your own uploads"):
        analyze(w, {"path": path})
    assert w.objects.reads == [] and w.vision.calls == [] and w.ledger.used == 0


@pytest.mark.parametrize("path, caller", [
    ("users/alice/p.png", ALICE), ("images/alice/a/b.png", ALICE),
    ("quarantine/uploads/alice/p.png", ALICE),
    ("users/bob/p.png", Caller(uid="root", is_admin=True)),
    ("public/x.png", Caller(uid="root", is_admin=True)),
])
def test_own_folders_and_an_admin_may_check_a_path(path: str, caller: Caller) -> None:
    w = world()
    w.objects.put(OWN_BUCKET, path, PNG)
    assert analyze(w, {"path": path}, caller)["verdict"] == "approved"


def test_a_path_to_an_object_over_the_limit_is_refused() -> None:
    w = world()
    w.objects.put(OWN_BUCKET, "uploads/alice/big.png", PNG + bytes(LIMIT))
    with pytest.raises(PayloadTooLarge):
        analyze(w, {"path": "uploads/alice/big.png"})
    assert "begin" not in w.ledger.calls and w.vision.calls == []


def test_a_path_without_a_configured_bucket_is_refused() -> None:
    w = world(own_bucket=None)
    with pytest.raises(InvalidInput) as err:
        analyze(w, {"path": "uploads/alice/p.png"})
    assert err.value.message == "This project has no storage bucket configured."
    assert w.objects.reads == []


def test_a_path_to_a_missing_object_is_not_found() -> None:
    w = world()
    with pytest.raises(NotFound) as err:
        analyze(w, {"path": "uploads/alice/none.png"})
    assert err.value.message == "No object 'uploads/alice/none.png' in this project's bucket."
    assert "begin" not in w.ledger.calls


@pytest.mark.parametrize("data", [{"image": b64(PNG)}, None])
def test_a_caller_who_is_not_signed_in_is_refused_first(data: Any) -> None:
    w = world()
    with pytest.raises(Unauthenticated):
        analyze(w, data, caller=None)
    assert w.ledger.calls == [] and w.vision.calls == []


# -- the ledger -------------------------------------------------------------------------------


@pytest.mark.parametrize(("switch", "cause"), [
    ("unavailable", "ledger_unavailable"), ("busy", "ledger_busy")])
@pytest.mark.parametrize("default", STRATEGIES)
def test_without_a_reservation_the_default_strategy_answers_uncached(
        switch: str, cause: str, default: str) -> None:
    w = world("allow", default_strategy=default)
    setattr(w.ledger, switch, True)

    reply = analyze(w, {"image": b64(PNG)})

    verdict, allowed = VERDICT[default]
    assert (reply["verdict"], reply["allowed"], reply["checked"], reply["cause"],
            reply["cached"]) == (verdict, allowed, False, cause, False)
    assert w.vision.calls == [] and w.ledger.used == 0 and w.ledger.jobs == {}
    assert (w.model.calls == [PNG]) is (default == "local")
    if default == "local":
        assert (reply["verdictBy"], reply["localScore"]) == ("local_model", 0.05)


def test_a_verdict_is_recorded_and_the_same_bytes_are_answered_from_it() -> None:
    w = world()
    w.vision.script = [RACY]

    first = analyze(w, {"image": b64(PNG)})
    second = analyze(w, {"image": "data:image/png;base64," + b64(PNG)},
                     caller=Caller(uid="bob"))

    assert first == {
        "verdict": "rejected", "allowed": False, "checked": True,
        "reasons": ["racy=LIKELY (threshold LIKELY)"], "cause": None,
        "likelihoods": {"adult": "UNLIKELY", "racy": "LIKELY", "violence": "UNKNOWN",
                        "medical": "UNKNOWN", "spoof": "UNKNOWN"},
        "verdictBy": "vision", "localScore": None, "renewsAt": None,
        "message": STATUS_MESSAGES["rejected"], "cached": False}
    assert second == {**first, "cached": True}
    assert len(w.vision.calls) == 1 and w.ledger.used == 1
    job = w.ledger.jobs[JOB]
    assert (job["state"], job["firstRequestedBy"], job["format"], job["size"]) == (
        "done", "alice", "png", len(PNG))
    assert "cached" not in job["result"]


def test_the_same_image_being_checked_right_now_is_unavailable() -> None:
    w = world()
    w.ledger.begin(JOB, 1, {}, Spender("bob"))  # another caller's check holds the lease

    with pytest.raises(Unavailable) as err:
        analyze(w, {"image": b64(PNG)})

    assert err.value.message == ("The same image is being checked right now; try again in "
                                 "a few seconds.")
    assert w.vision.calls == [] and w.ledger.used == 1


@pytest.mark.parametrize(("kind", "cause"), [
    ("disabled", "disabled"), ("exhausted", "quota_exhausted")])
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_without_capacity_the_strategy_answers_and_nothing_is_cached(
        kind: str, cause: str, strategy: str) -> None:
    w = world(strategy, enabled=kind == "exhausted", limit=0)

    reply = analyze(w, {"image": b64(PNG)})

    verdict, allowed = VERDICT[strategy]
    assert (reply["verdict"], reply["allowed"], reply["checked"], reply["cause"],
            reply["cached"]) == (verdict, allowed, False, cause, False)
    assert w.vision.calls == [] and w.ledger.used == 0 and w.ledger.jobs == {}
    if strategy == "local":
        assert (reply["verdictBy"], w.model.calls) == ("local_model", [PNG])
    else:
        assert w.model.built == 0 and reply["verdictBy"] is None
    if strategy == "deny":
        assert reply["message"] == MODERATION_UNAVAILABLE
    # Once Vision is back, the same image gets a real verdict.
    w.ledger.settings = VisionSettings()
    again = analyze(w, {"image": b64(PNG)})
    assert (again["verdict"], again["checked"], again["cached"]) == ("approved", True, False)


def test_local_without_a_score_answers_needs_review() -> None:
    w = world("local", enabled=False, score=LocalModelUnavailable("not_loaded", "no model"))
    reply = analyze(w, {"image": b64(PNG)})
    assert (reply["verdict"], reply["allowed"], reply["verdictBy"]) == (
        "needs_review", True, None)
    assert reply["reasons"] == ["the on-device model gave no score (not_loaded)"]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_when_vision_fails_the_unit_is_abandoned_and_nothing_cached(strategy: str) -> None:
    w = world(strategy)
    w.vision.script = [VisionUnavailable("rate_limited", "Vision said 429")]

    reply = analyze(w, {"image": b64(PNG)})

    verdict, allowed = VERDICT[strategy]
    assert (reply["verdict"], reply["allowed"], reply["cause"], reply["cached"]) == (
        verdict, allowed, "rate_limited", False)
    assert w.ledger.used == 0 and JOB not in w.ledger.jobs
    assert "abandon" in w.ledger.calls
    # The next call pays for a real verdict.
    again = analyze(w, {"image": b64(PNG)})
    assert (again["verdict"], again["checked"], again["cached"]) == ("approved", True, False)
    assert len(w.vision.calls) == 2 and w.ledger.used == 1


# -- App Check replay protection --------------------------------------------------------------


def test_with_replay_protection_each_app_check_token_is_good_for_one_call() -> None:
    tokens = FakeAppCheckTokens()
    w = world(replay_guard=tokens)
    assert w.check.analyze(ALICE, {"image": b64(PNG)}, app_check_token="t-1")["verdict"] \
        == "approved"
    calls_before = list(w.ledger.calls)
    for token, message in ((None, "This call needs an App Check token"),
                           ("t-1", "This App Check token was already used"),
                           ("bad-token", "This App Check token was already used")):
        with pytest.raises(Unauthenticated) as err:
            w.check.analyze(ALICE, {"image": b64(PNG)}, app_check_token=token)
        assert str(err.value).startswith(message)
    # Refused before anything was read or reserved.
    assert w.ledger.calls == calls_before and len(w.vision.calls) == 1
    assert tokens.consumed == ["t-1"]


def test_without_replay_protection_no_token_is_asked_for() -> None:
    w = world()
    assert analyze(w, {"image": b64(PNG)})["verdict"] == "approved"


# -- allowances and flags ---------------------------------------------------------------------


def test_over_the_allowance_the_check_is_refused_before_reading_and_costs_nothing() -> None:
    w = world()
    w.ledger.settings = replace(w.ledger.settings,
                                allowance=AllowanceSettings(new_account_daily=1))
    w.objects.put(OWN_BUCKET, "uploads/alice/p.png", PNG)
    assert analyze(w, {"image": b64(PNG)})["checked"] is True
    with pytest.raises(QuotaExhausted) as err:
        analyze(w, {"path": "uploads/alice/p.png"})
    assert str(err.value) == ("This account has used up its image checks until 2026-11-16 "
                              "08:00 UTC. Try again then.")
    assert w.objects.reads == [] and len(w.vision.calls) == 1 and w.ledger.used == 1


def test_a_flagged_account_is_told_its_image_waits_for_a_person_without_a_unit() -> None:
    w = world()
    w.ledger.manage_account(Caller(uid="admin", is_admin=True), "alice", "flag")
    reply = analyze(w, {"image": b64(PNG)})
    assert (reply["verdict"], reply["cause"], reply["checked"]) == (
        "needs_review", "account_flagged", False)
    assert w.vision.calls == [] and w.ledger.used == 0
