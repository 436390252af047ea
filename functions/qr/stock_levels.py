"""Minimums and low-stock alerts: when to tell people a part needs ordering.

A part's stock is what is left on the shelves: `available` = units with a label minus
units marked used. It is *low* while available < min_units. The alert belongs to the
crossing, not to the state: entering low raises one alert, staying low raises none, and
coming back to the minimum or above (units added, the minimum lowered or removed) re-arms
it. The part document keeps the state (`below_minimum`) and the number of alerts raised
(`low_alerts`, which names the next alert), and every path that changes units, used units
or the minimum commits the transition in the same transaction as the change: two people
taking the last units at once raise one alert, never two and never none.

Pure functions; the adapters (infra/firestore_qr_repository.py and the fake in tests)
call them inside their transactions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from errors import InvalidInput
from messages import Msg

NOTICE_KIND = "low_stock"
DIGEST_KIND = "low_stock_digest"
# Staff read these notices as well as admins (firestore.rules, readsNotice).
NOTICE_AUDIENCE = "staff"
MAX_MIN_UNITS = 1_000_000


@dataclass(frozen=True)
class StockLevel:
    """What the part document says, as read in the transaction."""

    units: int = 0
    used: int = 0
    min_units: int | None = None
    below_minimum: bool = False
    low_alerts: int = 0  # alerts raised so far

    @property
    def available(self) -> int:
        return max(0, self.units - self.used)


@dataclass(frozen=True)
class Transition:
    """What to write with the change: the part's new state and, when it just went low, the
    alert to create (its id numbered by the part's alert count, so a commit retried after
    a lost reply cannot create a second one)."""

    fields: dict[str, Any]
    alert_number: int | None = None  # set: raise alert number N


def is_low(available: int, min_units: int | None) -> bool:
    return min_units is not None and available < min_units


def transition(before: StockLevel, after: StockLevel) -> Transition:
    """The low-stock state after a change from `before` to `after` (after's own
    below_minimum and low_alerts are ignored: they are what this decides)."""
    low = is_low(after.available, after.min_units)
    fields: dict[str, Any] = {"below_minimum": low}
    if low and not before.below_minimum:
        number = before.low_alerts + 1
        fields["low_alerts"] = number
        return Transition(fields, alert_number=number)
    return Transition(fields)


def level_of(part: dict[str, Any] | None) -> StockLevel:
    """A part document's level. A part from before minimums has none and is not low."""
    part = part or {}
    minimum = part.get("min_units")
    return StockLevel(units=_count(part.get("qr_count")), used=_count(part.get("used_count")),
                      min_units=minimum if _is_count(minimum) else None,
                      below_minimum=part.get("below_minimum") is True,
                      low_alerts=_count(part.get("low_alerts")))


def notice_id(part_code: str, number: int, nonce: str) -> str:
    """The id of a part's alert number N. The nonce (the adapter's, random) keeps it apart
    from an alert of an earlier part of the same code (clear_all_qrs removes the parts and
    their counts, not the notices); the part's count in the same commit is what makes an
    alert happen once. A part code is already a valid document id (it names parts/{code})."""
    return f"{NOTICE_KIND}-{part_code}-{number}-{nonce}"


def notice(part_code: str, part_name: str, level: StockLevel, at: datetime,
           number: int) -> dict[str, Any]:
    """The admin_notifications entry of one crossing (admins and staff read it)."""
    return {"kind": NOTICE_KIND, "audience": NOTICE_AUDIENCE, "at": at, "read": False,
            "part_code": part_code, "part_name": part_name, "available": level.available,
            "min_units": level.min_units, "alert": number}


def digest_id(day: str) -> str:
    return f"{DIGEST_KIND}-{day}"


def digest(parts: list[dict[str, Any]], at: datetime, more: bool) -> dict[str, Any]:
    """The daily list of low parts, for admins (`parts`: code, name, available, min)."""
    return {"kind": DIGEST_KIND, "at": at, "read": False,
            "count": len(parts), "more": more, "parts": parts}


def minimum_input(raw: Any) -> int | None:
    """A requested minimum: a whole number from 0 to MAX_MIN_UNITS, or None (no minimum).
    JSON has types, so "5" and 5.0 are refused rather than guessed at."""
    if raw is None:
        return None
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise InvalidInput(Msg("qr.minimum.not_whole", max_units=MAX_MIN_UNITS))
    if not 0 <= raw <= MAX_MIN_UNITS:
        raise InvalidInput(Msg("qr.minimum.out_of_range", max_units=MAX_MIN_UNITS,
                               value=raw if abs(raw) < 10**12 else "…"))
    return raw


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _count(value: Any) -> int:
    return value if _is_count(value) else 0
