"""The parts-list import on real files: workbooks written by openpyxl, CSV as Excel writes
it, zip bombs and damaged archives built here, and JSON bodies as a client sends them."""

from __future__ import annotations

import io
import json
import tracemalloc
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import openpyxl
import pytest

from errors import InvalidInput, PayloadTooLarge
from qr import parts_import
from qr.parts_import import (
    FORMAT_MESSAGE,
    MAX_FILE_BYTES,
    MAX_QUANTITY_PER_ROW,
    MAX_REPORTED_ERRORS,
    MAX_ROWS,
    MAX_UNITS_PER_UPLOAD,
    MAX_ZIP_MEMBERS,
    NO_ROWS_MESSAGE,
    RATIO_CHECKED_FROM_BYTES,
    PartRow,
    RowError,
    parse_parts_json,
    parse_parts_upload,
)
from tests.support.zips import declare_size

HEADER = ("part_code", "part_name", "quantity")
EXPECTED = ("expected part_code, part_name, quantity and optionally min_units (or an "
            "inventory export's columns)")
TURKISH = "Çelik vida ğüşıöİ"
MB = 1024 * 1024


# --- builders ----------------------------------------------------------------------------


def xlsx(rows: Iterable[Sequence[object]], *, extra_sheet_first: bool = False) -> bytes:
    """A real workbook; rows[0] goes to spreadsheet row 1."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(list(row))
    if extra_sheet_first:
        # The data sheet stays first; the active (selected) sheet is another one.
        other = workbook.create_sheet("Notes")
        other.append(["not", "the", "parts"])
        workbook.active = 1
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_text(lines: Iterable[str], *, delimiter: str = ",", bom: bool = False,
             encoding: str = "utf-8") -> bytes:
    text = "\r\n".join(lines).replace(",", delimiter) + "\r\n"
    return ("\ufeff" if bom else "").encode(encoding) + text.encode(encoding)


def rezip(content: bytes, *, add: dict[str, bytes | int] | None = None,
          replace: dict[str, bytes] | None = None) -> bytes:
    """Copy a zip, replacing members' bytes and adding members. An int adds that many zero
    bytes, streamed, so a 100 MB member never sits in memory."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = (replace or {}).get(info.filename, source.read(info.filename))
            target.writestr(info.filename, data)
        for name, data in (add or {}).items():
            if isinstance(data, int):
                with target.open(name, "w") as member:
                    chunk = bytes(MB)
                    for _ in range(data // MB):
                        member.write(chunk)
                    member.write(bytes(data % MB))
            else:
                target.writestr(name, data)
    return out.getvalue()


def refused(call: Callable[[], object]) -> tuple[str, list[dict[str, Any]], Any]:
    """Run a parse that must fail; return its message, row errors and details."""
    with pytest.raises(InvalidInput) as caught:
        call()
    details = caught.value.details
    json.dumps(details)  # whatever reaches the caller must be JSON-safe
    errors = details.get("errors", []) if isinstance(details, dict) else []
    return caught.value.message, errors, details


def reasons(errors: list[dict[str, Any]]) -> list[tuple[int, str | None, str]]:
    return [(e["row"], e["column"], e["reason"]) for e in errors]


GOOD_ROWS = [HEADER, ("A-1", "Bolt M8", 3), ("B.2", TURKISH, 1)]
GOOD_PARSED = [PartRow(2, "A-1", "Bolt M8", 3), PartRow(3, "B.2", TURKISH, 1)]


# --- CSV -----------------------------------------------------------------------------------


def test_csv_with_comma() -> None:
    content = csv_text(["part_code,part_name,quantity", "A-1,Bolt M8,3", f"B.2,{TURKISH},1"])
    assert parse_parts_upload("parts.csv", content) == GOOD_PARSED


def test_csv_from_turkish_excel_bom_and_semicolons() -> None:
    content = csv_text(["part_code,part_name,quantity", "A-1,Bolt M8,3", f"B.2,{TURKISH},1"],
                       delimiter=";", bom=True)
    assert content.startswith(b"\xef\xbb\xbfpart_code;")
    rows = parse_parts_upload("Parçalar.csv", content)
    assert rows == GOOD_PARSED
    assert rows[1].part_name.encode() == TURKISH.encode()  # byte for byte, no BOM residue


def test_semicolon_csv_keeps_commas_inside_names() -> None:
    content = "part_code;part_name;quantity\nA1;Vida, çelik, M8;2\n".encode()
    assert parse_parts_upload("p.csv", content) == [PartRow(2, "A1", "Vida, çelik, M8", 2)]


def test_part_names_are_nfc_normalised_and_trimmed() -> None:
    decomposed = unicodedata.normalize("NFD", TURKISH)
    assert decomposed != TURKISH
    content = f"part_code,part_name,quantity\nA1,  {decomposed}\t,2\n".encode()
    assert parse_parts_upload("p.csv", content)[0].part_name == TURKISH


def test_header_in_any_order_any_case_padded() -> None:
    content = b" Quantity ,PART_CODE,  Part_Name\n5,X9,Nut\n"
    assert parse_parts_upload("p.csv", content) == [PartRow(2, "X9", "Nut", 5)]


def test_quoted_fields_with_line_breaks_count_as_one_spreadsheet_row() -> None:
    content = b'part_code,part_name,quantity\nA1,"Nut, M8",1\nA2,"two\nlines",1\nA3,x,0\n'
    _, errors, _ = refused(lambda: parse_parts_upload("p.csv", content))
    # Row 3 spans two physical lines; A3 is the 4th spreadsheet row, not the 5th line.
    assert (3, "part_name", "part_name may not contain control characters such as line "
            "breaks or tabs") in reasons(errors)
    assert (4, "quantity", "quantity must be a whole number from 1 to 10000, got '0'") \
        in reasons(errors)


def test_csv_quantity_accepts_digit_strings_only() -> None:
    content = b"part_code,part_name,quantity\nA1,x, 7 \nA2,x,007\nA3,x,10000\n"
    assert [r.quantity for r in parse_parts_upload("p.csv", content)] == [7, 7, 10000]


@pytest.mark.parametrize(("cell", "reason"), [
    ("0", "quantity must be a whole number from 1 to 10000, got '0'"),
    ("-3", "quantity must be a whole number from 1 to 10000, got '-3'"),
    ("10001", "quantity must be a whole number from 1 to 10000, got '10001'"),
    ("3.5", "quantity must be a whole number from 1 to 10000, got '3.5'"),
    ("3.0", "got '3.0'"),
    ("1.000", "got '1.000'"),  # one thousand to a Turkish reader; refused, not guessed
    ("1,000", "got '1,000'"),
    ("abc", "got 'abc'"),
    ("+5", "got '+5'"),
    ("1_000", "got '1_000'"),
    ("５", "got '５'"),  # full-width digit: int() would take it
    ("9" * 5000, "got '" + "9" * 40 + "…'"),
    ("", "quantity is required"),
    ("   ", "quantity is required"),
])
def test_csv_quantity_problems(cell: str, reason: str) -> None:
    content = f'part_code;part_name;quantity\nA1;Nut;"{cell}"\n'.encode()
    _, errors, _ = refused(lambda: parse_parts_upload("p.csv", content))
    assert len(errors) == 1
    assert errors[0]["row"] == 2
    assert errors[0]["column"] == "quantity"
    assert reason in errors[0]["reason"]


def test_non_utf8_csv_is_refused_with_how_to_fix() -> None:
    content = csv_text(["part_code,part_name,quantity", f"A1,{TURKISH},1"],
                       encoding="cp1254")
    message, _, _ = refused(lambda: parse_parts_upload("p.csv", content))
    assert "Save the CSV as UTF-8" in message


def test_utf16_csv_is_refused_with_how_to_fix() -> None:
    content = "part_code\tpart_name\tquantity\nA1\tx\t1\n".encode("utf-16")
    message, _, _ = refused(lambda: parse_parts_upload("p.csv", content))
    assert "UTF-16" in message
    assert "Save the CSV as UTF-8" in message


def test_malformed_quotes_are_refused_not_garbled() -> None:
    content = b'part_code,part_name,quantity\nA1,"Nut" M8,1\n'
    message, _, _ = refused(lambda: parse_parts_upload("p.csv", content))
    assert message.startswith("The CSV could not be read near line 2")


def test_a_field_over_the_csv_field_limit_is_refused() -> None:
    content = b"part_code,part_name,quantity\nA1," + b"x" * 200_000 + b",1\n"
    message, _, _ = refused(lambda: parse_parts_upload("p.csv", content))
    assert "could not be read" in message


def test_nul_bytes_mean_not_a_csv() -> None:
    content = b"part_code,part_name,quantity\nA1,x\x00,1\n"
    message, _, _ = refused(lambda: parse_parts_upload("p.csv", content))
    assert message == FORMAT_MESSAGE


# --- header and empty files (both formats) -------------------------------------------------


def both_formats(rows: list[Sequence[object]]) -> list[tuple[str, bytes]]:
    lines = [",".join("" if v is None else str(v) for v in row) for row in rows]
    return [("p.xlsx", xlsx(rows)), ("p.csv", csv_text(lines))]


@pytest.mark.parametrize("fmt", [0, 1], ids=["xlsx", "csv"])
@pytest.mark.parametrize(("header", "message"), [
    (("part_code", "part_name"), "Missing column(s): quantity"),
    (("part_code", "part_name", "quantity", "notes"),
     "Unexpected column(s): notes; " + EXPECTED),
    (("part_code", "part_name", "qty"),
     "Missing column(s): quantity. Unexpected column(s): qty; " + EXPECTED),
    (("part_code", "part_code", "part_name", "quantity"), "Duplicate column(s): part_code"),
    (("A1", "Nut", 3), "The first row must be the header with the columns part_code, "
                       "part_name, quantity; found A1, Nut, 3"),
])
def test_header_problems(fmt: int, header: tuple[object, ...], message: str) -> None:
    name, content = both_formats([header, ("B1", "Washer", 1)])[fmt]
    got, errors, _ = refused(lambda: parse_parts_upload(name, content))
    assert got == message
    assert errors == [{"row": 1, "column": None, "reason": message}] or len(errors) > 1
    assert all(e["row"] == 1 for e in errors)


@pytest.mark.parametrize("fmt", [0, 1], ids=["xlsx", "csv"])
def test_header_only_has_no_rows(fmt: int) -> None:
    name, content = both_formats([HEADER])[fmt]
    assert refused(lambda: parse_parts_upload(name, content))[0] == NO_ROWS_MESSAGE


@pytest.mark.parametrize("fmt", [0, 1], ids=["xlsx", "csv"])
def test_header_and_blank_rows_only_has_no_rows(fmt: int) -> None:
    name, content = both_formats([HEADER, (None, None, None), ("", " ", "")])[fmt]
    assert refused(lambda: parse_parts_upload(name, content))[0] == NO_ROWS_MESSAGE


@pytest.mark.parametrize(("name", "content"), [
    ("p.csv", b""), (None, b""), ("p.csv", b"\xef\xbb\xbf"), ("p.csv", b"\r\n\r\n  \n"),
    ("p.csv", b";;\n;;\n"), ("p.csv", b",,\r\n,,\r\n"),
    ("p.xlsx", b""), ("p.xlsx", xlsx([])),
])
def test_empty_files_have_no_rows(name: str | None, content: bytes) -> None:
    assert refused(lambda: parse_parts_upload(name, content))[0] == NO_ROWS_MESSAGE


@pytest.mark.parametrize("fmt", [0, 1], ids=["xlsx", "csv"])
def test_blank_rows_are_skipped_but_keep_row_numbers(fmt: int) -> None:
    rows = [HEADER, ("A1", "Nut", 1), (None, None, None), ("A2", "Bolt", 2),
            (None, None, None), (None, None, None)]
    name, content = both_formats(rows)[fmt]
    assert parse_parts_upload(name, content) == [PartRow(2, "A1", "Nut", 1),
                                                 PartRow(4, "A2", "Bolt", 2)]


@pytest.mark.parametrize("fmt", [0, 1], ids=["xlsx", "csv"])
def test_partly_empty_rows_are_reported_not_skipped(fmt: int) -> None:
    rows = [HEADER, ("A1", None, None), (None, "Bolt", None), (None, None, 4)]
    name, content = both_formats(rows)[fmt]
    message, errors, _ = refused(lambda: parse_parts_upload(name, content))
    assert message == "3 rows have problems; nothing was imported"
    assert reasons(errors) == [
        (2, "part_name", "part_name is required"),
        (2, "quantity", "quantity is required"),
        (3, "part_code", "part_code is required"),
        (3, "quantity", "quantity is required"),
        (4, "part_code", "part_code is required"),
        (4, "part_name", "part_name is required"),
    ]


def test_trailing_blank_header_cells_are_fine_but_values_under_them_are_not() -> None:
    content = b"part_code,part_name,quantity,,\nA1,Nut,1,,\nA2,Bolt,2,,stray\n"
    _, errors, _ = refused(lambda: parse_parts_upload("p.csv", content))
    assert reasons(errors) == [(3, None, "cell E3 has a value but its column has no header; "
                                         + EXPECTED)]


def test_header_below_blank_rows_keeps_spreadsheet_row_numbers() -> None:
    content = xlsx([(None,), (None,), HEADER, ("A1", "Nut", 1)])
    assert parse_parts_upload("p.xlsx", content) == [PartRow(4, "A1", "Nut", 1)]


# --- row rules -----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", [0, 1], ids=["xlsx", "csv"])
def test_every_problem_is_reported_at_once(fmt: int) -> None:
    rows = [HEADER, ("A 1", "Nut", 1), ("A2", "x" * 201, 1), ("A3", "Bolt", -3),
            ("OK1", "Fine", 2), ("A..4", "", "lots")]
    name, content = both_formats(rows)[fmt]
    message, errors, details = refused(lambda: parse_parts_upload(name, content))
    assert message == "4 rows have problems; nothing was imported"
    assert details["error_count"] == len(errors)
    assert reasons(errors) == [
        (2, "part_code", "part_code 'A 1' may only contain letters and digits (of any "
                         "script), '.', '_' and '-'; a space is not allowed"),
        (3, "part_name", "part_name may be at most 200 characters, got 201"),
        (4, "quantity", "quantity must be a whole number from 1 to 10000, got '-3'"),
        (6, "part_code", "part_code 'A..4' may not contain '..'"),
        (6, "part_name", "part_name is required"),
        (6, "quantity", "quantity must be a whole number from 1 to 10000, got 'lots'"),
    ]


def test_one_bad_row_says_row_singular() -> None:
    content = b"part_code,part_name,quantity\nA1,Nut,0\nA2,Nut,1\n"
    assert refused(lambda: parse_parts_upload("p.csv", content))[0] == \
        "1 row has problems; nothing was imported"


def test_part_name_of_200_characters_is_fine() -> None:
    content = f"part_code,part_name,quantity\nA1,{'ş' * 200},1\n".encode()
    assert parse_parts_upload("p.csv", content)[0].part_name == "ş" * 200


def test_part_name_with_a_tab_is_refused() -> None:
    content = b'part_code,part_name,quantity\nA1,"a\tb",1\n'
    _, errors, _ = refused(lambda: parse_parts_upload("p.csv", content))
    assert errors[0]["column"] == "part_name"


def test_the_same_part_code_twice_is_reported_on_the_later_row() -> None:
    content = b"part_code,part_name,quantity\nA1,Nut,1\nB1,Bolt,1\n  A1 ,Nut again,2\nA1,x,3\n"
    _, errors, _ = refused(lambda: parse_parts_upload("p.csv", content))
    assert reasons(errors) == [(4, "part_code", "part_code A1 already on row 2"),
                               (5, "part_code", "part_code A1 already on row 2")]


def test_numeric_and_text_forms_of_one_code_are_duplicates_in_a_workbook() -> None:
    content = xlsx([HEADER, (12345, "Nut", 1), ("12345", "Nut", 1), (12345.0, "Nut", 1)])
    _, errors, _ = refused(lambda: parse_parts_upload("p.xlsx", content))
    assert reasons(errors) == [(3, "part_code", "part_code 12345 already on row 2"),
                               (4, "part_code", "part_code 12345 already on row 2")]


def test_part_codes_differing_in_case_are_different_parts() -> None:
    content = b"part_code,part_name,quantity\nab1,Nut,1\nAB1,Nut,1\n"
    assert [r.part_code for r in parse_parts_upload("p.csv", content)] == ["ab1", "AB1"]


def test_units_over_the_upload_limit_are_refused() -> None:
    per_row = MAX_QUANTITY_PER_ROW
    lines = ["part_code,part_name,quantity"]
    lines += [f"P{i},Nut,{per_row}" for i in range(MAX_UNITS_PER_UPLOAD // per_row + 1)]
    message, errors, details = refused(lambda: parse_parts_upload("p.csv", csv_text(lines)))
    assert message == (f"The list asks for {MAX_UNITS_PER_UPLOAD + per_row} units; at most "
                       f"{MAX_UNITS_PER_UPLOAD} can be imported at once, so split it; nothing "
                       "was imported")
    assert errors == []
    assert details["total_units"] == MAX_UNITS_PER_UPLOAD + per_row


def test_units_exactly_at_the_limit_are_fine() -> None:
    per_row = MAX_QUANTITY_PER_ROW
    lines = ["part_code,part_name,quantity"]
    lines += [f"P{i},Nut,{per_row}" for i in range(MAX_UNITS_PER_UPLOAD // per_row)]
    rows = parse_parts_upload("p.csv", csv_text(lines))
    assert sum(r.quantity for r in rows) == MAX_UNITS_PER_UPLOAD


def test_units_over_the_limit_and_bad_rows_are_reported_together() -> None:
    lines = ["part_code,part_name,quantity"] + [f"P{i},Nut,10000" for i in range(6)]
    lines.append("bad code,Nut,1")
    message, errors, _ = refused(lambda: parse_parts_upload("p.csv", csv_text(lines)))
    assert message.startswith("The list asks for 60001 units")
    assert "1 row has problems" in message
    assert errors[0]["row"] == 8


def test_rows_over_the_limit_are_refused() -> None:
    lines = ["part_code,part_name,quantity"] + [f"P{i},Nut,1" for i in range(MAX_ROWS + 1)]
    message, _, _ = refused(lambda: parse_parts_upload("p.csv", csv_text(lines)))
    assert message == f"The parts list has more than {MAX_ROWS} rows; split it into smaller lists"


def test_rows_exactly_at_the_limit_are_fine() -> None:
    lines = ["part_code,part_name,quantity"] + [f"P{i},Nut,1" for i in range(MAX_ROWS)]
    rows = parse_parts_upload("p.csv", csv_text(lines))
    assert len(rows) == MAX_ROWS
    assert rows[-1] == PartRow(MAX_ROWS + 1, f"P{MAX_ROWS - 1}", "Nut", 1)


def test_a_flood_of_bad_rows_is_counted_but_the_reply_stays_small() -> None:
    lines = ["part_code,part_name,quantity"] + [f"P{i},Nut,0" for i in range(1500)]
    message, errors, details = refused(lambda: parse_parts_upload("p.csv", csv_text(lines)))
    assert message == "1500 rows have problems; nothing was imported"
    assert len(errors) == MAX_REPORTED_ERRORS
    assert details["error_count"] == 1500


# --- xlsx cells ----------------------------------------------------------------------------


def test_xlsx_round_trip_with_turkish_names() -> None:
    assert parse_parts_upload("parts.xlsx", xlsx(GOOD_ROWS)) == GOOD_PARSED


def test_numeric_part_codes_from_excel_become_integer_text() -> None:
    content = xlsx([HEADER, (12345, "Nut", 1), (67890.0, "Bolt", 2.0), (1e14, "Big", 3)])
    rows = parse_parts_upload("p.xlsx", content)
    assert [r.part_code for r in rows] == ["12345", "67890", "100000000000000"]
    assert [r.quantity for r in rows] == [1, 2, 3]
    assert all(type(r.quantity) is int for r in rows)


def test_numeric_part_names_are_text() -> None:
    content = xlsx([HEADER, ("A1", 4711, 1), ("A2", 2.5, 1), ("A3", 8.0, 1)])
    assert [r.part_name for r in parse_parts_upload("p.xlsx", content)] == ["4711", "2.5", "8"]


@pytest.mark.parametrize(("cell", "reason"), [
    (3.5, "quantity must be a whole number from 1 to 10000, got '3.5'"),
    (0, "got '0'"),
    (-3, "got '-3'"),
    (10001, "got '10001'"),
    (True, "got 'True'"),  # Excel's TRUE is not a quantity
    ("lots", "got 'lots'"),
    ("3", None),  # a number typed into a text-formatted cell is still a number
])
def test_xlsx_quantity_cells(cell: object, reason: str | None) -> None:
    content = xlsx([HEADER, ("A1", "Nut", cell)])
    if reason is None:
        assert parse_parts_upload("p.xlsx", content) == [PartRow(2, "A1", "Nut", int(cell))]
        return
    _, errors, _ = refused(lambda: parse_parts_upload("p.xlsx", content))
    assert [(e["row"], e["column"]) for e in errors] == [(2, "quantity")]
    assert reason in errors[0]["reason"]


def test_xlsx_formula_without_a_cached_value_is_not_a_quantity() -> None:
    _, errors, _ = refused(lambda: parse_parts_upload("p.xlsx", xlsx([HEADER, ("A1", "Nut",
                                                                               "=2+3")])))
    assert reasons(errors) == [(2, "quantity", "quantity is required")]


def test_xlsx_dates_and_decimal_codes_are_refused() -> None:
    from datetime import datetime

    content = xlsx([HEADER, (12.5, "Nut", 1), ("A2", datetime(2024, 1, 1), 1),
                    ("A3", "Nut", datetime(2024, 1, 1))])
    _, errors, _ = refused(lambda: parse_parts_upload("p.xlsx", content))
    assert [(e["row"], e["column"]) for e in errors] == [(2, "part_code"), (3, "part_name"),
                                                        (4, "quantity")]
    assert "format the part_code column as text" in errors[0]["reason"]


def test_the_first_sheet_is_read_even_when_another_is_selected() -> None:
    content = xlsx(GOOD_ROWS, extra_sheet_first=True)
    assert parse_parts_upload("p.xlsx", content) == GOOD_PARSED


def test_rows_beyond_a_wrong_dimension_are_still_read() -> None:
    content = xlsx(GOOD_ROWS)
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        sheet = archive.read("xl/worksheets/sheet1.xml")
    assert b'<dimension ref="A1:C3"' in sheet
    lying = rezip(content, replace={
        "xl/worksheets/sheet1.xml": sheet.replace(b'ref="A1:C3"', b'ref="A1:C1"')})
    assert parse_parts_upload("p.xlsx", lying) == GOOD_PARSED


def test_a_workbook_of_max_rows_passes_the_zip_guard() -> None:
    rows = [HEADER] + [(f"P{i:05d}", TURKISH, 1) for i in range(MAX_ROWS)]
    parsed = parse_parts_upload("big.xlsx", xlsx(rows))
    assert len(parsed) == MAX_ROWS
    assert parsed[-1].row == MAX_ROWS + 1


def test_a_workbook_over_max_rows_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # The limit is lowered so the test does not spend seconds writing 20,001 rows; the
    # real limit is exercised above and by the CSV tests.
    monkeypatch.setattr(parts_import, "MAX_ROWS", 5)
    rows = [HEADER] + [(f"P{i}", "Nut", 1) for i in range(6)]
    message, _, _ = refused(lambda: parse_parts_upload("big.xlsx", xlsx(rows)))
    assert message == "The parts list has more than 5 rows; split it into smaller lists"
    assert len(parse_parts_upload("ok.xlsx", xlsx(rows[:6]))) == 5


# --- what kind of file ---------------------------------------------------------------------


PDF = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(20)
XLS = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500)
CSV = b"part_code,part_name,quantity\nA1,Nut,1\n"


@pytest.mark.parametrize(("name", "content"), [
    ("scan.pdf", PDF),
    ("parts.csv", PDF),  # renamed, still a PDF
    (None, PDF),
    ("photo.png", PNG),
    (None, PNG),
    ("parts.csv", PNG),
    ("old.xls", XLS),
    ("old.xls", CSV),
    ("notes.txt", b"Remember to order more bolts.\n"),
    ("parts.txt", CSV),
    ("parts.xlsm", xlsx(GOOD_ROWS)),
    ("parts.docx", rezip(xlsx(GOOD_ROWS))),
])
def test_other_kinds_of_file_are_refused(name: str | None, content: bytes) -> None:
    assert refused(lambda: parse_parts_upload(name, content))[0] == FORMAT_MESSAGE


def test_a_text_file_named_xlsx_is_refused() -> None:
    message, _, _ = refused(lambda: parse_parts_upload("parts.xlsx", CSV))
    assert message == f"The file is named .xlsx but is not an Excel workbook. {FORMAT_MESSAGE}"


def test_an_old_xls_or_encrypted_workbook_named_xlsx_is_explained() -> None:
    message, _, _ = refused(lambda: parse_parts_upload("parts.xlsx", XLS))
    assert "password-protected" in message
    assert message.endswith(FORMAT_MESSAGE)


def test_a_workbook_named_csv_is_refused() -> None:
    message, _, _ = refused(lambda: parse_parts_upload("parts.csv", xlsx(GOOD_ROWS)))
    assert message == f"The file is named .csv but is not a CSV file. {FORMAT_MESSAGE}"


def test_a_zip_that_is_not_a_workbook_is_refused() -> None:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    message, _, _ = refused(lambda: parse_parts_upload("parts.xlsx", archive.getvalue()))
    assert message == f"The file is a zip archive but not an Excel workbook. {FORMAT_MESSAGE}"


@pytest.mark.parametrize("name", [None, "", "PARTS.XLSX", "C:\\Users\\ayşe\\parçalar.xlsx"])
def test_a_workbook_is_recognised_by_its_content(name: str | None) -> None:
    assert parse_parts_upload(name, xlsx(GOOD_ROWS)) == GOOD_PARSED


@pytest.mark.parametrize("name", [None, "PARTS.CSV"])
def test_a_csv_is_recognised_by_its_content(name: str | None) -> None:
    assert parse_parts_upload(name, CSV) == [PartRow(2, "A1", "Nut", 1)]


def test_a_file_over_10_mb_is_too_large() -> None:
    content = CSV + b" " * (MAX_FILE_BYTES + 1 - len(CSV))
    with pytest.raises(PayloadTooLarge) as caught:
        parse_parts_upload("p.csv", content)
    assert caught.value.message == "The file is 10.1 MB; the limit is 10 MB"


def test_a_file_of_exactly_10_mb_is_read() -> None:
    padding = (b" " * 999 + b"\n") * ((MAX_FILE_BYTES - len(CSV)) // 1000)
    content = CSV + padding
    content += b" " * (MAX_FILE_BYTES - len(content))
    assert len(content) == MAX_FILE_BYTES
    assert parse_parts_upload("p.csv", content) == [PartRow(2, "A1", "Nut", 1)]


# --- damaged workbooks and zip bombs -------------------------------------------------------


def test_a_truncated_workbook_is_refused_as_damaged() -> None:
    content = xlsx(GOOD_ROWS)
    message, _, _ = refused(lambda: parse_parts_upload("p.xlsx", content[:len(content) // 2]))
    assert message.startswith("The .xlsx file is damaged (it is not a valid zip archive)")


@pytest.mark.parametrize(("member", "data"), [
    ("xl/workbook.xml", b"this is not xml"),
    ("xl/worksheets/sheet1.xml", b"<worksheet><sheetData><row r='1'><c"),
    ("xl/_rels/workbook.xml.rels", b"<Relationships/>"),
    ("[Content_Types].xml", b"\x00\x01"),
])
def test_a_workbook_with_a_damaged_part_is_refused_as_damaged(member: str, data: bytes) -> None:
    content = rezip(xlsx(GOOD_ROWS), replace={member: data})
    message, _, _ = refused(lambda: parse_parts_upload("p.xlsx", content))
    assert message.startswith("The .xlsx file could not be read; it may be damaged")


def test_a_small_member_compressed_hard_is_fine() -> None:
    content = rezip(xlsx(GOOD_ROWS), add={"xl/media/blank.bin": RATIO_CHECKED_FROM_BYTES})
    assert parse_parts_upload("p.xlsx", content) == GOOD_PARSED


def test_a_big_member_compressed_over_100_to_1_is_refused() -> None:
    content = rezip(xlsx(GOOD_ROWS), add={"xl/media/zeros.bin": 2 * MB})
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        info = archive.getinfo("xl/media/zeros.bin")
    assert info.file_size / info.compress_size > 100
    message, _, _ = refused(lambda: parse_parts_upload("p.xlsx", content))
    assert "compressed more than 100:1" in message


@pytest.fixture(scope="module")
def zeros_100_mb() -> bytes:
    """A zip of one 100 MB member of zeros: about 100 KB on the wire."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z, \
            z.open("xl/workbook.xml", "w") as member:
        chunk = bytes(MB)
        for _ in range(100):
            member.write(chunk)
    return archive.getvalue()


def test_a_zip_with_a_100_mb_member_of_zeros_is_refused(zeros_100_mb: bytes) -> None:
    assert len(zeros_100_mb) < MB
    message, _, _ = refused(lambda: parse_parts_upload("bomb.xlsx", zeros_100_mb))
    assert message.startswith("The .xlsx file unpacks to 100 MB; the limit is 50 MB")


def test_a_valid_workbook_carrying_a_bomb_is_refused() -> None:
    content = rezip(xlsx(GOOD_ROWS), add={"xl/media/image1.png": 60 * MB})
    assert len(content) < MB
    message, _, _ = refused(lambda: parse_parts_upload("p.xlsx", content))
    assert message.startswith("The .xlsx file unpacks to 60 MB; the limit is 50 MB")


def test_many_small_members_under_the_size_limit_are_refused_by_count() -> None:
    content = rezip(xlsx(GOOD_ROWS),
                    add={f"xl/media/m{i}.bin": b"" for i in range(MAX_ZIP_MEMBERS)})
    message, _, _ = refused(lambda: parse_parts_upload("p.xlsx", content))
    assert message == (f"The .xlsx file has {MAX_ZIP_MEMBERS + 9} parts inside; a workbook "
                       f"with more than {MAX_ZIP_MEMBERS} is refused")


def test_a_flood_of_members_is_refused_before_zipfile_lists_them() -> None:
    # 20,000 empty members: listing them would cost zipfile ~11 MB and a noticeable pause.
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as z:
        for i in range(20_000):
            z.writestr(f"m{i}", b"")
    content = archive.getvalue()
    tracemalloc.start()
    try:
        message, _, _ = refused(lambda: parse_parts_upload("p.xlsx", content))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert message.startswith("The .xlsx file has 20000 parts inside")
    assert peak < MB


def test_a_member_that_lies_about_its_size_is_never_inflated() -> None:
    # The sheet really holds 64 MB but the directory says 2 KB: the guard sees nothing
    # wrong, so the read itself must stop at the declared size and fail the CRC check.
    sheet = (b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             b"<sheetData>" + b" " * (64 * MB))
    content = declare_size(rezip(xlsx(GOOD_ROWS), replace={"xl/worksheets/sheet1.xml": sheet}),
                           "xl/worksheets/sheet1.xml", 2048)
    assert len(content) < MB
    tracemalloc.start()
    try:
        message, _, _ = refused(lambda: parse_parts_upload("p.xlsx", content))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert message.startswith("The .xlsx file could not be read; it may be damaged")
    assert peak < 20 * MB


# --- JSON --------------------------------------------------------------------------------


def part(code: object = "A1", name: object = "Nut", quantity: object = 1) -> dict[str, object]:
    return {"part_code": code, "part_name": name, "quantity": quantity}


def test_json_rows_are_numbered_from_one() -> None:
    body = {"parts": [part("A-1", "Bolt M8", 3), part("B.2", TURKISH, 1)]}
    assert parse_parts_json(body) == [PartRow(1, "A-1", "Bolt M8", 3),
                                      PartRow(2, "B.2", TURKISH, 1)]


def test_json_survives_a_real_round_trip_through_json_text() -> None:
    body = json.loads(json.dumps({"parts": [part(12345, f"  {TURKISH} ", 2)]},
                                 ensure_ascii=True))
    assert parse_parts_json(body) == [PartRow(1, "12345", TURKISH, 2)]


@pytest.mark.parametrize(("body", "message"), [
    (None, 'Send the parts list as JSON {"parts": '),
    ([part()], 'Send the parts list as JSON {"parts": '),
    ("parts", 'Send the parts list as JSON {"parts": '),
    ({}, '"parts" must be a list of rows'),
    ({"parts": {"0": part()}}, '"parts" must be a list of rows'),
    ({"parts": "A1,Nut,1"}, '"parts" must be a list of rows'),
    ({"parts": []}, NO_ROWS_MESSAGE),
    ({"parts": [part()], "dry_run": True}, 'Unexpected field(s): dry_run; expected only "parts"'),
])
def test_json_body_shape_problems(body: object, message: str) -> None:
    assert refused(lambda: parse_parts_json(body))[0].startswith(message)


def test_json_row_problems_are_all_reported() -> None:
    body = {"parts": [
        part(quantity="5"),                                    # 1: string quantity
        part("A2", quantity=5.0),                              # 2: decimal quantity
        part("A3", quantity=True),                             # 3: bool quantity
        "A4,Nut,1",                                            # 4: not an object
        {"part_code": "A5", "part_name": "Nut"},               # 5: missing key
        {**part("A6"), "notes": "x"},                          # 6: extra key
        part("A7", name=7),                                    # 7: name must be text
        part("A8", quantity=None),                             # 8: null quantity
        part("A1", quantity=2),                                # 9: duplicate of row 1
        part("A10", quantity=10_001),                          # 10: over the max
        part(["A11"]),                                         # 11: code not text
        part("A12", quantity=10**5000),                        # 12: too big to print
    ]}
    message, errors, _ = refused(lambda: parse_parts_json(body))
    assert message == "12 rows have problems; nothing was imported"
    rule = "quantity must be a whole number from 1 to 10000 written as a JSON integer " \
           "(not a string or a decimal), got"
    assert reasons(errors) == [
        (1, "quantity", f"{rule} a string '5'"),
        (2, "quantity", f"{rule} a number '5.0'"),
        (3, "quantity", f"{rule} a boolean 'True'"),
        (4, None, "each row must be an object with part_code, part_name and quantity, got "
                  "a string"),
        (5, "quantity", "quantity is missing"),
        (6, "notes", "unexpected field 'notes'; " + EXPECTED),
        (7, "part_name", "part_name must be text, got '7'"),
        (8, "quantity", "quantity is required"),
        (9, "part_code", "part_code A1 already on row 1"),
        (10, "quantity", "quantity must be a whole number from 1 to 10000, got '10001'"),
        (11, "part_code", "part_code must be text, got list"),
        (12, "quantity", "quantity must be a whole number from 1 to 10000, got a number too "
                         "large to show"),
    ]


def test_json_rows_over_the_limit_are_refused() -> None:
    body = {"parts": [part(f"P{i}") for i in range(MAX_ROWS + 1)]}
    assert refused(lambda: parse_parts_json(body))[0].startswith(
        f"The parts list has more than {MAX_ROWS} rows")


def test_json_units_over_the_limit_are_refused() -> None:
    body = {"parts": [part(f"P{i}", quantity=10_000) for i in range(6)]}
    _, _, details = refused(lambda: parse_parts_json(body))
    assert details["total_units"] == 60_000
    assert details["max_units"] == MAX_UNITS_PER_UPLOAD


# --- part codes in any script -------------------------------------------------------------

UNICODE_CODES = ["ŞĞİ-001", "ÇİVİ-M8", "ΑΒΓ-1", "螺丝-8"]


@pytest.mark.parametrize("fmt", [0, 1], ids=["xlsx", "csv"])
def test_files_with_part_codes_in_any_script_are_imported_as_typed(fmt: int) -> None:
    rows = [HEADER] + [(code, TURKISH, n) for n, code in enumerate(UNICODE_CODES, start=1)]
    name, content = both_formats(rows)[fmt]
    assert parse_parts_upload(name, content) == [
        PartRow(n + 1, code, TURKISH, n) for n, code in enumerate(UNICODE_CODES, start=1)]


def test_json_with_part_codes_in_any_script_is_imported_as_typed() -> None:
    body = json.loads(json.dumps({"parts": [part(code) for code in UNICODE_CODES]},
                                 ensure_ascii=True))  # as \u escapes, the way many clients send
    assert [r.part_code for r in parse_parts_json(body)] == UNICODE_CODES


def test_a_turkish_excel_csv_with_turkish_codes() -> None:
    content = csv_text(["part_code,part_name,quantity", f"ŞĞİ-001,{TURKISH},2",
                        "ÇİVİ-M8,Çivi M8,5"], delimiter=";", bom=True)
    assert parse_parts_upload("Parçalar.csv", content) == [
        PartRow(2, "ŞĞİ-001", TURKISH, 2), PartRow(3, "ÇİVİ-M8", "Çivi M8", 5)]


def test_decomposed_part_codes_are_stored_composed() -> None:
    # Files saved on a Mac often hold "Ş" as S + combining cedilla (NFD).
    decomposed = unicodedata.normalize("NFD", "ŞĞİ-001")
    assert decomposed != "ŞĞİ-001"
    content = f"part_code,part_name,quantity\n {decomposed} ,x,1\n".encode()
    [row] = parse_parts_upload("p.csv", content)
    assert row.part_code == "ŞĞİ-001"
    assert row.part_code.encode() == "ŞĞİ-001".encode()


def test_composed_and_decomposed_forms_of_one_code_are_duplicates() -> None:
    decomposed = unicodedata.normalize("NFD", "ÇİVİ-M8")
    body = {"parts": [part("ÇİVİ-M8"), part(decomposed, quantity=2)]}
    message, errors, _ = refused(lambda: parse_parts_json(body))
    assert message == "1 row has problems; nothing was imported"
    assert reasons(errors) == [(2, "part_code", "part_code ÇİVİ-M8 already on row 1")]


def test_codes_differing_only_in_turkish_i_are_different_parts() -> None:
    body = {"parts": [part("ışık"), part("işık"), part("IŞIK"), part("İŞIK")]}
    assert [r.part_code for r in parse_parts_json(body)] == ["ışık", "işık", "IŞIK", "İŞIK"]


@pytest.mark.parametrize("fmt", [0, 1], ids=["xlsx", "csv"])
def test_bad_unicode_codes_name_the_row_and_the_rule(fmt: int) -> None:
    rows = [HEADER, ("ŞĞİ-001", "ok", 1), ("ÇİVİ M8", "x", 1), ("ΑΒΓ\u200b1", "x", 1),
            ("螺丝–8", "x", 1), ("Ş/1", "x", 1), ("Ş..1", "x", 1), ("Ş" * 65, "x", 1)]
    name, content = both_formats(rows)[fmt]
    message, errors, _ = refused(lambda: parse_parts_upload(name, content))
    assert message == "6 rows have problems; nothing was imported"
    rule = "may only contain letters and digits (of any script), '.', '_' and '-'"
    assert reasons(errors) == [
        (3, "part_code", f"part_code 'ÇİVİ M8' {rule}; a space is not allowed"),
        (4, "part_code", f"part_code 'ΑΒΓ\\u200b1' {rule}; an invisible or control character "
                         "(U+200B ZERO WIDTH SPACE) is not allowed"),
        (5, "part_code", f"part_code '螺丝–8' {rule}; '–' (U+2013 EN DASH) is not allowed"),
        (6, "part_code", f"part_code 'Ş/1' {rule}; '/' is not allowed"),
        (7, "part_code", "part_code 'Ş..1' may not contain '..'"),
        (8, "part_code", "part_code may be at most 64 characters, got 65"),
    ]


def test_a_lone_surrogate_in_json_is_refused_and_the_reply_stays_utf8() -> None:
    body = json.loads('{"parts": [{"part_code": "\\ud800Ş", "part_name": "x", "quantity": 1}]}')
    _, errors, details = refused(lambda: parse_parts_json(body))
    assert reasons(errors) == [(1, "part_code", "part_code '\\ud800Ş' may only contain letters "
                                                "and digits (of any script), '.', '_' and '-'; "
                                                "an invisible or control character (U+D800) is "
                                                "not allowed")]
    json.dumps(details, ensure_ascii=False).encode("utf-8")


# --- data types --------------------------------------------------------------------------


def test_row_error_as_dict() -> None:
    assert RowError(3, "quantity", "bad").as_dict() == {"row": 3, "column": "quantity",
                                                        "reason": "bad"}
    assert RowError(1, None, "x").as_dict()["column"] is None


def test_rows_and_errors_are_frozen() -> None:
    with pytest.raises(AttributeError):
        PartRow(2, "A", "b", 1).quantity = 5  # type: ignore[misc]
    with pytest.raises(AttributeError):
        RowError(2, None, "x").row = 3  # type: ignore[misc]
