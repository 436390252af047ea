"""The inventory export's rows and the headers both ways (qr/inventory_export.py,
qr/inventory_sheet.py), with an in-memory reader."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from errors import InvalidInput, PermissionDenied, StoreUnavailable
from identity import Caller
from qr import inventory_export, inventory_sheet
from qr.inventory_export import FinishedCount, InventoryExport, UnitRow
from qr.listing import PartSummary

STAFF = Caller(uid="s", has_staff_claim=True)
ISTANBUL = ZoneInfo("Europe/Istanbul")
NOW = datetime(2026, 12, 7, 22, 30, tzinfo=UTC)  # already the 8th in Istanbul


def summary(code: str, **extra: Any) -> PartSummary:
    return PartSummary(code, f"name {code}", 3, 1, 0, 1, f"{code}-x", available=2, **extra)


def unit_row(qr_id: str, **extra: Any) -> UnitRow:
    fields: dict[str, Any] = {"qr_id": qr_id, "part_code": "P", "part_name": "Vida",
                              "print_count": 0, "download_count": 0, "used_at": None,
                              "used": False, "last_counted": None}
    return UnitRow(**{**fields, **extra})


class Reader:
    def __init__(self, parts: list[PartSummary] = (), units: list[UnitRow] = (),  # type: ignore[assignment]
                 counts: list[FinishedCount] = (), down: bool = False) -> None:  # type: ignore[assignment]
        self.parts, self.unit_rows, self.counts, self.down = list(parts), list(units), \
            list(counts), down
        self.reads = self.given = 0

    def page(self, after: str | None, limit: int, *, below_minimum: bool = False
             ) -> list[PartSummary]:
        self._read()
        return [p for p in self.parts if after is None or p.part_code > after][:limit]

    def units(self) -> Iterator[UnitRow]:
        self._read()
        for number, unit in enumerate(self.unit_rows, start=1):
            self.given = number
            yield unit

    def finished_counts(self) -> list[FinishedCount]:
        self._read()
        return self.counts

    def _read(self) -> None:
        self.reads += 1
        if self.down:
            raise StoreUnavailable(detail="paused")


def exporter(reader: Reader) -> InventoryExport:
    return InventoryExport(reader, lambda: NOW, ISTANBUL)


def test_parts_rows_in_the_callers_language_with_the_last_count() -> None:
    reader = Reader(parts=[summary("A", min_units=5, below_minimum=True), summary("=B")],
                    counts=[FinishedCount(None, datetime(2026, 11, 1, 9, 0, tzinfo=UTC)),
                            FinishedCount(("A",), datetime(2026, 12, 1, 9, 0, 30, 5,
                                                           tzinfo=UTC))])
    out = exporter(reader).export(STAFF, {"format": "csv", "scope": "parts"}, "tr")
    assert out.filename == "inventory-parts-2026-12-08.csv"
    assert out.header == ["Parça kodu", "Parça adı", "Adet", "Mevcut", "Kullanılan",
                          "Basılan", "İndirilen", "Asgari", "Son sayım"]
    rows = list(out.rows)
    assert rows[0] == ["A", "name A", 3, 2, 1, 1, 0, 5, datetime(2026, 12, 1, 12, 0, 30)]
    # Text that would run as a formula is written as text; the count of all parts covers it.
    assert rows[1] == ["'=B", "name =B", 3, 2, 1, 1, 0, None, datetime(2026, 11, 1, 12, 0)]


def test_units_rows_as_they_are_read() -> None:
    used = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)
    units = [unit_row(f"P-{n:04d}") for n in range(5)]
    units[1] = unit_row("P-0001", print_count=2, download_count=1, used=True, used_at=used,
                        last_counted=used)
    units[2] = unit_row("P-0002", used=True)  # used before its time was kept
    reader = Reader(units=units)
    out = exporter(reader).export(STAFF, {"format": "xlsx", "scope": "units"}, "en")
    assert reader.given == 1  # the first unit is read before the reply starts, no more
    rows = list(out.rows)
    assert out.header[0] == "QR id" and len(rows) == 5 and reader.given == 5
    assert rows[1] == ["P-0001", "P", "Vida", 2, 1, datetime(2026, 12, 2, 11, 0),
                       datetime(2026, 12, 2, 11, 0)]
    assert rows[2][5] == "✓" and rows[0][5] is None


@pytest.mark.parametrize("fields, code", [
    ({"format": "pdf"}, "qr.export.format"), ({"scope": "shelves"}, "qr.export.scope"),
    ({"format": "XLSX"}, "qr.export.format")])
def test_a_bad_format_or_scope_is_refused_before_anything_is_read(fields: dict[str, Any],
                                                                  code: str) -> None:
    reader = Reader()
    with pytest.raises(InvalidInput) as err:
        exporter(reader).export(STAFF, fields, "en")
    assert err.value.message.code == code and reader.reads == 0


def test_the_defaults_are_the_parts_as_a_workbook() -> None:
    out = exporter(Reader()).export(STAFF, {}, "en")
    assert (out.format, out.scope, list(out.rows)) == ("xlsx", "parts", [])


def test_an_unreachable_database_is_said_before_the_reply_starts() -> None:
    with pytest.raises(StoreUnavailable) as err:
        exporter(Reader(down=True)).export(STAFF, {"scope": "units"}, "en")
    assert err.value.message.code == "qr.export.database_down"


def test_staff_only() -> None:
    with pytest.raises(PermissionDenied):
        exporter(Reader()).export(Caller(uid="m"), {}, "en")


def test_every_export_header_reads_back_as_the_upload_column() -> None:
    for language in ("en", "tr"):
        read = {c.key: inventory_sheet.upload_column(c.header(language))
                for c in inventory_sheet.PARTS_COLUMNS}
        assert read == {"part_code": "part_code", "part_name": "part_name",
                        "units": "quantity", "available": "read_only", "used": "read_only",
                        "printed": "read_only", "downloaded": "read_only",
                        "min_units": "min_units", "last_counted": "read_only"}


@pytest.mark.parametrize("header, column", [
    ("PARÇA KODU", "part_code"), ("Parca_Kodu", "part_code"), ("  part  code ", "part_code"),
    ("PARÇA ADI", "part_name"), ("parça adı", "part_name"), ("Adet", "quantity"),
    ("MİKTAR", "quantity"), ("miktar", "quantity"), ("part-code", "part_code"),
    ("İNDİRİLEN", "read_only"),
    ("KULLANILAN", "read_only"), ("asgari adet", "min_units"), ("Min_Units", "min_units"),
    ("notes", None), ("", None)])
def test_headers_match_whatever_their_case_spacing_and_letters(header: str,
                                                               column: str | None) -> None:
    assert inventory_sheet.upload_column(header) == column


def test_the_parts_come_page_after_page() -> None:
    reader = Reader(parts=[summary(code) for code in "ABCDE"])
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(inventory_export, "PAGE", 2)
        rows = list(exporter(reader).export(STAFF, {"format": "csv"}, "en").rows)
    assert [r[0] for r in rows] == list("ABCDE")
    assert reader.reads == 1 + 3  # the counts, then pages of 2, 2 and 1


def test_the_last_count_of_a_part_is_the_latest_that_covered_it_in_any_order() -> None:
    def at(day: int) -> datetime:
        return datetime(2026, 11, day, tzinfo=UTC)

    everything, by_part = inventory_export.last_counted_by_part([
        FinishedCount(None, at(9)), FinishedCount(("A", "B"), at(3)),
        FinishedCount(None, at(5)), FinishedCount(("A",), at(12)),
        FinishedCount(("B",), at(1))])
    assert everything == at(9)
    assert by_part == {"A": at(12), "B": at(3)}
    assert inventory_export.last_counted_by_part([]) == (None, {})
