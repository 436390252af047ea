"""The edges of the budget rules (moderation/quota.py), the sniffing of BMP and ICO heads
(moderation/verdict.py) and the renewal text (moderation/outcome.py): zero and one, exact
header lengths, and a server whose clock is not in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

import pytest

from moderation.outcome import renewal_text
from moderation.quota import (
    crossed_levels,
    decide,
    estimated_cost_usd,
    month_bounds,
    month_key,
    projection,
)
from moderation.settings import VisionSettings
from moderation.verdict import sniff_image_format

PACIFIC = ZoneInfo("America/Los_Angeles")


def test_reserving_nothing_is_allowed_and_less_than_nothing_is_a_bug() -> None:
    assert decide(VisionSettings(monthly_limit=5), 5, 0) == "reserved"
    assert decide(VisionSettings(monthly_limit=5), 5, 1) == "exhausted"
    with pytest.raises(ValueError, match=r"^units must not be negative$"):
        decide(VisionSettings(), 0, -1)


def test_a_limit_of_one() -> None:
    assert crossed_levels(0, 1, []) == []
    assert crossed_levels(1, 1, [80]) == [95, 100]


def test_the_month_is_told_in_utc_whatever_the_servers_zone(server_in_tokyo: None) -> None:
    start, end = month_bounds(datetime(2026, 3, 20, 12, 0, tzinfo=UTC), PACIFIC)
    assert (start, end) == (datetime(2026, 3, 1, 8, 0, tzinfo=UTC),
                            datetime(2026, 4, 1, 7, 0, tzinfo=UTC))
    assert start.tzinfo is UTC and end.tzinfo is UTC
    assert renewal_text(datetime(2026, 3, 1, 8, 0, tzinfo=UTC)) == "2026-03-01 08:00 UTC"


class NoOffset(tzinfo):
    """A zone that does not know its offset: not aware, for the rules."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None


def test_a_time_without_an_offset_is_refused() -> None:
    for now in (datetime(2026, 3, 1), datetime(2026, 3, 1, tzinfo=NoOffset())):
        with pytest.raises(ValueError, match=r"^a timezone-aware datetime is required$"):
            month_key(now, PACIFIC)


def test_a_single_call_is_projected() -> None:
    now = datetime(2026, 3, 16, 19, 0, tzinfo=UTC)  # mid-month in Los Angeles
    assert projection(0, now, PACIFIC) == 0
    assert projection(1, now, PACIFIC) == 2


def test_a_free_price_and_a_fraction_of_a_cent() -> None:
    assert estimated_cost_usd(5000, 0, 0) == 0
    assert estimated_cost_usd(3, 0, 0.15) == 0.0004  # rounded to 4 places
    assert estimated_cost_usd(2000, 1000, 0.5) == 0.5
    for args in ((-1, 0, 1.5), (1, -1, 1.5), (1, 0, -0.01)):
        with pytest.raises(ValueError,
                           match=r"^units, free units and price must not be negative$"):
            estimated_cost_usd(*args)


def bmp(size: int, length: int = 18, magic: bytes = b"BM") -> bytes:
    return (magic + b"\x00" * 12 + size.to_bytes(4, "little")).ljust(length, b"\x00")


def test_bmp_heads() -> None:
    assert sniff_image_format(bmp(40)) == "bmp"  # exactly the 18 bytes needed
    assert sniff_image_format(bmp(40)[:17]) is None
    assert sniff_image_format(bmp(40, magic=b"XM")) is None
    assert sniff_image_format(bmp(41)) is None


def test_ico_heads() -> None:
    assert sniff_image_format(b"\x00\x00\x01\x00\x01\x00") == "ico"  # exactly 6 bytes
    assert sniff_image_format(b"\x00\x00\x01\x00\x00\x01") == "ico"  # 256 images
    assert sniff_image_format(b"\x00\x00\x01\x00\x01") is None
    assert sniff_image_format(b"\x00\x00\x01\x00\x00\x00\x05") is None  # no image
    assert sniff_image_format(b"\x00\x00\x02\x00\x01\x00") is None  # a cursor


def test_a_heic_head_of_exactly_twelve_bytes() -> None:
    assert sniff_image_format(b"\x00\x00\x00\x18ftypheic") == "heic"
    assert sniff_image_format(b"\x00\x00\x00\x18ftyphei") is None
