"""The rules of the monthly Vision budget, free of any storage: month keys, the reservation
decision, alert levels, and the month-end projection and cost shown to admins.

The Firestore adapter (`infra/firestore_vision_ledger.py`) applies these inside its
transactions, so the same rules hold on every instance.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from moderation.settings import VisionSettings

Decision = Literal["reserved", "disabled", "exhausted"]

ALERT_LEVELS: tuple[int, ...] = (80, 95, 100)

# A projection made from the first minutes of a month would multiply a handful of calls
# by thousands; until a day has passed, extrapolate as if one day had.
MIN_PROJECTION_ELAPSED = timedelta(days=1)


def month_key(now: datetime, tz: ZoneInfo) -> str:
    """`YYYY_MM` of the month `now` falls in, as seen in `tz` (Cloud Billing uses Pacific)."""
    _require_aware(now)
    local = now.astimezone(tz)
    return f"{local.year:04d}_{local.month:02d}"


def decide(settings: VisionSettings, usage: int, units: int) -> Decision:
    """May `units` more be reserved on top of `usage`? Disabled wins over exhausted, so an
    admin who switched Vision off sees "disabled" whatever the count."""
    if units < 0:
        raise ValueError("units must not be negative")
    if not settings.enabled:
        return "disabled"
    if usage + units > settings.monthly_limit:
        return "exhausted"
    return "reserved"


def crossed_levels(usage: int, limit: int, already: Iterable[int]) -> list[int]:
    """Alert levels (percent of the limit) reached by `usage` and not announced yet.

    A limit of 0 means "no Vision at all this month": nothing is used, so nothing is worth
    announcing, until some usage exists (e.g. the limit was lowered below it) -- then the
    month is over budget and every level is reached.
    """
    announced = {level for level in already if isinstance(level, int)}
    if limit <= 0:
        reached = list(ALERT_LEVELS) if usage > 0 else []
    else:
        # Integer arithmetic: 80% of 1000 is reached at exactly 800, never by rounding.
        reached = [level for level in ALERT_LEVELS if usage * 100 >= level * limit]
    return [level for level in reached if level not in announced]


def month_bounds(now: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The start of `now`'s month and of the next one, both midnight in `tz`, as UTC."""
    _require_aware(now)
    local = now.astimezone(tz)
    start = datetime(local.year, local.month, 1, tzinfo=tz)
    nxt = datetime(local.year + local.month // 12, local.month % 12 + 1, 1, tzinfo=tz)
    return start.astimezone(UTC), nxt.astimezone(UTC)


def projection(used: int, now: datetime, tz: ZoneInfo) -> int:
    """Projected month-end usage, extrapolating linearly over the elapsed part of the month.

    Durations are measured in UTC, so a month with a DST change has its real length.
    """
    if used <= 0:
        return 0
    start, end = month_bounds(now, tz)
    elapsed = max(now.astimezone(UTC) - start, MIN_PROJECTION_ELAPSED)
    fraction = min(1.0, elapsed / (end - start))
    return max(used, round(used / fraction))


def estimated_cost_usd(units: int, free_units: int, price_per_1000: float) -> float:
    """What `units` in one month cost when the first `free_units` are free."""
    if units < 0 or free_units < 0 or price_per_1000 < 0:
        raise ValueError("units, free units and price must not be negative")
    billable = max(0, units - free_units)
    return round(billable * price_per_1000 / 1000, 4)


def _require_aware(now: datetime) -> None:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("a timezone-aware datetime is required")
