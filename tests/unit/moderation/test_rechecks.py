"""The re-check rules that need no server: which outcomes are re-checked, and the task
payload that must survive a trip through Cloud Tasks."""

from __future__ import annotations

import json

import pytest

from errors import InvalidInput
from moderation.fallback import LocalThresholds, StrategyFallback
from moderation.outcome import Outcome
from moderation.ports import Location, Recheck
from moderation.rechecks import WAIT_FOR, is_rechecked, parse_task
from moderation.strategy import FallbackStrategy

KEY = "ab" * 32
FIXED = StrategyFallback(None, LocalThresholds())


def fallback_outcome(strategy: str, cause: str) -> Outcome:
    return FIXED.decide(FallbackStrategy(strategy), cause, lambda: None)


@pytest.mark.parametrize("cause", ["disabled", "quota_exhausted", "ledger_busy",
                                   "ledger_unavailable", "unavailable", "timeout",
                                   "rate_limited", "billing_disabled", "unreachable"])
def test_every_fallback_that_time_or_capacity_can_cure_is_rechecked(cause: str) -> None:
    for strategy in ("deny", "allow", "warn", "local"):
        assert is_rechecked(fallback_outcome(strategy, cause))


@pytest.mark.parametrize("outcome", [
    fallback_outcome("warn", "too_large"),
    fallback_outcome("warn", "bad_image"),
    Outcome(status="rejected", checked=False, cause="spoofed_content_type"),
    Outcome(status="approved", checked=True),
    Outcome(status="rejected", checked=True, reasons=("adult=LIKELY",)),
])
def test_verdicts_and_hopeless_cases_are_not_rechecked(outcome: Outcome) -> None:
    assert not is_rechecked(outcome)


def test_only_capacity_causes_wait_for_a_drain() -> None:
    assert WAIT_FOR == {"disabled": "vision_enabled", "quota_exhausted": "budget",
                        "account_allowance": "account_allowance",
                        "account_flagged": "account_flagged"}


def test_an_allowance_fallback_is_rechecked_and_a_flagged_account_waits_for_a_person() -> None:
    for strategy in ("deny", "allow", "warn", "local"):
        assert is_rechecked(fallback_outcome(strategy, "account_allowance"))
    assert not is_rechecked(Outcome(status="needs_review", checked=False,
                                    cause="account_flagged"))


def test_a_task_survives_json_and_parses_back() -> None:
    recheck = Recheck(key=KEY, bucket="b", name="uploads/ç a.png", generation="17",
                      location=Location("quarantine/uploads/ç a.png", "18"), cause="disabled",
                      state="waiting", waiting_for="vision_enabled")
    parsed = parse_task(json.loads(json.dumps(recheck.task())))
    assert (parsed.key, parsed.bucket, parsed.name, parsed.generation, parsed.cause) == (
        KEY, "b", "uploads/ç a.png", "17", "disabled")
    assert parsed.location == Location("quarantine/uploads/ç a.png", "18")
    assert parsed.state == "queued"


@pytest.mark.parametrize("payload", [
    None, [], "x", {},
    {"key": KEY.upper(), "bucket": "b", "name": "n", "generation": "1", "cause": "c"},
    {"key": KEY, "bucket": "", "name": "n", "generation": "1", "cause": "c"},
    {"key": KEY, "bucket": "b", "name": "n", "generation": 1, "cause": "c"},
    {"key": KEY, "bucket": "b", "name": "n", "generation": "01", "cause": "c"},
    {"key": KEY, "bucket": "b", "name": "n", "generation": "1", "cause": None},
    {"key": KEY, "bucket": "b", "name": "n", "generation": "1", "cause": "c",
     "location": "quarantine/n"},
    {"key": KEY, "bucket": "b", "name": "n", "generation": "1", "cause": "c",
     "location": {"name": "q/n", "generation": "-1"}},
])
def test_a_malformed_task_is_invalid_input(payload: object) -> None:
    with pytest.raises(InvalidInput):
        parse_task(payload)
