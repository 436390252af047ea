"""The pure budget rules: month keys, the reservation decision, alert levels, projection, cost."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from moderation.quota import (
    crossed_levels,
    decide,
    estimated_cost_usd,
    month_bounds,
    month_key,
    projection,
)
from moderation.settings import VisionSettings

LA = ZoneInfo("America/Los_Angeles")


# --- month_key --------------------------------------------------------------------------------

@pytest.mark.parametrize(("instant", "tz", "key"), [
    (datetime(2026, 12, 1, 7, 30, tzinfo=UTC), LA, "2026_11"),   # 23:30 PST on 30 Nov
    (datetime(2026, 12, 1, 8, 0, tzinfo=UTC), LA, "2026_12"),    # midnight PST
    (datetime(2026, 7, 1, 6, 59, tzinfo=UTC), LA, "2026_06"),    # PDT is UTC-7
    (datetime(2026, 7, 1, 7, 0, tzinfo=UTC), LA, "2026_07"),
    (datetime(2027, 1, 1, 7, 59, tzinfo=UTC), LA, "2026_12"),    # year boundary
    (datetime(2026, 12, 1, 7, 30, tzinfo=UTC), ZoneInfo("UTC"), "2026_12"),
    (datetime(2026, 11, 30, 23, 30, tzinfo=UTC), ZoneInfo("Asia/Tokyo"), "2026_12"),
])
def test_month_key_is_the_month_in_the_zone(instant: datetime, tz: ZoneInfo, key: str) -> None:
    assert month_key(instant, tz) == key


def test_month_key_refuses_a_naive_datetime() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        month_key(datetime(2026, 11, 1, 12, 0), LA)


# --- decide -----------------------------------------------------------------------------------

@pytest.mark.parametrize(("enabled", "limit", "usage", "units", "expected"), [
    (True, 10, 0, 1, "reserved"),
    (True, 10, 9, 1, "reserved"),     # lands exactly on the limit
    (True, 10, 10, 1, "exhausted"),
    (True, 10, 9, 2, "exhausted"),    # units, not calls
    (True, 0, 0, 1, "exhausted"),
    (True, 10, 12, 1, "exhausted"),   # limit lowered below the usage
    (False, 10, 0, 1, "disabled"),
    (False, 0, 5, 1, "disabled"),     # disabled is reported before exhausted
])
def test_decide(enabled: bool, limit: int, usage: int, units: int, expected: str) -> None:
    settings = VisionSettings(enabled=enabled, monthly_limit=limit)
    assert decide(settings, usage, units) == expected


def test_decide_refuses_negative_units() -> None:
    with pytest.raises(ValueError):
        decide(VisionSettings(), 0, -1)


# --- crossed_levels ---------------------------------------------------------------------------

@pytest.mark.parametrize(("usage", "limit", "already", "expected"), [
    (0, 1000, [], []),
    (799, 1000, [], []),
    (800, 1000, [], [80]),            # exactly 80 %
    (949, 1000, [80], []),
    (950, 1000, [80], [95]),
    (1000, 1000, [80, 95], [100]),
    (1000, 1000, [], [80, 95, 100]),  # jumped past every level at once
    (1000, 1000, [80, 95, 100], []),
    (1, 1, [95], [80, 100]),
    (5, 3, [], [80, 95, 100]),        # over the limit
    (0, 0, [], []),                   # limit 0 and nothing used: nothing to announce
    (1, 0, [], [80, 95, 100]),        # limit 0 but something used: over budget
    (1, 0, [80, 95, 100], []),
    (800, 1000, ["80", None, 80.0], [80]),  # only int entries count as announced
])
def test_crossed_levels(usage: int, limit: int, already: list, expected: list[int]) -> None:
    assert crossed_levels(usage, limit, already) == expected


# --- projection and cost ----------------------------------------------------------------------

def test_month_bounds_are_midnights_in_the_zone() -> None:
    start, end = month_bounds(datetime(2026, 11, 15, tzinfo=UTC), LA)
    assert start == datetime(2026, 11, 1, 7, 0, tzinfo=UTC)   # PDT until 1 Nov 02:00
    assert end == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)     # PST
    start, end = month_bounds(datetime(2026, 12, 20, tzinfo=UTC), LA)
    assert (start.month, end.year, end.month) == (12, 2027, 1)


def test_projection_is_linear_on_the_elapsed_fraction() -> None:
    start, end = month_bounds(datetime(2026, 11, 15, tzinfo=UTC), LA)
    halfway = start + (end - start) / 2
    assert projection(100, halfway, LA) == 200
    assert projection(0, halfway, LA) == 0
    assert projection(100, end - timedelta(microseconds=1), LA) == 100


def test_projection_is_sane_in_the_first_minutes_of_a_month() -> None:
    start, end = month_bounds(datetime(2026, 11, 15, tzinfo=UTC), LA)
    days = (end - start) / timedelta(days=1)  # 30 days and one DST hour
    first_minute = start + timedelta(minutes=1)
    # Extrapolated as if a whole day had passed, not 43,000 minutes' worth.
    assert projection(3, first_minute, LA) == round(3 * days)
    assert projection(3, first_minute, LA) < 100
    assert projection(3, start, LA) == projection(3, first_minute, LA)


def test_projection_never_falls_below_what_is_used() -> None:
    late = datetime(2026, 12, 1, 7, 59, tzinfo=UTC)
    assert projection(7, late, LA) >= 7


@pytest.mark.parametrize(("units", "free", "price", "cost"), [
    (0, 1000, 1.5, 0.0),
    (1000, 1000, 1.5, 0.0),
    (1001, 1000, 1.5, 0.0015),
    (3000, 1000, 1.5, 3.0),
    (2500, 0, 2.0, 5.0),
])
def test_estimated_cost(units: int, free: int, price: float, cost: float) -> None:
    assert estimated_cost_usd(units, free, price) == pytest.approx(cost)


@pytest.mark.parametrize(("units", "free", "price"), [(-1, 0, 1.0), (1, -1, 1.0), (1, 0, -1.0)])
def test_estimated_cost_refuses_negative_inputs(units: int, free: int, price: float) -> None:
    with pytest.raises(ValueError):
        estimated_cost_usd(units, free, price)
