"""An .xlsx workbook of one sheet, written as it is sent: memory stays flat however many
rows there are (an inventory export reads Firestore page by page while this writes).

The package is the smallest one Excel opens without complaint: content types, the two
relationship parts, the workbook, the styles and the sheet. Text goes in inline strings
(`t="inlineStr"`), so no shared-string table has to be gathered before the sheet; the sheet
XML is made row by row and deflated into the ZIP as it goes (infra/zip_stream.py), and the
ZIP is handed out in chunks of about 64 KiB of compressed output.

Values, by type (bool is checked before int, datetime before date):
- str: an inline string. See `_escape_text` for how characters XML cannot carry are kept.
- bool: a boolean cell. int, float: a number cell; a number a spreadsheet cannot hold as
  written (an int beyond 2**53, which a double does not keep exactly; inf, nan) is written
  as its text instead of being silently changed.
- datetime.datetime: a date cell (Excel serial: days since 1899-12-30, the time as the
  fraction) shown as `yyyy-mm-dd hh:mm`; an aware datetime is written as its wall-clock time
  in its own tzinfo: convert it to the zone the reader wants first. datetime.date: a date
  cell shown as `yyyy-mm-dd`. Excel's calendar starts on 1900-01-01 (and counts a
  1900-02-29 that never was): earlier dates are written as ISO text.
- None: no cell. Anything else: `str(value)` as text.

No formula cell is ever written, and no formula neutralising happens here: callers pass
every value through `spreadsheet_safe.safe_cell` first.

Limits left to the caller: Excel opens at most 1,048,576 rows and 16,384 columns, and the
sheet part must stay under 4 GiB of XML (see `zip_stream.stream_zip_deflated`).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Iterator, Sequence

from infra.zip_stream import CHUNK_SIZE, stream_zip_deflated

MAX_TITLE_LENGTH = 31
DEFAULT_TITLE = "Sheet1"
MAX_COLUMN_WIDTH = 255.0
# A double holds every integer up to 2**53 exactly; beyond it a number cell would change.
MAX_EXACT_INT = 2**53

# Style indexes into cellXfs of styles.xml.
_STYLE_BOLD = 1
_STYLE_DATETIME = 2
_STYLE_DATE = 3

# Excel's 1900 date system: serial 1 is 1900-01-01, and serial 60 is 1900-02-29, a day that
# never was. From 1900-03-01 on, the serial is the number of days since 1899-12-30.
_EPOCH_DATE = dt.date(1899, 12, 30)
_EPOCH = dt.datetime(1899, 12, 30)
_FIRST_DATE = dt.date(1900, 1, 1)
_FIRST_TRUE_DATE = dt.date(1900, 3, 1)
_SECONDS_PER_DAY = 86400

# Flush the sheet XML into the compressor in pieces of about this many characters.
_XML_PIECE = 64 * 1024

_MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML_DECL = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

_CONTENT_TYPES = (
    _XML_DECL
    + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
    "</Types>"
)

_ROOT_RELS = (
    _XML_DECL
    + f'<Relationships xmlns="{_PKG_REL_NS}">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)

_WORKBOOK_RELS = (
    _XML_DECL
    + f'<Relationships xmlns="{_PKG_REL_NS}">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/worksheet" Target="worksheets/sheet1.xml"/>'
    '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/styles" Target="styles.xml"/>'
    "</Relationships>"
)

# cellXfs: 0 plain, 1 bold (the header), 2 date and time, 3 date.
_STYLES = (
    _XML_DECL
    + f'<styleSheet xmlns="{_MAIN_NS}">'
    '<numFmts count="2">'
    '<numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm"/>'
    '<numFmt numFmtId="165" formatCode="yyyy-mm-dd"/>'
    "</numFmts>"
    '<fonts count="2">'
    '<font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    "</fonts>"
    '<fills count="2">'
    '<fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill>'
    "</fills>"
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="4">'
    '<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    "</cellXfs>"
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)

_SHEET_VIEWS = (
    '<sheetViews><sheetView workbookViewId="0">'
    '<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>'
    "</sheetView></sheetViews>"
)

# What text needs more than copying: XML's markup characters; the characters XML 1.0 cannot
# carry at all (C0 controls but tab, newline and CR; U+FFFE, U+FFFF); CR, which an XML
# parser would turn into a newline; lone surrogates, which UTF-8 cannot encode; and an
# underscore starting `_xHHHH_`, which a spreadsheet would decode (ECMA-376 ST_Xstring).
_NEEDS_ESCAPE = re.compile(
    "[&<>\r\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]|_(?=x[0-9A-Fa-f]{4}_)"
)
_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", "\r": "&#13;", "_": "_x005F_"}
_XML_SPACE = " \t\n\r"

_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_TITLE_DROPPED = re.compile("[\x00-\x1f\x7f\ufffe\uffff\ud800-\udfff]")


def _escape_match(match: re.Match[str]) -> str:
    char = match.group()
    entity = _ENTITIES.get(char)
    if entity is not None:
        return entity
    if "\ud800" <= char <= "\udfff":
        return "\ufffd"
    return f"_x{ord(char):04X}_"


def _escape_text(text: str) -> str:
    """`text` as the content of a cell's `<t>`, so that a spreadsheet shows `text` itself.

    A character XML 1.0 forbids (a control character other than tab, newline and CR, or
    U+FFFE / U+FFFF) is escaped as OOXML `_xHHHH_` (ECMA-376 Part 1, ST_Xstring), which a
    spreadsheet following the standard (Excel) decodes back to the character: nothing is
    dropped. As the standard requires, an underscore that starts a literal `_xHHHH_` in the
    text is written `_x005F_`, so the text is not decoded into something else. (openpyxl,
    and pandas through it, do not decode these escapes: they show `_x0001_`, and
    `_x005F_x0041_` for a literal `_x0041_`.) CR is written `&#13;`, which an XML
    parser keeps (a bare CR would become a newline). A lone surrogate, which no UTF-8 file
    can hold, becomes U+FFFD.
    """
    if _NEEDS_ESCAPE.search(text) is None:
        return text
    return _NEEDS_ESCAPE.sub(_escape_match, text)


def _escape_attribute(text: str) -> str:
    return _escape_text(text).replace('"', "&quot;")


def _text_cell(column: str, row: str, text: str, style: int = 0) -> str:
    space = ' xml:space="preserve"' if text and (
        text[0] in _XML_SPACE or text[-1] in _XML_SPACE) else ""
    styled = f' s="{style}"' if style else ""
    return (f'<c r="{column}{row}"{styled} t="inlineStr"><is><t{space}>{_escape_text(text)}'
            "</t></is></c>")


def _date_serial(day: dt.date) -> int | None:
    """Excel's serial of `day`, or None before 1900-01-01, which Excel has no serial for."""
    if day < _FIRST_DATE:
        return None
    serial = (day - _EPOCH_DATE).days
    return serial - 1 if day < _FIRST_TRUE_DATE else serial


def _datetime_serial(moment: dt.datetime) -> float | None:
    day = _date_serial(moment.date())
    if day is None:
        return None
    since_midnight = moment.replace(tzinfo=None) - dt.datetime.combine(moment.date(), dt.time())
    return day + since_midnight / dt.timedelta(days=1)


def _cell(column: str, row: str, value: object) -> str:
    """The cell at `column` (letters) and `row` (its number, as text) holding `value`."""
    if value is None:
        return ""
    if isinstance(value, str):
        return _text_cell(column, row, value)
    if isinstance(value, bool):
        return f'<c r="{column}{row}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int):
        if -MAX_EXACT_INT <= value <= MAX_EXACT_INT:
            return f'<c r="{column}{row}"><v>{int(value)}</v></c>'
        return _text_cell(column, row, str(value))
    if isinstance(value, float):
        if math.isfinite(value):
            return f'<c r="{column}{row}"><v>{float(value)!r}</v></c>'
        return _text_cell(column, row, str(value))
    if isinstance(value, dt.datetime):
        serial = _datetime_serial(value)
        if serial is None:
            return _text_cell(column, row, value.isoformat())
        return f'<c r="{column}{row}" s="{_STYLE_DATETIME}"><v>{serial!r}</v></c>'
    if isinstance(value, dt.date):
        day = _date_serial(value)
        if day is None:
            return _text_cell(column, row, value.isoformat())
        return f'<c r="{column}{row}" s="{_STYLE_DATE}"><v>{day}</v></c>'
    return _text_cell(column, row, str(value))


def column_letters(index: int) -> str:
    """The letters of the 0-based column `index`: 0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    number = index + 1
    while number:
        number, remainder = divmod(number - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


class _Columns:
    """Column letters, made once per column."""

    def __init__(self) -> None:
        self.letters: list[str] = []

    def cover(self, count: int) -> list[str]:
        """The letters, at least `count` of them."""
        while len(self.letters) < count:
            self.letters.append(column_letters(len(self.letters)))
        return self.letters


def sanitize_title(title: str) -> str:
    """A sheet name Excel accepts: none of `[]:*?/\\` (each becomes `_`), no control
    characters, no apostrophe at either end, at most 31 characters (counted as Excel does,
    in UTF-16 units), not blank and not the reserved "History"."""
    cleaned = _TITLE_FORBIDDEN.sub("_", _TITLE_DROPPED.sub("", title)).strip("'")
    kept: list[str] = []
    length = 0
    for char in cleaned:
        length += 2 if ord(char) > 0xFFFF else 1
        if length > MAX_TITLE_LENGTH:
            break
        kept.append(char)
    cleaned = "".join(kept).rstrip("'")
    if not cleaned.strip():
        return DEFAULT_TITLE
    if cleaned.casefold() == "history":
        return cleaned + "_"
    return cleaned


def _check_widths(column_widths: Sequence[float] | None) -> list[float]:
    widths = [float(width) for width in column_widths or ()]
    for width in widths:
        if not (math.isfinite(width) and 0 <= width <= MAX_COLUMN_WIDTH):
            raise ValueError(f"a column width must be between 0 and {MAX_COLUMN_WIDTH:g}: "
                             f"{width!r}")
    return widths


def _workbook(title: str) -> str:
    return (_XML_DECL
            + f'<workbook xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">'
            "<bookViews><workbookView/></bookViews>"
            f'<sheets><sheet name="{_escape_attribute(title)}" sheetId="1" r:id="rId1"/>'
            "</sheets></workbook>")


def _sheet_xml(header: Sequence[str], rows: Iterable[Sequence[object]],
               widths: Sequence[float]) -> Iterator[bytes]:
    """The sheet part in UTF-8 pieces of about `_XML_PIECE` characters, `rows` read one by
    one as the pieces are taken."""
    columns = _Columns()
    head = [_XML_DECL, f'<worksheet xmlns="{_MAIN_NS}" xmlns:r="{_REL_NS}">', _SHEET_VIEWS]
    if widths:
        head.append("<cols>")
        head.extend(f'<col min="{number}" max="{number}" width="{width!r}" customWidth="1"/>'
                    for number, width in enumerate(widths, start=1))
        head.append("</cols>")
    head.append('<sheetData><row r="1">')
    head.extend(_text_cell(letter, "1", str(name), _STYLE_BOLD)
                for letter, name in zip(columns.cover(len(header)), header, strict=False))
    head.append("</row>")
    pending = head
    size = sum(map(len, pending))
    letters = columns.letters
    for number, row in enumerate(rows, start=2):
        if len(row) > len(letters):
            letters = columns.cover(len(row))
        suffix = str(number)
        cells = "".join([_cell(letter, suffix, value)
                         for letter, value in zip(letters, row, strict=False)])
        line = f'<row r="{suffix}">{cells}</row>'
        pending.append(line)
        size += len(line)
        if size >= _XML_PIECE:
            yield "".join(pending).encode("utf-8")
            pending = []
            size = 0
    pending.append("</sheetData></worksheet>")
    yield "".join(pending).encode("utf-8")


def stream_xlsx(sheet_title: str, header: Sequence[str], rows: Iterable[Sequence[object]], *,
                column_widths: Sequence[float] | None = None) -> Iterator[bytes]:
    """An .xlsx workbook with one sheet, produced chunk by chunk as `rows` is consumed.

    The sheet is named `sheet_title` made acceptable to Excel (`sanitize_title`); its first
    row is `header`, bold and frozen; then one row per item of `rows`, each value written
    by its type (see the module's docstring). `column_widths` (in characters, 0 to 255)
    sets the widths of the first columns. The title and the widths are checked here, before
    anything is produced (ValueError); `rows` is read only as the chunks are taken, each
    chunk about 64 KiB. The same input gives the same bytes.
    """
    title = sanitize_title(sheet_title)
    widths = _check_widths(column_widths)
    names = list(header)
    parts: list[tuple[str, Iterable[bytes]]] = [
        ("[Content_Types].xml", [_CONTENT_TYPES.encode("utf-8")]),
        ("_rels/.rels", [_ROOT_RELS.encode("utf-8")]),
        ("xl/workbook.xml", [_workbook(title).encode("utf-8")]),
        ("xl/_rels/workbook.xml.rels", [_WORKBOOK_RELS.encode("utf-8")]),
        ("xl/styles.xml", [_STYLES.encode("utf-8")]),
        ("xl/worksheets/sheet1.xml", _sheet_xml(names, rows, widths)),
    ]
    return stream_zip_deflated(parts, chunk_size=CHUNK_SIZE)
