"""moderation.settings: the stored Vision settings document both ways (every field, its
default, what a hand-edited document cannot do) and the admins' input to it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from errors import InvalidInput
from moderation.allowance import AllowanceSettings
from moderation.safesearch import Likelihood
from moderation.settings import (
    DEFAULT_THRESHOLDS,
    MAX_MONTHLY_LIMIT,
    REJECT_ACTIONS,
    VisionSettings,
    parse_enabled,
    parse_limit,
    parse_strategy,
)
from moderation.strategy import FallbackStrategy

AT = datetime(2026, 5, 1, 8, 0, tzinfo=UTC)
DEFAULTS = VisionSettings()


def test_the_defaults() -> None:
    assert VisionSettings() == VisionSettings(
        enabled=True, fallback_strategy=FallbackStrategy.WARN, monthly_limit=1000,
        reject_action="quarantine",
        thresholds={"adult": Likelihood.LIKELY, "racy": Likelihood.LIKELY,
                    "violence": Likelihood.LIKELY, "medical": None, "spoof": None},
        allowance=AllowanceSettings(), updated_at=None, updated_by=None)
    assert REJECT_ACTIONS == ("quarantine", "delete", "flag")
    # Each settings object has its own thresholds: changing one changes no other.
    VisionSettings().thresholds["adult"] = Likelihood.UNKNOWN
    assert VisionSettings().thresholds == DEFAULT_THRESHOLDS
    assert DEFAULT_THRESHOLDS["adult"] is Likelihood.LIKELY


def test_the_stored_document() -> None:
    settings = VisionSettings(enabled=False, fallback_strategy=FallbackStrategy.LOCAL,
                              monthly_limit=250, reject_action="delete",
                              thresholds={**DEFAULT_THRESHOLDS, "racy": Likelihood.POSSIBLE,
                                          "adult": None},
                              allowance=AllowanceSettings(daily=7), updated_at=AT,
                              updated_by="root")
    assert settings.to_document() == {
        "enabled": False, "fallbackStrategy": "local", "monthlyLimit": 250,
        "rejectAction": "delete",
        "thresholds": {"adult": None, "racy": "POSSIBLE", "violence": "LIKELY",
                       "medical": None, "spoof": None},
        "accountAllowance": AllowanceSettings(daily=7).to_document(),
        "updatedAt": AT, "updatedBy": "root"}
    assert VisionSettings.from_document(settings.to_document(), DEFAULTS) == settings


@pytest.mark.parametrize("doc", [None, {}])
def test_no_document_is_the_defaults(doc: Any) -> None:
    assert VisionSettings.from_document(doc, DEFAULTS) is DEFAULTS


def test_each_stored_field_is_read() -> None:
    read = VisionSettings.from_document
    assert read({"enabled": False}, DEFAULTS).enabled is False
    assert read({"fallbackStrategy": " Deny "}, DEFAULTS).fallback_strategy is \
        FallbackStrategy.DENY
    assert read({"monthlyLimit": 0}, DEFAULTS).monthly_limit == 0
    assert read({"monthlyLimit": 5}, DEFAULTS).monthly_limit == 5
    for action in REJECT_ACTIONS:
        assert read({"rejectAction": action}, DEFAULTS).reject_action == action
    assert read({"accountAllowance": {"daily": 9}}, DEFAULTS).allowance == \
        AllowanceSettings(daily=9)
    stamped = read({"updatedAt": AT, "updatedBy": "root"}, DEFAULTS)
    assert (stamped.updated_at, stamped.updated_by) == (AT, "root")
    # The other fields keep their defaults.
    assert read({"updatedBy": "root"}, DEFAULTS) == VisionSettings(updated_by="root")


def test_unreadable_fields_keep_their_defaults() -> None:
    doc = {"enabled": "no", "fallbackStrategy": "panic", "monthlyLimit": -1,
           "rejectAction": "burn", "thresholds": ["adult"], "accountAllowance": "lots"}
    assert VisionSettings.from_document(doc, DEFAULTS) == DEFAULTS
    for limit in (True, 12.5, "12", None):
        assert VisionSettings.from_document({"monthlyLimit": limit},
                                            DEFAULTS).monthly_limit == 1000
    assert VisionSettings.from_document({"enabled": 0}, DEFAULTS).enabled is True


def test_the_defaults_given_are_the_ones_kept() -> None:
    mine = VisionSettings(enabled=False, monthly_limit=7, reject_action="flag",
                          fallback_strategy=FallbackStrategy.ALLOW,
                          allowance=AllowanceSettings(daily=3))
    assert VisionSettings.from_document({"updatedBy": "x"}, mine) == VisionSettings(
        enabled=False, monthly_limit=7, reject_action="flag",
        fallback_strategy=FallbackStrategy.ALLOW, allowance=AllowanceSettings(daily=3),
        updated_by="x")


def test_stored_thresholds() -> None:
    read = VisionSettings.from_document
    got = read({"thresholds": {"adult": "VERY_LIKELY", "racy": None, "medical": "POSSIBLE",
                               "spoof": "likely", "violence": 3, "other": "LIKELY"}},
               DEFAULTS).thresholds
    # A threshold that is no likelihood's name keeps its default; None switches one off.
    assert got == {"adult": Likelihood.VERY_LIKELY, "racy": None,
                   "violence": Likelihood.LIKELY, "medical": Likelihood.POSSIBLE,
                   "spoof": None}
    assert read({"thresholds": {}}, DEFAULTS).thresholds == DEFAULT_THRESHOLDS
    mine = VisionSettings(thresholds={**DEFAULT_THRESHOLDS, "spoof": Likelihood.UNLIKELY})
    assert read({"thresholds": {"adult": "POSSIBLE"}}, mine).thresholds == {
        **DEFAULT_THRESHOLDS, "adult": Likelihood.POSSIBLE, "spoof": Likelihood.UNLIKELY}


# -- the admins' input -------------------------------------------------------------------------

def code_and_params(call: Any, data: Any) -> tuple[str, dict[str, Any]]:
    with pytest.raises(InvalidInput) as err:
        call(data)
    return err.value.message.code, err.value.message.params


@pytest.mark.parametrize("value", [True, False])
def test_enabled(value: bool) -> None:
    assert parse_enabled({"enabled": value}) is value


@pytest.mark.parametrize("data", [None, [], {}, {"on": True}])
def test_a_field_that_is_missing_is_named(data: Any) -> None:
    assert code_and_params(parse_enabled, data) == ("common.field_required",
                                                    {"name": "enabled"})
    assert code_and_params(parse_strategy, data) == ("common.field_required",
                                                     {"name": "strategy"})
    assert code_and_params(parse_limit, data) == ("common.field_required", {"name": "limit"})


@pytest.mark.parametrize("value", ["true", 1, None])
def test_enabled_must_be_a_boolean(value: Any) -> None:
    assert code_and_params(parse_enabled, {"enabled": value}) == (
        "common.field_not_boolean", {"name": "enabled"})


def test_strategy() -> None:
    assert parse_strategy({"strategy": " LOCAL "}) is FallbackStrategy.LOCAL
    for bad in ("panic", None, 3):
        assert code_and_params(parse_strategy, {"strategy": bad}) == (
            "moderation.settings.strategy", {"strategies": "deny, allow, warn, local"})


@pytest.mark.parametrize(("value", "expected"), [(0, 0), (5, 5), (5.0, 5),
                                                 (MAX_MONTHLY_LIMIT, 10_000_000)])
def test_limit(value: Any, expected: int) -> None:
    got = parse_limit({"limit": value})
    assert got == expected and type(got) is int


@pytest.mark.parametrize("value", [True, "5", 5.5, None])
def test_a_limit_must_be_a_whole_number(value: Any) -> None:
    assert code_and_params(parse_limit, {"limit": value}) == (
        "common.field_not_whole_number", {"name": "limit"})


@pytest.mark.parametrize("value", [-1, 10_000_001, -1.0, 1e9])
def test_a_limit_must_be_in_range(value: Any) -> None:
    assert code_and_params(parse_limit, {"limit": value}) == (
        "moderation.settings.limit_range", {"max_limit": 10_000_000})
