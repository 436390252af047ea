"""The listing callables' paging input (paging.py) and the two listings over it: the parts
(qr/listing.py) and the recent count sessions (stocktake/listing.py), on in-memory indexes."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from errors import InvalidInput, PermissionDenied, Unauthenticated
from identity import Caller
from paging import page_input
from qr.listing import LowStockDigest, PartsListing, PartSummary
from stocktake.listing import SessionsListing, SessionSummary

STAFF = Caller(uid="s", has_staff_claim=True)
GUEST = Caller(uid="g")


def refusal(data: Any, *, most: int = 10) -> tuple[str, dict[str, Any]]:
    with pytest.raises(InvalidInput) as err:
        page_input(data, default=5, most=most)
    return err.value.message.code, err.value.message.params


@pytest.mark.parametrize(("data", "expected"), [
    (None, (5, None)), ({}, (5, None)), ({"limit": 1}, (1, None)), ({"limit": 10}, (10, None)),
    ({"after": "P-9"}, (5, "P-9")), ({"limit": 3, "after": {"k": 1}}, (3, {"k": 1})),
])
def test_page_input(data: Any, expected: tuple[int, Any]) -> None:
    assert page_input(data, default=5, most=10) == expected


@pytest.mark.parametrize("limit", [0, 11, -1, True, 2.0, "3", None])
def test_a_limit_outside_1_to_most_is_refused(limit: Any) -> None:
    assert refusal({"limit": limit}) == ("listing.page.limit_range", {"most": 10})


@pytest.mark.parametrize("data", [[], "limit=3", 3])
def test_paging_input_is_an_object(data: Any) -> None:
    assert refusal(data) == ("listing.page.not_an_object", {})


# -- parts -----------------------------------------------------------------------------------------

def part(code: str, low: bool = False) -> PartSummary:
    return PartSummary(code, f"name {code}", 3, 2, 1, 0, f"{code}-x",
                       min_units=5 if low else None, available=3, below_minimum=low)


class Catalog:
    def __init__(self, codes: list[str], low: tuple[str, ...] = ()) -> None:
        self.codes = sorted(codes)
        self.low = set(low)
        self.asked: list[tuple[str | None, int]] = []

    def page(self, after: str | None, limit: int, *, below_minimum: bool = False
             ) -> list[PartSummary]:
        self.asked.append((after, limit))
        return [part(c, c in self.low) for c in self.codes
                if (after is None or c > after) and (c in self.low or not below_minimum)
                ][:limit]


class Notices:
    def __init__(self) -> None:
        self.posted: dict[str, dict[str, Any]] = {}

    def post_once(self, notice_id: str, fields: dict[str, Any]) -> bool:
        if notice_id in self.posted:
            return False
        self.posted[notice_id] = fields
        return True


def test_only_the_parts_below_their_minimum_when_asked() -> None:
    listing = PartsListing(Catalog(["A", "B", "C"], low=("B",)))
    low = listing.list_parts(STAFF, {"below_minimum": True})
    assert [(p["part_code"], p["below_minimum"], p["min_units"], p["available"])
            for p in low["parts"]] == [("B", True, 5, 3)]
    assert len(listing.list_parts(STAFF, {"below_minimum": False})["parts"]) == 3


@pytest.mark.parametrize("flag", ["true", 1, [], {}])
def test_the_below_minimum_filter_is_true_or_false(flag: Any) -> None:
    with pytest.raises(InvalidInput) as err:
        PartsListing(Catalog(["A"])).list_parts(STAFF, {"below_minimum": flag})
    assert err.value.message.code == "listing.below_minimum_flag"


def test_the_daily_digest_lists_the_low_parts_once_a_day_and_nothing_when_none() -> None:
    notices = Notices()
    day = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
    assert not LowStockDigest(Catalog(["A"]), notices, lambda: day).send()
    assert notices.posted == {}
    digest = LowStockDigest(Catalog(["A", "B", "C"], low=("A", "C")), notices, lambda: day)
    assert digest.send()
    assert not digest.send()  # the same day: once
    (notice_id, fields), = notices.posted.items()
    assert notice_id == "low_stock_digest-2026_12_07"
    assert fields["kind"] == "low_stock_digest" and "audience" not in fields  # admins only
    assert fields["count"] == 2 and fields["more"] is False
    assert [p["part_code"] for p in fields["parts"]] == ["A", "C"]


def test_the_parts_come_a_page_at_a_time() -> None:
    catalog = Catalog(["A", "B", "C"])
    listing = PartsListing(catalog)
    first = listing.list_parts(STAFF, {"limit": 2})
    assert first == {"parts": [
        {"part_code": "A", "part_name": "name A", "units": 3, "printed": 2, "downloaded": 1,
         "used": 0, "first_qr_id": "A-x", "min_units": None, "available": 3,
         "below_minimum": False},
        {"part_code": "B", "part_name": "name B", "units": 3, "printed": 2, "downloaded": 1,
         "used": 0, "first_qr_id": "B-x", "min_units": None, "available": 3,
         "below_minimum": False}], "next": "B"}
    last = listing.list_parts(STAFF, {"limit": 2, "after": "B"})
    assert [p["part_code"] for p in last["parts"]] == ["C"] and last["next"] is None
    assert catalog.asked == [(None, 3), ("B", 3)]


def test_the_next_page_starts_after_the_last_part_shown() -> None:
    listing = PartsListing(Catalog(["A", "B", "C", "D", "E"]))
    assert listing.list_parts(STAFF, {"limit": 3})["next"] == "C"


def test_a_page_that_ends_the_list_exactly_has_no_next() -> None:
    listing = PartsListing(Catalog(["A", "B"]))
    assert listing.list_parts(STAFF, {"limit": 2})["next"] is None


def test_the_parts_default_page_and_most_per_page() -> None:
    catalog = Catalog([f"P{n:03d}" for n in range(120)])
    listing = PartsListing(catalog)
    assert len(listing.list_parts(STAFF, None)["parts"]) == 50
    assert len(listing.list_parts(STAFF, {"limit": 100})["parts"]) == 100
    with pytest.raises(InvalidInput):
        listing.list_parts(STAFF, {"limit": 101})
    assert catalog.asked == [(None, 51), (None, 101)]


def test_the_after_code_is_normalised_like_a_part_code() -> None:
    catalog = Catalog(["A"])
    PartsListing(catalog).list_parts(STAFF, {"after": " M3 "})
    assert catalog.asked == [("M3", 51)]


def test_only_staff_list_parts() -> None:
    listing = PartsListing(Catalog([]))
    with pytest.raises(PermissionDenied):
        listing.list_parts(GUEST, None)
    with pytest.raises(Unauthenticated):
        listing.list_parts(None, None)


# -- count sessions --------------------------------------------------------------------------------

class Index:
    def __init__(self, sessions: list[SessionSummary]) -> None:
        self.sessions = sessions
        self.asked: list[int] = []

    def recent(self, limit: int) -> list[SessionSummary]:
        self.asked.append(limit)
        return self.sessions[:limit]


def test_the_recent_sessions() -> None:
    at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    index = Index([SessionSummary("s2", "Raf B", "open", "alice", at, 4, None),
                   SessionSummary("s1", "Raf A", "finished", "bob", None, 2,
                                  {"found": 2})])
    listing = SessionsListing(index)
    assert listing.list_sessions(STAFF, {"limit": 50}) == {"sessions": [
        {"session_id": "s2", "name": "Raf B", "state": "open", "started_by": "alice",
         "started_at": "2026-12-01T09:00:00+00:00", "expected": 4, "totals": None},
        {"session_id": "s1", "name": "Raf A", "state": "finished", "started_by": "bob",
         "started_at": None, "expected": 2, "totals": {"found": 2}}]}
    listing.list_sessions(STAFF, None)
    assert index.asked == [50, 20]
    with pytest.raises(InvalidInput):
        listing.list_sessions(STAFF, {"limit": 51})
    with pytest.raises(PermissionDenied):
        listing.list_sessions(GUEST, None)


def test_the_digest_lists_at_most_200_parts_and_says_there_are_more() -> None:
    notices = Notices()
    day = datetime(2026, 12, 31, 7, 0, tzinfo=UTC)
    codes = [f"P{n:03d}" for n in range(201)]
    catalog = Catalog(codes, low=tuple(codes))
    assert LowStockDigest(catalog, notices, lambda: day).send()
    (notice_id, fields), = notices.posted.items()
    assert notice_id == "low_stock_digest-2026_12_31"
    assert (fields["count"], fields["more"], fields["at"]) == (200, True, day)
    assert fields["parts"][0] == {"part_code": "P000", "part_name": "name P000",
                                  "available": 3, "min_units": 5}
    assert catalog.asked == [(None, 201)]
