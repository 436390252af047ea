"""Read a parts list (xlsx, CSV or JSON) into checked rows, or say everything that is wrong.

Every row is checked before anything is imported, and all problems are raised together as
one InvalidInput whose `details` is `{"errors": [RowError.as_dict(), ...]}`, so a person can
fix the whole file in one go. Row numbers of files are spreadsheet row numbers (the header
is row 1); row numbers of JSON are 1-based positions in the "parts" list.

An uploaded workbook is untrusted: its zip directory is inspected before openpyxl sees it
(size, member count, compression ratio), because a 10 MB upload can inflate to gigabytes.
"""

from __future__ import annotations

import csv
import io
import math
import re
import unicodedata
import zipfile
from collections.abc import Generator, Iterator, Sequence
from contextlib import closing
from dataclasses import dataclass
from typing import Any

from errors import InvalidInput, PayloadTooLarge
from messages import Msg, chain
from qr import ids, inventory_sheet
from qr.inventory_sheet import MIN_UNITS, READ_ONLY, REQUIRED
from qr.stock_levels import MAX_MIN_UNITS
from spreadsheet_safe import unescape_cell

MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
MAX_ZIP_MEMBERS = 1000
MAX_COMPRESSION_RATIO = 100
RATIO_CHECKED_FROM_BYTES = 1024 * 1024
MAX_ROWS = 20_000
MAX_QUANTITY_PER_ROW = 10_000
MAX_UNITS_PER_UPLOAD = 50_000
MAX_PART_NAME_CHARS = 200
# A list with thousands of bad rows still gets a complete count, but the reply stays small.
MAX_REPORTED_ERRORS = 1000

COLUMNS = REQUIRED  # and optionally min_units (qr/inventory_sheet.py names them all)
JSON_FIELDS = (*REQUIRED, MIN_UNITS)
_EXPECTED = Msg("qr.upload.expected_columns")
FORMAT_MESSAGE = Msg("qr.upload.format")
NO_ROWS_MESSAGE = Msg("qr.upload.no_rows")
UTF8_MESSAGE = Msg("qr.upload.utf8_hint")

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and any password-protected .xlsx
# Files that are certainly not text, whatever they are named: PDF, images, archives, .xls.
_BINARY_MAGICS = (b"%PDF-", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"RIFF", b"\x1f\x8b",
                  b"7z\xbc\xaf", b"Rar!", _OLE_MAGIC, b"PK")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_DIGITS = re.compile(r"^[0-9]+$")
_CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f]")  # Unicode category Cc, exactly


@dataclass(frozen=True)
class PartRow:
    row: int
    part_code: str
    part_name: str
    quantity: int
    min_units: int | None = None  # None: the list says nothing (the minimum stays)


@dataclass(frozen=True)
class RowError:
    row: int
    column: str | None
    reason: Msg  # rendered in the caller's language with the error

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "reason": self.reason}


@dataclass(frozen=True)
class PartsCheck:
    """A list read row by row: the good rows and the refused ones (a dry run shows both;
    an import takes the rows only when nothing was refused)."""

    rows: list[PartRow]
    errors: list[RowError]
    checker: _RowChecker

    def rows_or_raise(self) -> list[PartRow]:
        return self.checker.result()


# -- entry points -------------------------------------------------------------------------


def parse_parts_upload(filename: str | None, content: bytes) -> list[PartRow]:
    """Parse an uploaded .xlsx or .csv file (or raise every problem at once)."""
    return check_parts_upload(filename, content).rows_or_raise()


def parse_parts_json(body: object) -> list[PartRow]:
    """Parse `{"parts": [{"part_code", "part_name", "quantity"[, "min_units"]}, ...]}`."""
    return check_parts_json(body).rows_or_raise()


def check_parts_upload(filename: str | None, content: bytes) -> PartsCheck:
    """Read an uploaded .xlsx or .csv file. The content decides the format; the name only
    has to agree with it (no name at all is fine: some clients send none). A file that
    cannot be read as a list at all (format, header) raises InvalidInput."""
    if len(content) > MAX_FILE_BYTES:  # before any copy or parse
        megabytes = math.ceil(len(content) * 10 / 1024 / 1024) / 10
        raise PayloadTooLarge(Msg("qr.upload.file_too_large", size_mb=f"{megabytes:.1f}",
                                  limit_mb=MAX_FILE_BYTES // 1024 // 1024))
    content = bytes(content)
    extension = _extension(filename)
    if extension not in (".xlsx", ".csv", ""):
        raise InvalidInput(FORMAT_MESSAGE)
    if content.startswith(_ZIP_MAGIC):
        if extension == ".csv":
            raise InvalidInput(Msg("qr.upload.csv_named_not_csv", format=FORMAT_MESSAGE))
        with closing(_xlsx_records(content)) as records:
            return _checked(_rows_from_table(records))
    if extension == ".xlsx":
        if not content.strip():
            raise InvalidInput(NO_ROWS_MESSAGE)
        if content.startswith(_OLE_MAGIC):
            raise InvalidInput(Msg("qr.upload.old_xls", format=FORMAT_MESSAGE))
        raise InvalidInput(Msg("qr.upload.xlsx_named_not_xlsx", format=FORMAT_MESSAGE))
    with closing(_csv_records(content)) as records:
        return _checked(_rows_from_table(records))


def _checked(checker: _RowChecker) -> PartsCheck:
    return PartsCheck(checker.rows, checker.errors, checker)


def check_parts_json(body: object) -> PartsCheck:
    """Read `{"parts": [...]}`. JSON has types, so they are held to: quantity and min_units
    must be JSON integers (not "5", not 5.0)."""
    if not isinstance(body, dict):
        raise InvalidInput(Msg("qr.upload.json_shape"))
    extra = sorted(str(k) for k in body if k != "parts")
    if extra:
        raise InvalidInput(Msg("qr.upload.unexpected_fields", fields=", ".join(extra)))
    parts = body.get("parts")
    if not isinstance(parts, list):
        raise InvalidInput(Msg("qr.upload.parts_not_list"))
    if not parts:
        raise InvalidInput(NO_ROWS_MESSAGE)
    _check_row_count(len(parts))

    checker = _RowChecker()
    for number, item in enumerate(parts, start=1):
        if not isinstance(item, dict):
            checker.add_error(number, None, Msg("qr.upload.row_not_object",
                                                json_type=_json_type(item)))
            continue
        keys_ok = True
        for key in sorted(str(k) for k in item if k not in JSON_FIELDS):
            checker.add_error(number, key, Msg("qr.upload.unexpected_field", field=repr(key),
                                               expected=_EXPECTED))
        for column in COLUMNS:
            if column not in item:
                checker.add_error(number, column, Msg("qr.upload.column_missing",
                                                      column=column))
                keys_ok = False
        if keys_ok:
            checker.check(number, item["part_code"], item["part_name"],
                          _json_quantity(item["quantity"]), strict_name=True,
                          minimum=_json_minimum(item.get(MIN_UNITS)))
    return _checked(checker)


# -- format detection and reading ---------------------------------------------------------


def _extension(filename: str | None) -> str:
    if not filename:
        return ""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    dot = base.rfind(".")
    return base[dot:].lower() if dot > 0 else ""


def _xlsx_records(content: bytes) -> Generator[tuple[int, Sequence[object]], None, None]:
    """Yield (spreadsheet row number, cell values) of the first sheet, after the zip guard.
    Anything openpyxl raises on a damaged file becomes InvalidInput."""
    _guard_zip(content)
    from openpyxl import load_workbook  # lazy: the JSON and CSV paths never need it

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except MemoryError:
        raise
    except Exception as err:  # openpyxl raises KeyError, ValueError, XML errors ...
        raise InvalidInput(_DAMAGED_XLSX) from err
    try:
        sheets = workbook.worksheets
        if not sheets:
            raise InvalidInput(NO_ROWS_MESSAGE)
        sheet = sheets[0]
        # Read-only mode trusts the <dimension> the writer recorded; some writers record it
        # wrong, and rows beyond it would be dropped without a word.
        sheet.reset_dimensions()
        rows = sheet.iter_rows(values_only=True)
        number = 0
        while True:
            try:
                values = next(rows)
            except StopIteration:
                return
            except MemoryError:
                raise
            except Exception as err:  # a damaged sheet fails part-way through
                raise InvalidInput(_DAMAGED_XLSX) from err
            number += 1
            yield number, values
    finally:
        workbook.close()


_DAMAGED_XLSX = Msg("qr.upload.damaged_xlsx")


def _guard_zip(content: bytes) -> None:
    """Refuse zip bombs before anything inflates. The sizes checked are the ones the zip
    directory declares; Python's zipfile never inflates a member past its declared size
    (a member that lies fails its CRC check), so a lie cannot get past this guard."""
    # Counted before zipfile reads the directory: 10 MB holds ~110,000 empty members, which
    # take zipfile ~1.5 s and ~60 MB to list. Every member has one directory entry with
    # this signature, so the count can only over-estimate.
    entries = content.count(b"PK\x01\x02")
    if entries > MAX_ZIP_MEMBERS:
        raise _too_many_members(entries)
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            members = archive.infolist()
            names = {m.filename for m in members}
    except MemoryError:
        raise
    except Exception as err:  # BadZipFile, NotImplementedError (odd version), struct ...
        raise InvalidInput(Msg("qr.upload.bad_zip", format=FORMAT_MESSAGE)) from err
    if len(members) > MAX_ZIP_MEMBERS:
        raise _too_many_members(len(members))
    total = sum(m.file_size for m in members)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise InvalidInput(Msg("qr.upload.unpacks_too_large",
                               size_mb=f"{total / 1024 / 1024:.0f}",
                               limit_mb=MAX_UNCOMPRESSED_BYTES // 1024 // 1024))
    for member in members:
        if member.file_size > RATIO_CHECKED_FROM_BYTES and (
                member.file_size > member.compress_size * MAX_COMPRESSION_RATIO):
            raise InvalidInput(Msg("qr.upload.compression_ratio", ratio=MAX_COMPRESSION_RATIO))
    if "xl/workbook.xml" not in names:
        raise InvalidInput(Msg("qr.upload.zip_not_workbook", format=FORMAT_MESSAGE))


def _too_many_members(count: int) -> InvalidInput:
    return InvalidInput(Msg("qr.upload.too_many_members", count=count,
                            max_members=MAX_ZIP_MEMBERS))


def _csv_records(content: bytes) -> Generator[tuple[int, Sequence[object]], None, None]:
    """Yield (row number, fields). Row numbers count records, as Excel shows them, not
    physical lines (a quoted field may span lines)."""
    text = _decode_csv(content)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text),
                        strict=True)
    number = 0
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            raise InvalidInput(Msg("qr.upload.csv_unreadable", line=reader.line_num,
                                   error=str(err))) from err
        number += 1
        yield number, fields


def _decode_csv(content: bytes) -> str:
    if content.startswith(_UTF16_BOMS):
        raise InvalidInput(Msg("qr.upload.utf16", hint=UTF8_MESSAGE))
    if content.startswith(_BINARY_MAGICS) or b"\x00" in content[:8192]:
        raise InvalidInput(FORMAT_MESSAGE)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InvalidInput(Msg("qr.upload.not_utf8", hint=UTF8_MESSAGE)) from err
    if "\x00" in text:
        raise InvalidInput(FORMAT_MESSAGE)
    return text


def _delimiter(text: str) -> str:
    """',' or ';' (Excel in a Turkish or German locale writes ';'): whichever splits the
    first line into more of the expected column names, then into more fields."""
    first_line = text.lstrip("\r\n").split("\n", 1)[0]

    def score(delimiter: str) -> tuple[int, int]:
        names = first_line.split(delimiter)
        return (sum(1 for n in names if inventory_sheet.upload_column(n) is not None),
                len(names))

    return ";" if score(";") > score(",") else ","


# -- the table (both file formats) --------------------------------------------------------


def _rows_from_table(records: Iterator[tuple[int, Sequence[object]]]) -> _RowChecker:
    header: tuple[int, Sequence[object]] | None = None
    for number, values in records:
        if not _is_blank_row(values):
            header = (number, values)
            break
    if header is None:
        raise InvalidInput(NO_ROWS_MESSAGE)
    header_row, header_values = header
    positions, read_only = _column_positions(header_row, header_values)

    checker = _RowChecker()
    named = set(positions.values()) | read_only
    data_rows = 0
    for number, values in records:
        if _is_blank_row(values):
            continue
        data_rows += 1
        _check_row_count(data_rows)
        for index, value in enumerate(values):
            if index not in named and not _is_blank(value):
                checker.add_error(number, None, Msg(
                    "qr.upload.cell_without_header", cell=f"{_column_letter(index)}{number}",
                    expected=_EXPECTED))
        code, name, quantity = (_text_cell(_cell(values, positions[c])) for c in COLUMNS)
        minimum = (_file_minimum(_cell(values, positions[MIN_UNITS]))
                   if MIN_UNITS in positions else _Quantity(None))
        checker.check(number, code, name, _file_quantity(quantity), strict_name=False,
                      minimum=minimum)
    if data_rows == 0:
        raise InvalidInput(NO_ROWS_MESSAGE)
    return checker


def _text_cell(value: object) -> object:
    """A cell as the person meant it: an export writes text that looks like a formula with
    an apostrophe in front (spreadsheet_safe.py), which a spreadsheet user reads as "this
    is text"; the apostrophe is not part of the code or name."""
    return unescape_cell(value) if isinstance(value, str) else value


def _column_positions(header_row: int, values: Sequence[object]
                      ) -> tuple[dict[str, int], set[int]]:
    """Map each upload column to its index (headers in English or Turkish, as
    qr/inventory_sheet.py names them), and say which columns are an export's read-only
    ones (ignored). Blank header cells are allowed (trailing formatted cells are common)."""
    positions: dict[str, int] = {}
    read_only: set[int] = set()
    unexpected: list[str] = []
    duplicates: list[str] = []
    for index, value in enumerate(values):
        if _is_blank(value):
            continue
        name = str(value).strip()
        key = inventory_sheet.upload_column(name)
        if key is None:
            unexpected.append(name)
        elif key == READ_ONLY:
            read_only.add(index)
        elif key in positions:
            duplicates.append(key)
        else:
            positions[key] = index
    missing = [c for c in COLUMNS if c not in positions]
    if not missing and not unexpected and not duplicates:
        return positions, read_only
    problems: list[Msg] = []
    if len(missing) == len(COLUMNS):
        found = ", ".join(unexpected[:10]) or Msg("qr.upload.nothing")
        problems.append(Msg("qr.upload.header_missing", found=found))
    else:
        if missing:
            problems.append(Msg("qr.upload.missing_columns", columns=", ".join(missing)))
        if unexpected:
            problems.append(Msg("qr.upload.unexpected_columns", columns=", ".join(unexpected),
                                expected=_EXPECTED))
        if duplicates:
            problems.append(Msg("qr.upload.duplicate_columns",
                                columns=", ".join(sorted(set(duplicates)))))
    errors = [RowError(header_row, None, p) for p in problems]
    raise InvalidInput(chain("common.sentences", problems),
                       details={"errors": [e.as_dict() for e in errors]})


def _cell(values: Sequence[object], index: int) -> object:
    return values[index] if index < len(values) else None  # short rows: CSV, read-only xlsx


def _is_blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _is_blank_row(values: Sequence[object]) -> bool:
    return all(_is_blank(v) for v in values)


def _column_letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def _check_row_count(count: int) -> None:
    if count > MAX_ROWS:
        raise InvalidInput(Msg("qr.upload.too_many_rows", max_rows=MAX_ROWS))


# -- one row --------------------------------------------------------------------------------

_QUANTITY_RULE = Msg("qr.upload.quantity_rule", max_quantity=MAX_QUANTITY_PER_ROW)


@dataclass(frozen=True)
class _Quantity:
    """A parsed quantity, or the reason it is not one."""

    value: int | None
    problem: Msg | None = None


def _file_quantity(raw: object) -> _Quantity:
    """A spreadsheet or CSV cell. Text must be plain digits: "1.000" means one thousand to a
    Turkish reader and one to Python, so a separator is refused rather than guessed at."""
    if isinstance(raw, bool):
        return _out_of_rule(raw)
    if isinstance(raw, int):
        return _in_range(raw, raw)
    if isinstance(raw, float):
        if math.isfinite(raw) and raw.is_integer():
            return _in_range(int(raw), raw)
        return _out_of_rule(raw)
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return _Quantity(None, Msg("qr.upload.quantity_required"))
    if isinstance(raw, str):
        text = raw.strip()
        if len(text) <= 9 and _DIGITS.fullmatch(text):  # 9 digits: int() stays cheap
            return _in_range(int(text), text)
        return _out_of_rule(text)
    return _out_of_rule(raw)


def _file_minimum(raw: object) -> _Quantity:
    """A minimum cell: blank says nothing (the part keeps its minimum); otherwise a whole
    number from 0 (an export writes a part without a minimum as a blank cell)."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return _Quantity(None)
    value: int | None = None
    if isinstance(raw, int) and not isinstance(raw, bool):
        value = raw
    elif isinstance(raw, float) and math.isfinite(raw) and raw.is_integer():
        value = int(raw)
    elif isinstance(raw, str) and len(raw.strip()) <= 9 and _DIGITS.fullmatch(raw.strip()):
        value = int(raw.strip())
    if value is not None and 0 <= value <= MAX_MIN_UNITS:
        return _Quantity(value)
    return _Quantity(None, Msg("qr.upload.minimum_rule_got", max_units=MAX_MIN_UNITS,
                               value=_shown(raw.strip() if isinstance(raw, str) else raw)))


def _json_minimum(raw: object) -> _Quantity:
    if raw is None:
        return _Quantity(None)
    if isinstance(raw, int) and not isinstance(raw, bool) and 0 <= raw <= MAX_MIN_UNITS:
        return _Quantity(raw)
    return _Quantity(None, Msg("qr.upload.minimum_rule_got", max_units=MAX_MIN_UNITS,
                               value=_shown(raw)))


def _json_quantity(raw: object) -> _Quantity:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return _in_range(raw, raw)
    if raw is None:
        return _Quantity(None, Msg("qr.upload.quantity_required"))
    return _Quantity(None, Msg("qr.upload.quantity_json", max_quantity=MAX_QUANTITY_PER_ROW,
                               json_type=_json_type(raw), value=_shown(raw)))


def _in_range(value: int, shown: object) -> _Quantity:
    if 1 <= value <= MAX_QUANTITY_PER_ROW:
        return _Quantity(value)
    return _out_of_rule(shown)


def _out_of_rule(shown: object) -> _Quantity:
    return _Quantity(None, Msg("qr.upload.quantity_rule_got",
                               max_quantity=MAX_QUANTITY_PER_ROW, value=_shown(shown)))


def _part_name(raw: object, *, strict: bool) -> str:
    """Trimmed, NFC-normalised text. A spreadsheet may hold a name as a number; JSON may
    not (strict)."""
    if isinstance(raw, str):
        text = raw
    elif not strict and isinstance(raw, int) and not isinstance(raw, bool):
        text = str(raw)
    elif not strict and isinstance(raw, float) and math.isfinite(raw):
        text = str(int(raw)) if raw.is_integer() else repr(raw)
    elif raw is None:
        raise InvalidInput(Msg("qr.part_name.required"))
    else:
        raise InvalidInput(Msg("qr.part_name.not_text", value=_shown(raw)))
    # NFC so that "ç" typed on a Mac (c + combining cedilla) and on Windows are one name.
    text = unicodedata.normalize("NFC", text.strip())
    if not text:
        raise InvalidInput(Msg("qr.part_name.required"))
    if len(text) > MAX_PART_NAME_CHARS:
        raise InvalidInput(Msg("qr.part_name.too_long", max_chars=MAX_PART_NAME_CHARS,
                               length=len(text)))
    if _CONTROL_CHARACTERS.search(text):
        # Names are shown in lists and on labels; a line break or tab in one is a slip.
        raise InvalidInput(Msg("qr.part_name.control_chars"))
    return text


class _RowChecker:
    """Collects every problem of a list, then returns the rows or raises them all."""

    def __init__(self) -> None:
        self.rows: list[PartRow] = []
        self.errors: list[RowError] = []
        self._first_row_of: dict[str, int] = {}
        self._units = 0

    def add_error(self, row: int, column: str | None, reason: Msg) -> None:
        self.errors.append(RowError(row, column, reason))

    def check(self, row: int, raw_code: object, raw_name: object, quantity: _Quantity, *,
              strict_name: bool, minimum: _Quantity | None = None) -> None:
        errors_before = len(self.errors)
        code = self._part_code(row, raw_code)
        name: str | None = None
        try:
            name = _part_name(raw_name, strict=strict_name)
        except InvalidInput as err:
            self.add_error(row, "part_name", err.message)
        if quantity.value is None:
            self.add_error(row, "quantity", quantity.problem or _QUANTITY_RULE)
        else:
            # Counted even when another cell of the row is wrong, so the total reported is
            # what the person asked for.
            self._units += quantity.value
        if minimum is not None and minimum.problem is not None:
            self.add_error(row, MIN_UNITS, minimum.problem)
        if len(self.errors) == errors_before:
            assert code is not None and name is not None and quantity.value is not None
            self.rows.append(PartRow(row, code, name, quantity.value,
                                     minimum.value if minimum is not None else None))

    def _part_code(self, row: int, raw: object) -> str | None:
        if _is_blank(raw):
            self.add_error(row, "part_code", Msg("qr.part_code.required"))
            return None
        try:
            code = ids.normalize_part_code(raw)
        except InvalidInput as err:
            self.add_error(row, "part_code", err.message)
            return None
        first = self._first_row_of.setdefault(code, row)
        if first != row:
            self.add_error(row, "part_code", Msg("qr.upload.duplicate_code", code=code,
                                                 row=first))
            return None
        return code

    def result(self) -> list[PartRow]:
        over_units = self._units > MAX_UNITS_PER_UPLOAD
        if not self.errors and not over_units:
            return self.rows
        summary: list[Msg] = []
        details: dict[str, Any] = {}
        if over_units:
            summary.append(Msg("qr.upload.too_many_units", units=self._units,
                               max_units=MAX_UNITS_PER_UPLOAD))
            details.update(total_units=self._units, max_units=MAX_UNITS_PER_UPLOAD)
        if self.errors:
            bad_rows = len({e.row for e in self.errors})
            summary.append(Msg("qr.upload.rows_with_problems.one", count=bad_rows)
                           if bad_rows == 1 else
                           Msg("qr.upload.rows_with_problems.other", count=bad_rows))
        details["errors"] = [e.as_dict() for e in self.errors[:MAX_REPORTED_ERRORS]]
        details["error_count"] = len(self.errors)
        raise InvalidInput(Msg("qr.upload.nothing_imported",
                               problems=chain("common.clauses", summary)), details=details)


def _shown(value: object, limit: int = 40) -> str:
    if isinstance(value, int) and value.bit_length() > 128:  # str() refuses > 4300 digits
        return Msg("qr.upload.number_too_large_to_show")
    text = value if isinstance(value, str) else str(value)
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _json_type(value: object) -> str:
    if value is None:
        return Msg("json.null")
    if isinstance(value, bool):
        return Msg("json.boolean")
    if isinstance(value, (int, float)):
        return Msg("json.number")
    if isinstance(value, str):
        return Msg("json.string")
    if isinstance(value, list):
        return Msg("json.list")
    if isinstance(value, dict):
        return Msg("json.object")
    return type(value).__name__
