"""The fallback strategy as a type, and what each strategy decides (moderation/fallback.py),
with a scripted stand-in for our LocalImageClassifier port."""

from __future__ import annotations

import pytest

from errors import InvalidInput
from infra.config import load_settings
from moderation.fallback import LocalThresholds, StrategyFallback
from moderation.outcome import LOCAL_MODEL
from moderation.ports import LocalModelUnavailable
from moderation.settings import VisionSettings, parse_strategy
from moderation.strategy import FallbackStrategy


class Model:
    """moderation.ports.LocalImageClassifier with a scripted score."""

    def __init__(self, score: float | LocalModelUnavailable) -> None:
        self.score = score
        self.seen: list[bytes] = []

    def nsfw_score(self, image: bytes) -> float:
        self.seen.append(image)
        if isinstance(self.score, LocalModelUnavailable):
            raise self.score
        return self.score


DEFAULT_THRESHOLDS = LocalThresholds()


def deciding(model: Model | None, thresholds: LocalThresholds = DEFAULT_THRESHOLDS
             ) -> StrategyFallback:
    return StrategyFallback((lambda: model) if model else None, thresholds)


@pytest.mark.parametrize("strategy, status, kept", [
    (FallbackStrategy.DENY, "rejected", False),
    (FallbackStrategy.ALLOW, "unchecked", True),
    (FallbackStrategy.WARN, "needs_review", True),
])
def test_fixed_strategies_do_what_their_names_say_and_never_read_the_image(
        strategy, status, kept):
    model = Model(0.99)
    reads: list[int] = []
    outcome = deciding(model).decide(strategy, "disabled", lambda: reads.append(1) or b"x")
    assert (outcome.status, outcome.kept, outcome.checked) == (status, kept, False)
    assert (outcome.strategy, outcome.cause, outcome.verdict_by) == (strategy, "disabled", None)
    assert reads == [] and model.seen == []
    assert outcome.as_dict()["strategy"] == strategy.value


@pytest.mark.parametrize("score, status", [
    (0.0, "approved"), (0.1999, "approved"), (0.2, "needs_review"), (0.7999, "needs_review"),
    (0.8, "rejected"), (1.0, "rejected"),
])
def test_local_scores_map_to_outcomes_at_the_thresholds(score, status):
    model = Model(score)
    outcome = deciding(model).decide(FallbackStrategy.LOCAL, "quota_exhausted",
                                     lambda: b"image")
    assert outcome.status == status and model.seen == [b"image"]
    assert (outcome.checked, outcome.verdict_by, outcome.local_score) == (
        False, LOCAL_MODEL, round(score, 4))
    assert outcome.cause == "quota_exhausted"
    assert "on-device" in outcome.message
    assert bool(outcome.reasons) == (status != "approved")


def test_thresholds_are_configurable():
    outcome = deciding(Model(0.5), LocalThresholds(review_at=0.6, reject_at=0.9)).decide(
        FallbackStrategy.LOCAL, "disabled", lambda: b"i")
    assert outcome.status == "approved"


@pytest.mark.parametrize("model, image, why", [
    (None, b"i", "not installed"),
    (Model(0.9), None, "too large"),
    (Model(LocalModelUnavailable("bad_image", "not an image")), b"i", "(bad_image)"),
])
def test_local_without_a_score_keeps_the_image_for_review(model, image, why):
    outcome = deciding(model).decide(FallbackStrategy.LOCAL, "unavailable", lambda: image)
    assert (outcome.status, outcome.kept, outcome.checked) == ("needs_review", True, False)
    assert outcome.strategy is FallbackStrategy.LOCAL and outcome.verdict_by is None
    assert why in outcome.reasons[0]


@pytest.mark.parametrize("review, reject", [(0.5, 0.4), (-0.1, 0.5), (0.2, 1.1)])
def test_thresholds_out_of_order_are_refused(review, reject):
    with pytest.raises(ValueError):
        LocalThresholds(review_at=review, reject_at=reject)


@pytest.mark.parametrize("raw, parsed", [
    ("local", FallbackStrategy.LOCAL), (" DENY ", FallbackStrategy.DENY),
    ("Warn", FallbackStrategy.WARN), ("block", None), (1, None), (None, None), ("", None),
])
def test_the_strategy_parses_from_text_only(raw, parsed):
    assert FallbackStrategy.parse(raw) is parsed


def test_the_admin_input_and_the_stored_document_use_the_type():
    assert parse_strategy({"strategy": "Local"}) is FallbackStrategy.LOCAL
    with pytest.raises(InvalidInput, match="deny, allow, warn, local"):
        parse_strategy({"strategy": "maybe"})
    defaults = VisionSettings()
    stored = VisionSettings.from_document({"fallbackStrategy": "local"}, defaults)
    assert stored.fallback_strategy is FallbackStrategy.LOCAL
    assert stored.to_document()["fallbackStrategy"] == "local"
    # A hand-edited unknown value keeps the default rather than an unsafe guess.
    assert VisionSettings.from_document({"fallbackStrategy": "yolo"}, defaults) \
        .fallback_strategy is FallbackStrategy.WARN


@pytest.mark.parametrize("env, problem", [
    ({"VISION_FALLBACK_STRATEGY": "maybe"}, "VISION_FALLBACK_STRATEGY must be one of"),
    ({"LOCAL_NSFW_REVIEW_AT": "0.9", "LOCAL_NSFW_REJECT_AT": "0.5"}, "LOCAL_NSFW_REVIEW_AT"),
    ({"LOCAL_NSFW_REJECT_AT": "high"}, "LOCAL_NSFW_REJECT_AT must be a number"),
])
def test_bad_configuration_is_refused_at_start(env, problem):
    with pytest.raises(Exception, match=problem):
        load_settings(env)


def test_configuration_reads_local_and_its_thresholds():
    config = load_settings({"VISION_FALLBACK_STRATEGY": "local", "LOCAL_NSFW_REVIEW_AT": "0.3",
                            "LOCAL_NSFW_REJECT_AT": "0.7"})
    assert config.vision_default_fallback is FallbackStrategy.LOCAL
    assert (config.local_nsfw_review_at, config.local_nsfw_reject_at) == (0.3, 0.7)
