"""The low-stock rules (qr/stock_levels.py): one alert per crossing, re-armed on the way
back, and what counts as a minimum."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from errors import InvalidInput
from qr import stock_levels
from qr.stock_levels import StockLevel, transition

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


@pytest.mark.parametrize("units, used, minimum, low", [
    (5, 2, 3, False),  # at the minimum: not low
    (5, 3, 3, True),
    (5, 0, None, False),  # no minimum: never low
    (5, 5, 0, False),  # a minimum of 0: nothing can be below it
    (3, 7, 1, True),  # more used than made (a repair gone wrong): 0 left, not negative
])
def test_low_is_fewer_available_than_the_minimum(units: int, used: int, minimum: int | None,
                                                 low: bool) -> None:
    level = StockLevel(units=units, used=used, min_units=minimum)
    assert level.available == max(0, units - used)
    assert stock_levels.is_low(level.available, minimum) is low


def test_going_low_raises_the_next_alert() -> None:
    before = StockLevel(units=5, used=2, min_units=3, below_minimum=False, low_alerts=4)
    change = transition(before, StockLevel(units=5, used=3, min_units=3))
    assert change.alert_number == 5
    assert change.fields == {"below_minimum": True, "low_alerts": 5}


def test_staying_low_raises_nothing_and_coming_back_re_arms() -> None:
    low = StockLevel(units=5, used=3, min_units=3, below_minimum=True, low_alerts=1)
    assert transition(low, StockLevel(units=5, used=4, min_units=3)) == \
        stock_levels.Transition({"below_minimum": True})
    back = transition(low, StockLevel(units=6, used=3, min_units=3))
    assert (back.alert_number, back.fields) == (None, {"below_minimum": False})


def test_a_minimum_raised_above_what_is_left_alerts_and_removing_it_re_arms() -> None:
    before = StockLevel(units=2, used=0, min_units=None)
    assert transition(before, StockLevel(units=2, min_units=3)).alert_number == 1
    low = StockLevel(units=2, min_units=3, below_minimum=True, low_alerts=1)
    assert transition(low, StockLevel(units=2, min_units=None)).fields == {
        "below_minimum": False}


@pytest.mark.parametrize("part, level", [
    (None, StockLevel()),
    ({"qr_count": 4, "used_count": 1}, StockLevel(units=4, used=1)),  # before minimums
    ({"qr_count": 4, "min_units": 2, "below_minimum": True, "low_alerts": 3},
     StockLevel(units=4, min_units=2, below_minimum=True, low_alerts=3)),
    ({"qr_count": "4", "min_units": -1, "below_minimum": "yes", "low_alerts": True},
     StockLevel()),  # nothing the functions would write: read as absent
    ({"qr_count": 0, "used_count": 0, "min_units": 0}, StockLevel(min_units=0)),
])
def test_a_part_documents_level(part: dict[str, Any] | None, level: StockLevel) -> None:
    assert stock_levels.level_of(part) == level


def test_the_notice_of_a_crossing_is_for_staff_and_the_digest_for_admins() -> None:
    notice = stock_levels.notice("VİDA-M8", "Vida", StockLevel(units=5, used=4, min_units=3),
                                 NOW, 2)
    assert notice == {"kind": "low_stock", "audience": "staff", "at": NOW, "read": False,
                      "part_code": "VİDA-M8", "part_name": "Vida", "available": 1,
                      "min_units": 3, "alert": 2}
    assert stock_levels.notice_id("VİDA-M8", 2, "a1b2") == "low_stock-VİDA-M8-2-a1b2"
    digest = stock_levels.digest([{"part_code": "A"}], NOW, more=True)
    assert digest == {"kind": "low_stock_digest", "at": NOW, "read": False, "count": 1,
                      "more": True, "parts": [{"part_code": "A"}]}


@pytest.mark.parametrize("raw, value", [(None, None), (0, 0), (7, 7), (1_000_000, 1_000_000)])
def test_a_minimum_is_a_whole_number_or_none(raw: Any, value: int | None) -> None:
    assert stock_levels.minimum_input(raw) == value


@pytest.mark.parametrize("raw, code", [
    (-1, "qr.minimum.out_of_range"), (1_000_001, "qr.minimum.out_of_range"),
    (10**30, "qr.minimum.out_of_range"), (2.0, "qr.minimum.not_whole"),
    ("5", "qr.minimum.not_whole"), (True, "qr.minimum.not_whole"),
    ([], "qr.minimum.not_whole")])
def test_anything_else_is_refused(raw: Any, code: str) -> None:
    with pytest.raises(InvalidInput) as err:
        stock_levels.minimum_input(raw)
    assert err.value.message.code == code


@pytest.mark.parametrize("raw, text", [
    (-1, '"min_units" must be from 0 to 1000000, got -1.'),
    (10**13, '"min_units" must be from 0 to 1000000, got ….'),
    (-(10**11), '"min_units" must be from 0 to 1000000, got -100000000000.'),
    ("5", '"min_units" must be a whole number from 0 to 1000000, or null to remove the '
          'minimum.')])
def test_the_refusal_says_the_range(raw: Any, text: str) -> None:
    from messages import render

    with pytest.raises(InvalidInput) as err:
        stock_levels.minimum_input(raw)
    assert render(err.value.message, "en") == text
