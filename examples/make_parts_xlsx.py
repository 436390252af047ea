"""Write examples/parts.xlsx from examples/parts.csv, so the two describe the same parts.

    .venv/bin/python examples/make_parts_xlsx.py

Part codes are written as text cells: a code such as 0042 typed as a number would lose its
zeros in Excel (tests/unit/test_example_parts.py checks that the two files agree).
"""

from __future__ import annotations

import csv
from pathlib import Path

from openpyxl import Workbook

HERE = Path(__file__).resolve().parent


def main() -> None:
    with (HERE / "parts.csv").open(encoding="utf-8", newline="") as source:
        header, *rows = list(csv.reader(source))
    book = Workbook()
    sheet = book.active
    sheet.title = "parts"
    sheet.append(header)
    for code, name, quantity in rows:
        sheet.append([code, name, int(quantity)])
        sheet.cell(row=sheet.max_row, column=1).number_format = "@"  # text, as typed
    sheet.column_dimensions["A"].width = 18
    sheet.column_dimensions["B"].width = 28
    book.save(HERE / "parts.xlsx")


if __name__ == "__main__":
    main()
