"""The parts list a person reads in the console: each part with how many of its units
exist, were printed, downloaded and taken from stock. Read-only; staff."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Protocol

from identity import Caller, require_staff
from paging import page_input
from qr import ids

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


class PartsCatalog(Protocol):
    def page(self, after: str | None, limit: int) -> list[PartSummary]:
        """Up to `limit` parts ordered by part code, starting after `after`."""
        ...


class PartsListing:
    def __init__(self, catalog: PartsCatalog) -> None:
        self._catalog = catalog

    def list_parts(self, caller: Caller | None, data: Any) -> dict[str, Any]:
        require_staff(caller)
        limit, after = page_input(data, default=DEFAULT_PAGE, most=MOST_PER_PAGE)
        start = None if after is None else ids.normalize_part_code(after)
        # One more than asked tells whether a next page exists without a count query.
        rows = self._catalog.page(start, limit + 1)
        shown = rows[:limit]
        return {"parts": [asdict(row) for row in shown],
                "next": shown[-1].part_code if len(rows) > limit else None}
