"""The parts list a person reads in the console: each part with how many of its units
exist, were printed, downloaded and taken from stock, what is left and its minimum
(read-only; staff); and the daily digest of the parts below their minimum (admins)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Protocol

from errors import InvalidInput
from identity import Caller, require_staff
from messages import Msg
from paging import page_input
from qr import ids, stock_levels

DIGEST_PARTS = 200  # the digest lists this many low parts, and says when there are more

DEFAULT_PAGE = 50
MOST_PER_PAGE = 100


@dataclass(frozen=True)
class PartSummary:
    part_code: str
    part_name: str
    units: int        # labels made for the part
    printed: int      # units printed on a sheet at least once
    downloaded: int   # units downloaded at least once
    used: int         # units taken from stock
    first_qr_id: str | None  # a unit of the part (its first made): a label to show
    min_units: int | None = None  # its minimum (qr/stock_levels.py), None: none set
    available: int = 0  # units not taken from stock
    below_minimum: bool = False  # available < min_units


class PartsCatalog(Protocol):
    def page(self, after: str | None, limit: int, *, below_minimum: bool = False
             ) -> list[PartSummary]:
        """Up to `limit` parts ordered by part code, starting after `after`; only those
        below their minimum when asked."""
        ...


class Notices(Protocol):
    def post_once(self, notice_id: str, fields: dict[str, Any]) -> bool:
        """An admin_notifications entry with a fixed id, created once (False: it exists)."""
        ...


class PartsListing:
    def __init__(self, catalog: PartsCatalog) -> None:
        self._catalog = catalog

    def list_parts(self, caller: Caller | None, data: Any) -> dict[str, Any]:
        require_staff(caller)
        limit, after = page_input(data, default=DEFAULT_PAGE, most=MOST_PER_PAGE)
        low_only = _low_only(data)
        start = None if after is None else ids.normalize_part_code(after)
        # One more than asked tells whether a next page exists without a count query.
        rows = self._catalog.page(start, limit + 1, below_minimum=low_only)
        shown = rows[:limit]
        return {"parts": [asdict(row) for row in shown],
                "next": shown[-1].part_code if len(rows) > limit else None}



class LowStockDigest:
    """The scheduled digest: one admin notice a day listing the parts below their minimum;
    nothing when there are none."""

    def __init__(self, catalog: PartsCatalog, notices: Notices,
                 clock: Callable[[], datetime]) -> None:
        self._catalog = catalog
        self._notices = notices
        self._clock = clock

    def send(self) -> bool:
        """True when a notice was posted."""
        low = self._catalog.page(None, DIGEST_PARTS + 1, below_minimum=True)
        if not low:
            return False
        now = self._clock()
        parts = [{"part_code": p.part_code, "part_name": p.part_name,
                  "available": p.available, "min_units": p.min_units}
                 for p in low[:DIGEST_PARTS]]
        return self._notices.post_once(stock_levels.digest_id(f"{now:%Y_%m_%d}"),
                                       stock_levels.digest(parts, now,
                                                           more=len(low) > DIGEST_PARTS))


def _low_only(data: Any) -> bool:
    raw = data.get("below_minimum") if isinstance(data, dict) else None
    if raw is None or isinstance(raw, bool):
        return bool(raw)
    raise InvalidInput(Msg("listing.below_minimum_flag"))
