"""The edges of a moderation job's stored state and charge (moderation/reservation.py), the
local fallback's thresholds, score and log line (moderation/fallback.py), and the image
formats sniffed at their exact lengths (moderation/verdict.py)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from moderation.allowance import AccountStanding, AccountUsage, Spender
from moderation.fallback import LocalThresholds, StrategyFallback
from moderation.ports import LocalModelUnavailable
from moderation.reservation import JobState, job_fields, spend_decision
from moderation.settings import VisionSettings
from moderation.strategy import FallbackStrategy
from moderation.verdict import sniff_image_format

LA = ZoneInfo("America/Los_Angeles")
NOW = datetime(2026, 3, 20, 3, 0, tzinfo=UTC)  # the 19th in Los Angeles, the 20th elsewhere


def test_a_job_state_as_stored() -> None:
    lease = NOW + timedelta(minutes=2)
    assert JobState.from_document({"state": "leased", "leaseOwner": "w1", "leaseUntil": lease,
                                   "units": 1, "claim": "reserved"}) == JobState(
        state="leased", lease_owner="w1", lease_until=lease, units=1, claim="reserved")


def test_unreadable_job_fields_are_ignored() -> None:
    assert JobState.from_document({"state": 5, "leaseUntil": "soon", "units": True,
                                   "claim": 3}) == JobState()
    assert JobState.from_document({"units": "2"}).units == 0
    assert JobState.from_document(None) == JobState()


def test_what_a_job_remembers_of_its_charge(server_in_tokyo: None) -> None:
    assert job_fields(Spender("u1"), 1, "2026_03", NOW, LA) == {
        "account": "u1", "accountUid": "u1", "accountUnits": 1, "chargedDay": "2026_03_19",
        "monthKey": "2026_03"}
    assert job_fields(Spender(None), 2, "2026_03", NOW, LA)["account"] == "~unattributed"


def test_the_allowance_day_of_a_spend_is_the_quota_zones(server_in_tokyo: None) -> None:
    spender = Spender("u1", created_at=NOW - timedelta(days=30))
    spent_today = AccountUsage(month_units=20, day="2026_03_19", day_units=20)
    decision = spend_decision(VisionSettings(), 0, 1, spender, spent_today, AccountStanding(),
                              NOW, LA)
    assert decision.kind == "over_allowance"


# -- the local fallback ----------------------------------------------------------------------------

class Model:
    def __init__(self, score: float | LocalModelUnavailable) -> None:
        self.score = score

    def nsfw_score(self, image: bytes) -> float:
        if isinstance(self.score, LocalModelUnavailable):
            raise self.score
        return self.score


def local(model: Model, thresholds: LocalThresholds | None = None) -> StrategyFallback:
    return StrategyFallback(lambda: model, thresholds or LocalThresholds())  # type: ignore[arg-type, return-value]


def test_the_score_is_kept_to_four_places() -> None:
    outcome = local(Model(0.123456)).decide(FallbackStrategy.LOCAL, "vision_down", lambda: b"x")
    assert outcome.local_score == 0.1235 and outcome.status == "approved"


def test_a_model_without_a_score_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    model = Model(LocalModelUnavailable("bad_image", "not a picture"))
    with caplog.at_level(logging.WARNING):
        outcome = local(model).decide(FallbackStrategy.LOCAL, "vision_down", lambda: b"x")
    assert outcome.reasons == ("the on-device model gave no score (bad_image)",)
    assert [r.getMessage() for r in caplog.records if r.name == "moderation.fallback"] == [
        "the on-device model gave no score (bad_image): not a picture"]


@pytest.mark.parametrize(("review", "reject"), [(0.0, 0.5), (0.5, 0.5), (0.5, 1.0),
                                                (0.0, 0.0), (1.0, 1.0)])
def test_thresholds_at_their_bounds_are_allowed(review: float, reject: float) -> None:
    assert LocalThresholds(review, reject).reject_at == reject


def test_thresholds_out_of_bounds_say_which_order_is_needed() -> None:
    for review, reject in ((-0.1, 0.5), (0.6, 0.5), (0.2, 1.1)):
        with pytest.raises(ValueError, match=r"^local thresholds need 0 <= review_at <= "
                                             r"reject_at <= 1$"):
            LocalThresholds(review, reject)


# -- sniffing --------------------------------------------------------------------------------------

@pytest.mark.parametrize(("head", "kind"), [
    (b"GIF87a", "gif"), (b"GIF89a", "gif"), (b"GIF88a", None),
    (b"RIFF\x00\x00\x00\x00WEBP", "webp"), (b"RIFF\x00\x00\x00\x00WEB", None),
    (b"RIFF\x00\x00\x00\x00WAVE", None),
])
def test_formats_at_their_shortest(head: bytes, kind: str | None) -> None:
    assert sniff_image_format(head) == kind
