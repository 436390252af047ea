"""An outcome as stored and shown (moderation/outcome.py) and as the metadata written on
the image (moderation/placement.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from messages import render
from moderation.outcome import Outcome, renewal_text
from moderation.placement import Placement
from moderation.strategy import FallbackStrategy

NOW = datetime(2026, 5, 1, 8, 30, tzinfo=UTC)
ISTANBUL = timezone(timedelta(hours=3))


def test_an_outcome_as_stored() -> None:
    renews = datetime(2026, 5, 2, 3, 0, tzinfo=ISTANBUL)
    outcome = Outcome(status="rejected", checked=False, reasons=("a", "b"),
                      cause="account_allowance", strategy=FallbackStrategy.DENY,
                      likelihoods={"adult": "LIKELY"}, verdict_by="vision", local_score=0.25,
                      renews_at=renews)
    stored = outcome.as_dict()
    assert stored == {
        "status": "rejected", "checked": False, "reasons": ["a", "b"],
        "cause": "account_allowance", "strategy": "deny", "likelihoods": {"adult": "LIKELY"},
        "verdictBy": "vision", "localScore": 0.25, "renewsAt": "2026-05-02T03:00:00+03:00",
        "message": str(outcome.message),
        "messages": {"en": render(outcome.message, "en"),
                     "tr": render(outcome.message, "tr")}}
    assert "2026-05-02 00:00 UTC" in stored["message"]
    assert "2026-05-02 00:00 UTC" in stored["messages"]["tr"]
    assert stored["messages"]["tr"] != stored["messages"]["en"]


def test_an_approved_outcome_as_stored() -> None:
    stored = Outcome(status="approved", checked=True).as_dict()
    assert stored == {"status": "approved", "checked": True, "reasons": [], "cause": None,
                      "strategy": None, "likelihoods": None, "verdictBy": None,
                      "localScore": None, "renewsAt": None,
                      "message": "The image passed moderation.",
                      "messages": {"en": "The image passed moderation.",
                                   "tr": "Görsel moderasyondan geçti."}}


def test_a_renewal_is_written_in_utc_to_the_minute() -> None:
    assert renewal_text(datetime(2026, 1, 1, 1, 5, 59, tzinfo=ISTANBUL)) == \
        "2025-12-31 22:05 UTC"


# -- placement -------------------------------------------------------------------------------------

class Objects:
    """Placement.metadata touches no object; apply and restore are being reworked (the
    download link) and are tested with it."""


def placement(objects: Objects) -> Placement:
    return Placement(objects, "quarantine/", lambda: NOW)  # type: ignore[arg-type]


REJECTED = Outcome(status="rejected", checked=True, reasons=("adult: LIKELY", "racy: LIKELY"))


def test_the_metadata_of_an_outcome() -> None:
    meta = placement(Objects()).metadata(REJECTED, {"extra": "1"})
    assert meta == {"moderationStatus": "rejected",
                    "moderationMessage": str(REJECTED.message),
                    "moderationMessageTr": render(REJECTED.message, "tr"),
                    "moderatedAt": "2026-05-01T08:30:00+00:00",
                    "moderationCause": "",
                    "moderationReasons": "adult: LIKELY; racy: LIKELY",
                    "extra": "1"}
    assert meta["moderationMessageTr"] != meta["moderationMessage"]


def test_reasons_in_metadata_are_cut_at_1000_characters() -> None:
    long = Outcome(status="rejected", checked=True, reasons=("x" * 600, "y" * 600),
                   cause="c")
    meta = placement(Objects()).metadata(long)
    assert meta["moderationReasons"] == "x" * 600 + "; " + "y" * 398
    assert meta["moderationCause"] == "c"
