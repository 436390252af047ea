"""The inventory as a spreadsheet: every part, or every unit, one row each.

Rows are produced as the pages are read (the adapter reads a page at a time), so an
export of any size keeps memory flat; the first page is read before the reply starts, so
an unreachable database is a clean 503 rather than a file cut short. Headers are in the
caller's language and match what an upload reads back (qr/inventory_sheet.py); every text
cell goes through spreadsheet_safe. Dates are the warehouse's wall-clock time
(INVENTORY_TIMEZONE): a spreadsheet has no time zones.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any, Protocol

from errors import InvalidInput, StoreUnavailable
from identity import Caller, require_staff
from messages import Msg
from qr.inventory_sheet import PARTS_COLUMNS, UNITS_COLUMNS, Column
from qr.listing import PartSummary
from spreadsheet_safe import safe_cell

FORMATS = ("xlsx", "csv")
SCOPES = ("parts", "units")
PAGE = 1_000


@dataclass(frozen=True)
class UnitRow:
    qr_id: str
    part_code: str
    part_name: str
    print_count: int
    download_count: int
    used_at: datetime | None  # None: not used (or used before its time was kept)
    used: bool
    last_counted: datetime | None


@dataclass(frozen=True)
class FinishedCount:
    part_codes: tuple[str, ...] | None  # None: every part
    finished_at: datetime


class InventoryReader(Protocol):
    def page(self, after: str | None, limit: int, *, below_minimum: bool = False
             ) -> list[PartSummary]:
        """Parts by code (qr/listing.py's PartsCatalog)."""
        ...

    def units(self) -> Iterator[UnitRow]:
        """Every unit by qr_id, read as it is consumed (memory stays flat)."""
        ...

    def finished_counts(self) -> list[FinishedCount]: ...


@dataclass(frozen=True)
class Export:
    format: str
    scope: str
    filename: str
    header: list[str]
    rows: Iterator[list[Any]]  # cells already spreadsheet-safe


class InventoryExport:
    def __init__(self, reader: InventoryReader, clock: Callable[[], datetime],
                 zone: tzinfo) -> None:
        self._reader = reader
        self._clock = clock
        self._zone = zone

    def export(self, caller: Caller | None, fields: Mapping[str, Any], language: str
               ) -> Export:
        require_staff(caller)
        format_, scope = export_request(fields)
        columns: tuple[Column, ...]
        try:
            if scope == "parts":
                columns, rows = PARTS_COLUMNS, self._part_rows()
            else:
                columns, rows = UNITS_COLUMNS, self._unit_rows()
            first = list(itertools.islice(rows, 1))  # the first page, read now
        except StoreUnavailable as err:
            raise err.saying(Msg("qr.export.database_down")) from err
        day = self._clock().astimezone(self._zone).strftime("%Y-%m-%d")
        return Export(format_, scope, f"inventory-{scope}-{day}.{format_}",
                      [c.header(language) for c in columns],
                      itertools.chain.from_iterable((first, rows)))

    def _part_rows(self) -> Iterator[list[Any]]:
        everything, by_part = last_counted_by_part(self._reader.finished_counts())
        for part in _pages(lambda after: self._reader.page(after, PAGE),
                           lambda p: p.part_code):
            last = _latest(everything, by_part.get(part.part_code))
            yield _row(PARTS_COLUMNS, {
                "part_code": part.part_code, "part_name": part.part_name,
                "units": part.units, "available": part.available, "used": part.used,
                "printed": part.printed, "downloaded": part.downloaded,
                "min_units": part.min_units, "last_counted": self._local(last)})

    def _unit_rows(self) -> Iterator[list[Any]]:
        for unit in self._reader.units():
            yield _row(UNITS_COLUMNS, {
                "qr_id": unit.qr_id, "part_code": unit.part_code,
                "part_name": unit.part_name, "printed": unit.print_count,
                "downloaded": unit.download_count,
                "used": self._local(unit.used_at) if unit.used_at else
                ("✓" if unit.used else None),
                "last_counted": self._local(unit.last_counted)})

    def _local(self, at: datetime | None) -> datetime | None:
        """Wall-clock time in the warehouse's zone, to the second, without a zone."""
        if at is None:
            return None
        return at.astimezone(self._zone).replace(tzinfo=None, microsecond=0)


def export_request(fields: Mapping[str, Any]) -> tuple[str, str]:
    format_ = str(fields.get("format") or "xlsx").strip()
    scope = str(fields.get("scope") or "parts").strip()
    if format_ not in FORMATS:
        raise InvalidInput(Msg("qr.export.format"))
    if scope not in SCOPES:
        raise InvalidInput(Msg("qr.export.scope"))
    return format_, scope


def last_counted_by_part(counts: Iterable[FinishedCount]
                         ) -> tuple[datetime | None, dict[str, datetime]]:
    """When a part was last counted: the latest finished count that covered it (a count of
    every part covers them all)."""
    everything: datetime | None = None
    by_part: dict[str, datetime] = {}
    for count in counts:
        if count.part_codes is None:
            everything = _latest(everything, count.finished_at)
            continue
        for code in count.part_codes:
            by_part[code] = _latest(by_part.get(code), count.finished_at) or count.finished_at
    return everything, by_part


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None or b is None:
        return a or b
    return max(a, b)


def _row(columns: tuple[Column, ...], values: Mapping[str, Any]) -> list[Any]:
    return [safe_cell(values.get(c.key)) for c in columns]


def _pages(read: Callable[[str | None], list[Any]], key: Callable[[Any], str]
           ) -> Iterator[Any]:
    after: str | None = None
    while True:
        page = read(after)
        yield from page
        if len(page) < PAGE:
            return
        after = key(page[-1])
