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
from qr import ids

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

COLUMNS = ("part_code", "part_name", "quantity")
_EXPECTED = "expected exactly part_code, part_name, quantity"
FORMAT_MESSAGE = "Upload a .xlsx or .csv file with the columns part_code, part_name, quantity"
NO_ROWS_MESSAGE = "The parts list has no rows"
UTF8_MESSAGE = "Save the CSV as UTF-8 (in Excel: Save As > CSV UTF-8) and upload it again"

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


@dataclass(frozen=True)
class RowError:
    row: int
    column: str | None
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.row, "column": self.column, "reason": self.reason}


# -- entry points -------------------------------------------------------------------------


def parse_parts_upload(filename: str | None, content: bytes) -> list[PartRow]:
    """Parse an uploaded .xlsx or .csv file. The content decides the format; the name only
    has to agree with it (no name at all is fine: some clients send none)."""
    if len(content) > MAX_FILE_BYTES:  # before any copy or parse
        megabytes = math.ceil(len(content) * 10 / 1024 / 1024) / 10
        raise PayloadTooLarge(f"The file is {megabytes:.1f} MB; the limit is "
                              f"{MAX_FILE_BYTES // 1024 // 1024} MB")
    content = bytes(content)
    extension = _extension(filename)
    if extension not in (".xlsx", ".csv", ""):
        raise InvalidInput(FORMAT_MESSAGE)
    if content.startswith(_ZIP_MAGIC):
        if extension == ".csv":
            raise InvalidInput(f"The file is named .csv but is not a CSV file. {FORMAT_MESSAGE}")
        with closing(_xlsx_records(content)) as records:
            return _rows_from_table(records)
    if extension == ".xlsx":
        if not content.strip():
            raise InvalidInput(NO_ROWS_MESSAGE)
        if content.startswith(_OLE_MAGIC):
            raise InvalidInput(
                "The file is an old .xls workbook or a password-protected .xlsx; remove the "
                f"password or save it as .xlsx. {FORMAT_MESSAGE}")
        raise InvalidInput(f"The file is named .xlsx but is not an Excel workbook. "
                           f"{FORMAT_MESSAGE}")
    with closing(_csv_records(content)) as records:
        return _rows_from_table(records)


def parse_parts_json(body: object) -> list[PartRow]:
    """Parse `{"parts": [{"part_code", "part_name", "quantity"}, ...]}`. JSON has types, so
    they are held to: quantity must be a JSON integer (not "5", not 5.0)."""
    if not isinstance(body, dict):
        raise InvalidInput('Send the parts list as JSON {"parts": [{"part_code": ..., '
                           '"part_name": ..., "quantity": ...}, ...]}')
    extra = sorted(str(k) for k in body if k != "parts")
    if extra:
        raise InvalidInput(f"Unexpected field(s): {', '.join(extra)}; expected only \"parts\"")
    parts = body.get("parts")
    if not isinstance(parts, list):
        raise InvalidInput('"parts" must be a list of rows, each an object with part_code, '
                           'part_name and quantity')
    if not parts:
        raise InvalidInput(NO_ROWS_MESSAGE)
    _check_row_count(len(parts))

    checker = _RowChecker()
    for number, item in enumerate(parts, start=1):
        if not isinstance(item, dict):
            checker.add_error(number, None, "each row must be an object with part_code, "
                                            f"part_name and quantity, got {_json_type(item)}")
            continue
        keys_ok = True
        for key in sorted(str(k) for k in item if k not in COLUMNS):
            checker.add_error(number, key, f"unexpected field {key!r}; {_EXPECTED}")
        for column in COLUMNS:
            if column not in item:
                checker.add_error(number, column, f"{column} is missing")
                keys_ok = False
        if keys_ok:
            checker.check(number, item["part_code"], item["part_name"],
                          _json_quantity(item["quantity"]), strict_name=True)
    return checker.result()


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


_DAMAGED_XLSX = ("The .xlsx file could not be read; it may be damaged. Open it in Excel, "
                 "save it again as .xlsx and upload it again")


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
        raise InvalidInput(f"The .xlsx file is damaged (it is not a valid zip archive). "
                           f"{FORMAT_MESSAGE}") from err
    if len(members) > MAX_ZIP_MEMBERS:
        raise _too_many_members(len(members))
    total = sum(m.file_size for m in members)
    if total > MAX_UNCOMPRESSED_BYTES:
        raise InvalidInput(
            f"The .xlsx file unpacks to {total / 1024 / 1024:.0f} MB; the limit is "
            f"{MAX_UNCOMPRESSED_BYTES // 1024 // 1024} MB. Remove other sheets and images")
    for member in members:
        if member.file_size > RATIO_CHECKED_FROM_BYTES and (
                member.file_size > member.compress_size * MAX_COMPRESSION_RATIO):
            raise InvalidInput(
                f"The .xlsx file contains a part compressed more than "
                f"{MAX_COMPRESSION_RATIO}:1, which a real workbook never needs; it is refused")
    if "xl/workbook.xml" not in names:
        raise InvalidInput(f"The file is a zip archive but not an Excel workbook. "
                           f"{FORMAT_MESSAGE}")


def _too_many_members(count: int) -> InvalidInput:
    return InvalidInput(f"The .xlsx file has {count} parts inside; a workbook with more than "
                        f"{MAX_ZIP_MEMBERS} is refused")


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
            raise InvalidInput(f"The CSV could not be read near line {reader.line_num}: "
                               f"{err}") from err
        number += 1
        yield number, fields


def _decode_csv(content: bytes) -> str:
    if content.startswith(_UTF16_BOMS):
        raise InvalidInput(f"The CSV is saved as UTF-16. {UTF8_MESSAGE}")
    if content.startswith(_BINARY_MAGICS) or b"\x00" in content[:8192]:
        raise InvalidInput(FORMAT_MESSAGE)
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        raise InvalidInput(f"The CSV is not UTF-8. {UTF8_MESSAGE}") from err
    if "\x00" in text:
        raise InvalidInput(FORMAT_MESSAGE)
    return text


def _delimiter(text: str) -> str:
    """',' or ';' (Excel in a Turkish or German locale writes ';'): whichever splits the
    first line into more of the expected column names, then into more fields."""
    first_line = text.lstrip("\r\n").split("\n", 1)[0]

    def score(delimiter: str) -> tuple[int, int]:
        names = [n.strip().casefold() for n in first_line.split(delimiter)]
        return sum(1 for n in names if n in COLUMNS), len(names)

    return ";" if score(";") > score(",") else ","


# -- the table (both file formats) --------------------------------------------------------


def _rows_from_table(records: Iterator[tuple[int, Sequence[object]]]) -> list[PartRow]:
    header: tuple[int, Sequence[object]] | None = None
    for number, values in records:
        if not _is_blank_row(values):
            header = (number, values)
            break
    if header is None:
        raise InvalidInput(NO_ROWS_MESSAGE)
    header_row, header_values = header
    positions = _column_positions(header_row, header_values)

    checker = _RowChecker()
    named = set(positions.values())
    data_rows = 0
    for number, values in records:
        if _is_blank_row(values):
            continue
        data_rows += 1
        _check_row_count(data_rows)
        for index, value in enumerate(values):
            if index not in named and not _is_blank(value):
                checker.add_error(number, None, f"cell {_column_letter(index)}{number} has a "
                                                f"value but its column has no header; "
                                                f"{_EXPECTED}")
        code, name, quantity = (_cell(values, positions[c]) for c in COLUMNS)
        checker.check(number, code, name, _file_quantity(quantity), strict_name=False)
    if data_rows == 0:
        raise InvalidInput(NO_ROWS_MESSAGE)
    return checker.result()


def _column_positions(header_row: int, values: Sequence[object]) -> dict[str, int]:
    """Map each expected column to its index. Blank header cells are allowed (trailing
    formatted cells are common); anything else must be exactly the three columns."""
    positions: dict[str, int] = {}
    unexpected: list[str] = []
    duplicates: list[str] = []
    for index, value in enumerate(values):
        if _is_blank(value):
            continue
        name = str(value).strip()
        key = name.casefold()
        if key not in COLUMNS:
            unexpected.append(name)
        elif key in positions:
            duplicates.append(key)
        else:
            positions[key] = index
    missing = [c for c in COLUMNS if c not in positions]
    if not missing and not unexpected and not duplicates:
        return positions
    if len(missing) == len(COLUMNS):
        found = ", ".join(unexpected[:10]) or "nothing"
        problems = [f"The first row must be the header with the columns part_code, part_name, "
                    f"quantity; found {found}"]
    else:
        problems = []
        if missing:
            problems.append(f"Missing column(s): {', '.join(missing)}")
        if unexpected:
            problems.append(f"Unexpected column(s): {', '.join(unexpected)}; {_EXPECTED}")
        if duplicates:
            problems.append(f"Duplicate column(s): {', '.join(sorted(set(duplicates)))}")
    errors = [RowError(header_row, None, p) for p in problems]
    raise InvalidInput(". ".join(problems),
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
        raise InvalidInput(f"The parts list has more than {MAX_ROWS} rows; split it into "
                           "smaller lists")


# -- one row --------------------------------------------------------------------------------

_QUANTITY_RULE = f"quantity must be a whole number from 1 to {MAX_QUANTITY_PER_ROW}"


@dataclass(frozen=True)
class _Quantity:
    """A parsed quantity, or the reason it is not one."""

    value: int | None
    problem: str | None = None


def _file_quantity(raw: object) -> _Quantity:
    """A spreadsheet or CSV cell. Text must be plain digits: "1.000" means one thousand to a
    Turkish reader and one to Python, so a separator is refused rather than guessed at."""
    if isinstance(raw, bool):
        return _Quantity(None, f"{_QUANTITY_RULE}, got {_shown(raw)}")
    if isinstance(raw, int):
        return _in_range(raw, raw)
    if isinstance(raw, float):
        if math.isfinite(raw) and raw.is_integer():
            return _in_range(int(raw), raw)
        return _Quantity(None, f"{_QUANTITY_RULE}, got {_shown(raw)}")
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return _Quantity(None, "quantity is required")
    if isinstance(raw, str):
        text = raw.strip()
        if len(text) <= 9 and _DIGITS.fullmatch(text):  # 9 digits: int() stays cheap
            return _in_range(int(text), text)
        return _Quantity(None, f"{_QUANTITY_RULE}, got {_shown(text)}")
    return _Quantity(None, f"{_QUANTITY_RULE}, got {_shown(raw)}")


def _json_quantity(raw: object) -> _Quantity:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return _in_range(raw, raw)
    if raw is None:
        return _Quantity(None, "quantity is required")
    return _Quantity(None, f"{_QUANTITY_RULE} written as a JSON integer (not a string or a "
                           f"decimal), got {_json_type(raw)} {_shown(raw)}")


def _in_range(value: int, shown: object) -> _Quantity:
    if 1 <= value <= MAX_QUANTITY_PER_ROW:
        return _Quantity(value)
    return _Quantity(None, f"{_QUANTITY_RULE}, got {_shown(shown)}")


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
        raise InvalidInput("part_name is required")
    else:
        raise InvalidInput(f"part_name must be text, got {_shown(raw)}")
    # NFC so that "ç" typed on a Mac (c + combining cedilla) and on Windows are one name.
    text = unicodedata.normalize("NFC", text.strip())
    if not text:
        raise InvalidInput("part_name is required")
    if len(text) > MAX_PART_NAME_CHARS:
        raise InvalidInput(
            f"part_name may be at most {MAX_PART_NAME_CHARS} characters, got {len(text)}")
    if _CONTROL_CHARACTERS.search(text):
        # Names are shown in lists and on labels; a line break or tab in one is a slip.
        raise InvalidInput("part_name may not contain control characters such as line "
                           "breaks or tabs")
    return text


class _RowChecker:
    """Collects every problem of a list, then returns the rows or raises them all."""

    def __init__(self) -> None:
        self.rows: list[PartRow] = []
        self.errors: list[RowError] = []
        self._first_row_of: dict[str, int] = {}
        self._units = 0

    def add_error(self, row: int, column: str | None, reason: str) -> None:
        self.errors.append(RowError(row, column, reason))

    def check(self, row: int, raw_code: object, raw_name: object, quantity: _Quantity, *,
              strict_name: bool) -> None:
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
        if len(self.errors) == errors_before:
            assert code is not None and name is not None and quantity.value is not None
            self.rows.append(PartRow(row, code, name, quantity.value))

    def _part_code(self, row: int, raw: object) -> str | None:
        if _is_blank(raw):
            self.add_error(row, "part_code", "part_code is required")
            return None
        try:
            code = ids.normalize_part_code(raw)
        except InvalidInput as err:
            self.add_error(row, "part_code", err.message)
            return None
        first = self._first_row_of.setdefault(code, row)
        if first != row:
            self.add_error(row, "part_code", f"part_code {code} already on row {first}")
            return None
        return code

    def result(self) -> list[PartRow]:
        over_units = self._units > MAX_UNITS_PER_UPLOAD
        if not self.errors and not over_units:
            return self.rows
        summary: list[str] = []
        details: dict[str, Any] = {}
        if over_units:
            summary.append(f"The list asks for {self._units} units; at most "
                           f"{MAX_UNITS_PER_UPLOAD} can be imported at once, so split it")
            details.update(total_units=self._units, max_units=MAX_UNITS_PER_UPLOAD)
        if self.errors:
            bad_rows = len({e.row for e in self.errors})
            summary.append(f"{bad_rows} row{'s have' if bad_rows != 1 else ' has'} problems")
        details["errors"] = [e.as_dict() for e in self.errors[:MAX_REPORTED_ERRORS]]
        details["error_count"] = len(self.errors)
        raise InvalidInput("; ".join(summary) + "; nothing was imported", details=details)


def _shown(value: object, limit: int = 40) -> str:
    if isinstance(value, int) and value.bit_length() > 128:  # str() refuses > 4300 digits
        return "a number too large to show"
    text = value if isinstance(value, str) else str(value)
    return repr(text if len(text) <= limit else text[:limit] + "…")


def _json_type(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
