"""The example parts lists the README uploads (examples/parts.xlsx, examples/parts.csv) are
accepted by the real import and describe the same parts."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from qr.parts_import import parse_parts_upload

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def parts_of(filename: str) -> list[tuple[str, str, int]]:
    rows = parse_parts_upload(filename, (EXAMPLES / filename).read_bytes())
    return [(r.part_code, r.part_name, r.quantity) for r in rows]


@pytest.mark.parametrize("filename", ["parts.xlsx", "parts.csv"])
def test_each_example_is_accepted_with_turkish_names(filename):
    parts = parts_of(filename)
    assert 3 <= len(parts) <= 10
    assert sum(quantity for _, _, quantity in parts) <= 20  # a quick try, not a bench
    names = " ".join(name for _, name, _ in parts)
    for letter in "ÇŞİĞçşığ":
        assert letter in names, f"no {letter} in the example names"


def test_the_xlsx_and_the_csv_describe_the_same_parts():
    assert parts_of("parts.xlsx") == parts_of("parts.csv")


def test_the_xlsx_keeps_part_codes_as_text():
    # A code cell that Excel holds as a number would be rewritten by Excel (0042 -> 42).
    book = openpyxl.load_workbook(EXAMPLES / "parts.xlsx", read_only=True)
    try:
        rows = book.worksheets[0].iter_rows(min_row=2, values_only=True)
        codes = [row[0] for row in rows]
    finally:
        book.close()
    assert codes and all(isinstance(code, str) for code in codes)
