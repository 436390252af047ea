"""qr.parts_import at its exact limits and with each message's own values: the delimiter of
a CSV whose first line is ambiguous or comes after blank lines, header problems with the
columns they name, quantities of exactly nine digits and numbers stored as floats, values
shown up to 40 characters, JSON types, and the zip guard at its limits (test_parts_import.py
holds the everyday rules)."""

from __future__ import annotations

import io
import os
import zipfile
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import openpyxl
import pytest

from errors import InvalidInput
from qr import parts_import
from qr.parts_import import MAX_ZIP_MEMBERS, PartRow, parse_parts_json, parse_parts_upload
from tests.support.zips import declare_size

HEADER = ("part_code", "part_name", "quantity")
MB = 1024 * 1024


def csv_bytes(*lines: str) -> bytes:
    return ("\r\n".join(lines) + "\r\n").encode()


def xlsx(rows: Iterable[Sequence[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(list(row))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def refused(call: Callable[[], object]) -> InvalidInput:
    with pytest.raises(InvalidInput) as caught:
        call()
    return caught.value


def row_reasons(err: InvalidInput) -> list[tuple[int, str | None, Any]]:
    return [(e["row"], e["column"], e["reason"]) for e in err.details["errors"]]


# -- CSV ----------------------------------------------------------------------------------------

def test_blank_lines_before_a_semicolon_header_do_not_hide_it() -> None:
    content = b"\r\n\r\n" + csv_bytes("part_code;part_name;quantity", "A-1;Vida, M8;3")
    assert parse_parts_upload("p.csv", content) == [PartRow(4, "A-1", "Vida, M8", 3)]


def test_a_first_line_that_splits_alike_either_way_is_read_with_commas() -> None:
    err = refused(lambda: parse_parts_upload("p.csv", csv_bytes("x;y,z", "1;2,3")))
    assert err.message.code == "qr.upload.header_missing"
    assert err.message.params == {"found": "x;y, z"}


def test_a_nul_byte_anywhere_means_not_a_csv() -> None:
    late = csv_bytes("part_code,part_name,quantity", "A-1," + "x" * 9000 + "\x00,3")
    assert refused(lambda: parse_parts_upload("p.csv", late)).message.code == \
        "qr.upload.format"


def test_an_unreadable_csv_says_where_and_why() -> None:
    err = refused(lambda: parse_parts_upload("p.csv", csv_bytes(
        "part_code,part_name,quantity", 'A-1,"Vida"x,3')))
    assert err.message.code == "qr.upload.csv_unreadable"
    assert err.message.params == {"line": 2, "error": "',' expected after '\"'"}


# -- the header -----------------------------------------------------------------------------------

def test_a_blank_header_cell_before_the_columns_is_skipped() -> None:
    content = csv_bytes(",part_code,part_name,quantity", ",A-1,Vida,3")
    assert parse_parts_upload("p.csv", content) == [PartRow(2, "A-1", "Vida", 3)]


def test_a_header_of_other_names_shows_the_first_ten() -> None:
    names = [f"c{n}" for n in range(11)]
    err = refused(lambda: parse_parts_upload("p.csv", csv_bytes(",".join(names), "1")))
    assert err.message.code == "qr.upload.header_missing"
    assert err.message.params == {"found": ", ".join(names[:10])}


def test_header_problems_name_their_columns() -> None:
    header = "part_code,Part_Code,colour,size,quantity"
    err = refused(lambda: parse_parts_upload("p.csv", csv_bytes(header, "A,A,r,s,1")))
    problems = [e["reason"] for e in err.details["errors"]]
    assert [(p.code, p.params) for p in problems] == [
        ("qr.upload.missing_columns", {"columns": "part_name"}),
        ("qr.upload.unexpected_columns", {"columns": "colour, size",
                                          "expected": parts_import._EXPECTED}),
        ("qr.upload.duplicate_columns", {"columns": "part_code"})]
    assert {(e["row"], e["column"]) for e in err.details["errors"]} == {(1, None)}
    missing_two = refused(lambda: parse_parts_upload("p.csv", csv_bytes("part_code", "A")))
    assert missing_two.details["errors"][0]["reason"].params == {
        "columns": "part_name, quantity"}


def test_a_value_under_no_header_is_named_by_its_cell() -> None:
    row = ["A-1", "Vida", "3"] + [""] * 23 + ["x"]  # column 27: AA
    err = refused(lambda: parse_parts_upload("p.csv", csv_bytes(",".join(HEADER),
                                                                ",".join(row))))
    ((number, column, reason),) = row_reasons(err)
    assert (number, column, reason.code) == (2, None, "qr.upload.cell_without_header")
    assert reason.params["cell"] == "AA2"


# -- quantities and names --------------------------------------------------------------------------

def quantity_problem(raw: object) -> Any:
    return parts_import._file_quantity(raw).problem


def test_a_quantity_of_nine_digits_is_read_ten_are_not() -> None:
    assert parts_import._file_quantity("000000003").value == 3
    problem = quantity_problem("0000000003")
    assert problem.code == "qr.upload.quantity_rule_got"
    assert problem.params["value"] == "'0000000003'"


def test_a_spreadsheet_number_stored_as_a_float() -> None:
    assert parts_import._file_quantity(3.0).value == 3
    assert type(parts_import._file_quantity(3.0).value) is int
    assert quantity_problem(10_001.0).params["value"] == "'10001.0'"
    assert quantity_problem(object).params["value"] == repr(str(object))
    assert parts_import._part_name(12.0, strict=False) == "12"
    assert parts_import._part_name(12.5, strict=False) == "12.5"


def test_a_value_is_shown_whole_up_to_40_characters() -> None:
    assert quantity_problem("a" * 40).params["value"] == repr("a" * 40)
    assert quantity_problem("a" * 41).params["value"] == repr("a" * 40 + "…")


def json_quantity_problem(quantity: object) -> Any:
    err = refused(lambda: parse_parts_json({"parts": [
        {"part_code": "A", "part_name": "B", "quantity": quantity}]}))
    return err.details["errors"][0]["reason"]


def test_huge_numbers_are_shown_up_to_128_bits() -> None:
    assert json_quantity_problem(2 ** 127).params["value"] == repr(str(2 ** 127))
    assert json_quantity_problem(2 ** 128).params["value"].code == \
        "qr.upload.number_too_large_to_show"


def test_json_types_are_named() -> None:
    err = refused(lambda: parse_parts_json({"parts": [None, [1]]}))
    assert [e["reason"].params["json_type"].code for e in err.details["errors"]] == [
        "json.null", "json.list"]
    assert json_quantity_problem({}).params["json_type"].code == "json.object"
    assert json_quantity_problem((1,)).params["json_type"] == "tuple"


def test_unexpected_top_level_fields_are_named_in_order() -> None:
    err = refused(lambda: parse_parts_json({"parts": [], "b": 1, "a": 2}))
    assert (err.message.code, err.message.params) == ("qr.upload.unexpected_fields",
                                                      {"fields": "a, b"})


# -- the zip guard -------------------------------------------------------------------------------

def with_members(content: bytes, members: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(content)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, source.read(info.filename))
        for name, data in members.items():
            target.writestr(name, data)
    return out.getvalue()


GOOD = xlsx([HEADER, ("A-1", "Vida", 3)])


def members_of(content: bytes) -> list[zipfile.ZipInfo]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return archive.infolist()


def test_a_workbook_of_exactly_the_most_members_is_read() -> None:
    count = len(members_of(GOOD))
    full = with_members(GOOD, {f"x/{n}": b"" for n in range(MAX_ZIP_MEMBERS - count)})
    assert parse_parts_upload("p.xlsx", full) == [PartRow(2, "A-1", "Vida", 3)]
    over = with_members(full, {"x/last": b""})
    err = refused(lambda: parse_parts_upload("p.xlsx", over))
    assert (err.message.code, err.message.params) == (
        "qr.upload.too_many_members", {"count": MAX_ZIP_MEMBERS + 1,
                                       "max_members": MAX_ZIP_MEMBERS})


def test_a_zip_that_cannot_be_read_names_the_formats() -> None:
    err = refused(lambda: parse_parts_upload("p.xlsx", b"PK\x03\x04" + b"\x00" * 100))
    assert err.message.code == "qr.upload.bad_zip"
    assert err.message.params["format"].code == "qr.upload.format"


def test_the_unpacked_size_is_told_in_whole_megabytes() -> None:
    content = with_members(GOOD, {"x/big": b"0"})
    others = sum(m.file_size for m in members_of(content) if m.filename != "x/big")
    declared = int(60.5005 * MB) - others
    err = refused(lambda: parse_parts_upload("p.xlsx", declare_size(content, "x/big",
                                                                     declared)))
    assert (err.message.code, err.message.params) == ("qr.upload.unpacks_too_large",
                                                      {"size_mb": "61", "limit_mb": 50})


def test_exactly_the_most_unpacked_bytes_pass_the_size_check() -> None:
    content = with_members(GOOD, {"x/big": b"0"})
    others = sum(m.file_size for m in members_of(content) if m.filename != "x/big")
    exact = declare_size(content, "x/big", 50 * MB - others)
    # Past the size check: the next one, the compression ratio, refuses it.
    assert refused(lambda: parse_parts_upload("p.xlsx", exact)).message.code == \
        "qr.upload.compression_ratio"


def test_exactly_the_most_compression_is_allowed() -> None:
    content = with_members(GOOD, {"x/noise": os.urandom(20_000)})
    (noise,) = [m for m in members_of(content) if m.filename == "x/noise"]
    exact = declare_size(content, "x/noise", noise.compress_size * 100)
    assert parse_parts_upload("p.xlsx", exact) == [PartRow(2, "A-1", "Vida", 3)]
    over = declare_size(content, "x/noise", noise.compress_size * 100 + 1)
    assert refused(lambda: parse_parts_upload("p.xlsx", over)).message.code == \
        "qr.upload.compression_ratio"


def test_a_sheet_damaged_part_way_is_refused_as_damaged() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(GOOD)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = data[:len(data) // 2]
            target.writestr(info.filename, data)
    err = refused(lambda: parse_parts_upload("p.xlsx", out.getvalue()))
    assert err.message.code == "qr.upload.damaged_xlsx"


# -- the file's name -------------------------------------------------------------------------------

ONE_ROW = csv_bytes(",".join(HEADER), "A-1,Vida,3")


@pytest.mark.parametrize("name", [
    "parts", "parts.v2.csv", "PARTS.CSV", "a/b.c/parts", "C:\\data.d\\parts", ".xlsx",
    " parts.csv ", None, ""])
def test_names_a_csv_may_have(name: str | None) -> None:
    assert parse_parts_upload(name, ONE_ROW) == [PartRow(2, "A-1", "Vida", 3)]


@pytest.mark.parametrize("name", ["a.xlsx", "C:\\data\\parts.XLSX"])
def test_a_csv_named_as_a_workbook_is_refused(name: str) -> None:
    assert refused(lambda: parse_parts_upload(name, ONE_ROW)).message.code == \
        "qr.upload.xlsx_named_not_xlsx"


@pytest.mark.parametrize("name", ["parts.txt", "parts.csv.bak", "a.b/parts.xls"])
def test_other_extensions_are_refused(name: str) -> None:
    assert refused(lambda: parse_parts_upload(name, ONE_ROW)).message.code == \
        "qr.upload.format"


def test_semicolons_inside_a_quoted_name_do_not_make_the_delimiter() -> None:
    content = csv_bytes(",".join(HEADER), 'A-1,"n;part_code;part_name;quantity;x",3')
    assert parse_parts_upload("p.csv", content) == [
        PartRow(2, "A-1", "n;part_code;part_name;quantity;x", 3)]


def test_every_repeated_column_is_named_once() -> None:
    header = "part_code,part_code,part_name,quantity,quantity,part_code"
    err = refused(lambda: parse_parts_upload("p.csv", csv_bytes(header, "A,A,B,1,1,A")))
    (reason,) = [e["reason"] for e in err.details["errors"]]
    assert (reason.code, reason.params) == ("qr.upload.duplicate_columns",
                                            {"columns": "part_code, quantity"})
