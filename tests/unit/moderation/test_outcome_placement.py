"""An outcome as stored and shown (moderation/outcome.py), and what moderation/placement.py
writes on the image and does with it, on an object store that records every call."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from messages import render
from moderation.outcome import Outcome, renewal_text
from moderation.placement import Placement, link_change
from moderation.ports import Location, ObjectInfo, TargetExists
from moderation.settings import VisionSettings
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

def placement(objects: Any) -> Placement:
    return Placement(objects, "quarantine/", lambda: NOW)


REJECTED = Outcome(status="rejected", checked=True, reasons=("adult: LIKELY", "racy: LIKELY"))


def test_the_metadata_of_an_outcome() -> None:
    meta = placement(Store()).metadata(REJECTED, {"extra": "1"})
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
    meta = placement(Store()).metadata(long)
    assert meta["moderationReasons"] == "x" * 600 + "; " + "y" * 398
    assert meta["moderationCause"] == "c"


# -- acting on the object --------------------------------------------------------------------------

class Store:
    """moderation.ports.ObjectStore's writes, recorded; one live object (or none)."""

    def __init__(self, *, live: ObjectInfo | None = None, moved_to: str | None = "g2",
                 taken: bool = False) -> None:
        self.live = live
        self.moved_to = moved_to
        self.taken = taken
        self.calls: list[tuple[Any, ...]] = []

    def stat(self, bucket: str, name: str) -> ObjectInfo | None:
        self.calls.append(("stat", bucket, name))
        return self.live

    def set_metadata(self, bucket: str, name: str, generation: str,
                     metadata: Mapping[str, str | None], *,
                     cache_control: str | None = None) -> None:
        self.calls.append(("set_metadata", bucket, name, generation, dict(metadata),
                           cache_control))

    def move(self, bucket: str, name: str, generation: str, new_name: str, *,
             only_if_absent: bool = False) -> str | None:
        self.calls.append(("move", bucket, name, generation, new_name, only_if_absent))
        if self.taken:
            raise TargetExists(new_name)
        return self.moved_to

    def delete(self, bucket: str, name: str, generation: str) -> None:
        self.calls.append(("delete", bucket, name, generation))


AT = Location("images/a.jpg", "g1")
APPROVED = Outcome(status="approved", checked=True)


def live(generation: str = "g1", **metadata: str) -> ObjectInfo:
    return ObjectInfo("b", "images/a.jpg", generation, "image/jpeg", 10, dict(metadata))


def test_a_rejected_image_loses_its_link_and_is_moved_to_quarantine() -> None:
    store = Store(live=live(firebaseStorageDownloadTokens="tok"))
    where = placement(store).apply("b", AT, REJECTED,
                                   VisionSettings(reject_action="quarantine"))
    assert where == Location("quarantine/images/a.jpg", "g2")
    meta = placement(Store()).metadata(REJECTED)
    assert store.calls == [
        ("stat", "b", "images/a.jpg"),
        ("set_metadata", "b", "images/a.jpg", "g1",
         {**meta, "firebaseStorageDownloadTokens": None, "moderationHadDownloadToken": "true"},
         "private, no-store"),
        ("move", "b", "images/a.jpg", "g1", "quarantine/images/a.jpg", False)]


def test_a_rejected_image_already_in_quarantine_stays_there() -> None:
    store = Store(live=live())
    at = Location("quarantine/images/a.jpg", "g1")
    assert placement(store).apply("b", at, REJECTED, VisionSettings()) == at
    assert [c[0] for c in store.calls] == ["stat", "set_metadata"]


def test_a_rejected_image_gone_before_its_move_has_no_place() -> None:
    store = Store(live=live(), moved_to=None)
    assert placement(store).apply("b", AT, REJECTED, VisionSettings()) is None


def test_a_rejected_image_is_deleted_only_on_a_real_verdict() -> None:
    store = Store(live=live())
    assert placement(store).apply("b", AT, REJECTED,
                                  VisionSettings(reject_action="delete")) is None
    assert store.calls[-1] == ("delete", "b", "images/a.jpg", "g1")
    unchecked = Outcome(status="rejected", checked=False, cause="vision_down")
    store = Store(live=live())
    assert placement(store).apply("b", AT, unchecked,
                                  VisionSettings(reject_action="delete")) == Location(
        "quarantine/images/a.jpg", "g2")


def test_a_flagged_rejection_stays_in_place_without_its_link() -> None:
    store = Store(live=live(firebaseStorageDownloadTokens="tok"))
    assert placement(store).apply("b", AT, REJECTED,
                                  VisionSettings(reject_action="flag")) == AT
    assert store.calls[-1][4]["firebaseStorageDownloadTokens"] is None


def test_the_link_is_read_from_the_live_generation_only() -> None:
    # Another generation's tokens are not this image's: nothing to remember.
    store = Store(live=live("g9", firebaseStorageDownloadTokens="tok"))
    placement(store).apply("b", AT, REJECTED, VisionSettings())
    assert "moderationHadDownloadToken" not in store.calls[1][4]
    # Metadata handed in is used as it is: no read.
    store = Store(live=live())
    placement(store).apply("b", AT, APPROVED, VisionSettings(),
                           current={"moderationHadDownloadToken": "true"})
    assert store.calls[0][0] == "set_metadata"
    assert store.calls[0][4]["moderationHadDownloadToken"] is None
    assert store.calls[0][5] is None
    # No live object: nothing to remember either.
    store = Store(live=None)
    placement(store).apply("b", AT, REJECTED, VisionSettings())
    assert "moderationHadDownloadToken" not in store.calls[1][4]


def test_an_approval_after_a_rejection_gives_a_fresh_link() -> None:
    change = link_change(True, {"moderationHadDownloadToken": "true"})
    assert set(change) == {"firebaseStorageDownloadTokens", "moderationHadDownloadToken"}
    assert change["moderationHadDownloadToken"] is None
    token = change["firebaseStorageDownloadTokens"]
    assert token is not None and str(uuid.UUID(token)) == token
    assert link_change(True, {"moderationHadDownloadToken": "true"}) != change  # never reused
    assert link_change(True, {"moderationHadDownloadToken": "true",
                              "firebaseStorageDownloadTokens": "t"}) == {}
    assert link_change(True, {"firebaseStorageDownloadTokens": "t"}) == {}
    assert link_change(True, None) == {}
    assert link_change(False, None) == {"firebaseStorageDownloadTokens": None}


def test_restoring_moves_back_only_where_nothing_is() -> None:
    store = Store()
    at = Location("quarantine/images/a.jpg", "g2")
    assert placement(store).restore(
        "b", at, "images/a.jpg", {"k": "v"}) == Location("images/a.jpg", "g2")
    assert store.calls == [
        ("set_metadata", "b", "quarantine/images/a.jpg", "g2", {"k": "v"}, None),
        ("move", "b", "quarantine/images/a.jpg", "g2", "images/a.jpg", True)]
    assert placement(Store(taken=True)).restore(
        "b", at, "images/a.jpg", {}) is None
    assert placement(Store(moved_to=None)).restore(
        "b", at, "images/a.jpg", {}) is None
