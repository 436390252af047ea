"""The streaming .xlsx writer (infra/xlsx_stream.py) and the deflated streaming ZIP under it:
the bytes are opened with zipfile and openpyxl and read back, the sheet is produced while
its rows are still being read, and memory stays flat however many rows there are."""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import struct
import tracemalloc
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from xml.etree import ElementTree

import openpyxl
import pytest
from openpyxl.worksheet.worksheet import Worksheet

from infra.xlsx_stream import (
    MAX_EXACT_INT,
    column_letters,
    sanitize_title,
    stream_xlsx,
)
from infra.zip_stream import CHUNK_SIZE, stream_zip_deflated

MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
PARTS = ["[Content_Types].xml", "_rels/.rels", "xl/workbook.xml",
         "xl/_rels/workbook.xml.rels", "xl/styles.xml", "xl/worksheets/sheet1.xml"]
HEADER = ["part_code", "part_name", "quantity"]
ISTANBUL = dt.timezone(dt.timedelta(hours=3))
NEW_YORK_WINTER = dt.timezone(dt.timedelta(hours=-5))
ESCAPE = re.compile("_x([0-9A-Fa-f]{4})_")


def xlsx(rows: Iterable[Sequence[object]], header: Sequence[str] = HEADER,
         title: str = "Inventory", column_widths: Sequence[float] | None = None) -> bytes:
    return b"".join(stream_xlsx(title, header, rows, column_widths=column_widths))


def sheet_of(data: bytes) -> Worksheet:
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert isinstance(sheet, Worksheet)
    return sheet


def row_values(data: bytes, row: int = 2) -> list[object]:
    return [cell.value for cell in sheet_of(data)[row]]


def sheet_xml(data: bytes) -> ElementTree.Element:
    return ElementTree.fromstring(zipfile.ZipFile(io.BytesIO(data)).read(PARTS[-1]))


def xml_cell(data: bytes, ref: str) -> ElementTree.Element | None:
    return next((c for c in sheet_xml(data).iter(f"{MAIN}c") if c.get("r") == ref), None)


def decode_ooxml(text: str) -> str:
    """What Excel shows for an ST_Xstring (ECMA-376 Part 1, 22.4.2.4): `_xHHHH_` is the
    character HHHH. openpyxl does not decode these, so the tests do it."""
    return ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), text)


def rows_of(count: int, record: list[int] | None = None) -> Iterator[tuple[object, ...]]:
    """`count` inventory-like rows; `record[0]` says how many were read so far."""
    for index in range(count):
        if record is not None:
            record[0] = index + 1
        yield (f"PART-{index:06d}", index, index * 0.5)


# -- the package ------------------------------------------------------------------------------


def test_the_package_holds_exactly_the_six_parts_deflated_and_well_formed() -> None:
    data = xlsx([["BOLT-8", "Cıvata", 3]])
    archive = zipfile.ZipFile(io.BytesIO(data))
    assert archive.testzip() is None
    assert archive.namelist() == PARTS
    for info in archive.infolist():
        assert info.compress_type == zipfile.ZIP_DEFLATED
        assert info.date_time == (2020, 1, 1, 0, 0, 0)
        ElementTree.fromstring(archive.read(info))  # every part is well-formed XML
    assert b"sharedStrings" not in data


def test_the_same_input_gives_the_same_bytes() -> None:
    rows = [["BOLT-8", "Çelik vida", 3, 2.5, True, None, dt.datetime(2024, 5, 6, 7, 8, 9),
             dt.date(2024, 1, 2)]] * 50
    assert xlsx(rows) == xlsx(rows)
    assert xlsx(rows) != xlsx(rows[:-1])


def test_an_empty_export_is_the_header_alone() -> None:
    data = xlsx([])
    sheet = sheet_of(data)
    assert [[cell.value for cell in row] for row in sheet.iter_rows()] == [HEADER]


# -- values and their types -----------------------------------------------------------------


@pytest.mark.parametrize("text", [
    "ÇĞİÖŞÜ çğıöşü", "Çelik vida ğüşıöİ – M8×20", "<&>\"'", "a]]>b", "  leading",
    "trailing  ", "\tboth\n", "line one\nline two", "tab\there", "x\r\ny", "lone\rCR",
    "'=1+1", "", "😀 emoji", "_x", "x_y_",
])
def test_text_reads_back_exactly(text: str) -> None:
    assert row_values(xlsx([[text]], header=["h"])) == [text]


def test_leading_and_trailing_whitespace_is_marked_preserved() -> None:
    data = xlsx([["  both  ", "plain"]], header=["a", "b"])
    space = "{http://www.w3.org/XML/1998/namespace}space"
    padded = xml_cell(data, "A2")
    plain = xml_cell(data, "B2")
    assert padded is not None and plain is not None
    assert padded.get("t") == plain.get("t") == "inlineStr"
    assert padded.find(f"{MAIN}is/{MAIN}t").get(space) == "preserve"  # type: ignore[union-attr]
    assert plain.find(f"{MAIN}is/{MAIN}t").get(space) is None  # type: ignore[union-attr]


@pytest.mark.parametrize(("text", "written"), [
    ("a\x01b", "a_x0001_b"),
    ("\x00\x08\x0b\x0c\x0e\x1f", "_x0000__x0008__x000B__x000C__x000E__x001F_"),
    ("bell\x07", "bell_x0007_"),
    ("\ufffe\uffff", "_xFFFE__xFFFF_"),
    # A literal escape in the text gets its underscore escaped, so Excel shows it as typed.
    ("_x0041_", "_x005F_x0041_"),
    ("code_x00e7_", "code_x005F_x00e7_"),
    ("a\x02_x0041_", "a_x0002__x005F_x0041_"),
])
def test_characters_xml_cannot_carry_are_escaped_as_ooxml_and_nothing_is_lost(
        text: str, written: str) -> None:
    data = xlsx([[text]], header=["h"])
    assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None
    [value] = row_values(data)
    assert value == written  # openpyxl shows the escapes as they are in the file
    assert decode_ooxml(value) == text  # a spreadsheet that decodes them shows the text


def test_a_lone_surrogate_becomes_the_replacement_character() -> None:
    assert row_values(xlsx([["a\ud800b"]], header=["h"])) == ["a\ufffdb"]


def test_numbers_and_booleans_keep_their_types() -> None:
    values: list[object] = [0, -2, 42, MAX_EXACT_INT, -MAX_EXACT_INT, 2.5, -0.125, 1e-9,
                            1.5e300, True, False]
    data = xlsx([values], header=[f"h{i}" for i in range(len(values))])
    back = row_values(data)
    assert back == values
    assert [type(value) for value in back] == [type(value) for value in values]
    assert xml_cell(data, "J2").get("t") == "b"  # type: ignore[union-attr]


def test_numbers_a_spreadsheet_would_change_are_written_as_their_text() -> None:
    values: list[object] = [MAX_EXACT_INT + 1, -(10**30), float("inf"), float("-inf"),
                            float("nan")]
    back = row_values(xlsx([values], header=[f"h{i}" for i in range(len(values))]))
    assert back == [str(MAX_EXACT_INT + 1), str(-(10**30)), "inf", "-inf", "nan"]


def test_none_leaves_a_gap_and_later_cells_keep_their_columns() -> None:
    data = xlsx([[None, "b", None, None, 5, None]], header=list("ABCDEF"))
    assert row_values(data) == [None, "b", None, None, 5, None]
    refs = [cell.get("r") for cell in sheet_xml(data).iter(f"{MAIN}c")]
    assert refs == ["A1", "B1", "C1", "D1", "E1", "F1", "B2", "E2"]


def test_rows_longer_and_shorter_than_the_header() -> None:
    data = xlsx([list(range(30)), [1], []], header=["only"])
    sheet = sheet_of(data)
    assert sheet["AD2"].value == 29
    assert [cell.value for cell in sheet[2]] == list(range(30))
    assert sheet["A3"].value == 1
    assert sheet.max_row == 3  # the empty row is there, with no cells


def test_other_values_are_written_as_their_text() -> None:
    from decimal import Decimal

    values: list[object] = [Decimal("-7.25"), dt.time(10, 30), b"raw", ["a", 1]]
    back = row_values(xlsx([values], header=[f"h{i}" for i in range(len(values))]))
    assert back == ["-7.25", "10:30:00", "b'raw'", "['a', 1]"]


def test_text_that_looks_like_a_formula_is_never_a_formula_cell() -> None:
    data = xlsx([["=1+1", '=HYPERLINK("http://evil.example/","x")', "@SUM(A1)"]])
    assert not list(sheet_xml(data).iter(f"{MAIN}f"))
    assert {cell.get("t") for cell in sheet_xml(data).iter(f"{MAIN}c")} == {"inlineStr"}


# -- dates and times ------------------------------------------------------------------------


@pytest.mark.parametrize("moment", [
    dt.datetime(2024, 5, 6, 7, 8, 9),
    dt.datetime(2024, 12, 31, 23, 59, 59),
    dt.datetime(2000, 2, 29, 0, 0, 0),
    dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=ISTANBUL),
    dt.datetime(2024, 1, 6, 23, 30, 0, tzinfo=NEW_YORK_WINTER),
    dt.datetime(2024, 5, 6, 0, 0, 1, tzinfo=dt.UTC),
    dt.datetime(1900, 3, 1, 12, 0, 0),
])
def test_a_datetime_is_a_date_cell_of_its_wall_clock_time(moment: dt.datetime) -> None:
    data = xlsx([[moment]], header=["when"])
    cell = sheet_of(data)["A2"]
    assert cell.is_date
    assert cell.number_format == "yyyy-mm-dd hh:mm"
    assert cell.value == moment.replace(tzinfo=None)  # the wall clock in its own zone


def test_a_datetime_keeps_its_fraction_of_a_second_to_the_millisecond() -> None:
    moment = dt.datetime(2024, 5, 6, 7, 8, 9, 250_000)
    assert row_values(xlsx([[moment]], header=["when"])) == [moment]


def test_an_aware_datetime_is_not_converted_to_utc() -> None:
    # The same instant in two zones: two different wall-clock times in the file.
    instant = dt.datetime(2024, 5, 6, 21, 30, tzinfo=dt.UTC)
    back = row_values(xlsx([[instant, instant.astimezone(ISTANBUL)]], header=["utc", "tr"]))
    assert back == [dt.datetime(2024, 5, 6, 21, 30), dt.datetime(2024, 5, 7, 0, 30)]


@pytest.mark.parametrize(("day", "serial"), [
    (dt.date(2024, 1, 2), 45293),
    (dt.date(1900, 1, 1), 1),
    (dt.date(1900, 2, 28), 59),  # Excel's serial 60 is its 1900-02-29, a day that never was
    (dt.date(1900, 3, 1), 61),
    (dt.date(9999, 12, 31), 2958465),
])
def test_a_date_is_a_date_only_cell_with_excel_s_serial(day: dt.date, serial: int) -> None:
    data = xlsx([[day]], header=["day"])
    cell = sheet_of(data)["A2"]
    assert cell.is_date
    assert cell.number_format == "yyyy-mm-dd"
    assert cell.value == dt.datetime.combine(day, dt.time())
    assert xml_cell(data, "A2").findtext(f"{MAIN}v") == str(serial)  # type: ignore[union-attr]


def test_dates_before_excel_s_calendar_are_written_as_iso_text() -> None:
    back = row_values(xlsx([[dt.date(1899, 12, 31), dt.datetime(1066, 10, 14, 9, 0)]],
                           header=["a", "b"]))
    assert back == ["1899-12-31", "1066-10-14T09:00:00"]


# -- the sheet: header, frozen pane, widths, title -------------------------------------------


def test_the_header_row_is_bold_and_frozen() -> None:
    sheet = sheet_of(xlsx([["BOLT-8", "Cıvata", 3]]))
    assert [cell.value for cell in sheet[1]] == HEADER
    assert all(cell.font.b for cell in sheet[1])
    assert not any(cell.font.b for cell in sheet[2])
    assert sheet.freeze_panes == "A2"
    assert sheet.sheet_view.pane.state == "frozen"
    assert sheet.sheet_view.pane.activePane == "bottomLeft"


def test_the_header_is_text_even_when_it_looks_like_something_else() -> None:
    header = ["Ürün kodu", " Adı ", "=miktar", "1"]
    assert row_values(xlsx([], header=header), row=1) == header


def test_column_widths_are_set() -> None:
    sheet = sheet_of(xlsx([["a", "b", "c"]], column_widths=[12, 40.5, 8.25]))
    assert [sheet.column_dimensions[letter].width for letter in "ABC"] == [12, 40.5, 8.25]
    assert sheet.column_dimensions["A"].customWidth


def test_without_widths_there_is_no_cols_element() -> None:
    assert sheet_xml(xlsx([["a"]])).find(f"{MAIN}cols") is None


@pytest.mark.parametrize("widths", [[-1], [256], [float("nan")], [10, float("inf")]])
def test_a_bad_width_is_refused_before_anything_is_produced(widths: list[float]) -> None:
    read: list[int] = [0]
    with pytest.raises(ValueError, match="column width"):
        stream_xlsx("S", HEADER, rows_of(10, read), column_widths=widths)
    assert read == [0]


@pytest.mark.parametrize(("title", "sanitized"), [
    ("Inventory", "Inventory"),
    ("Stok: Depo/A [2024]*?\\", "Stok_ Depo_A _2024____"),
    ("Envanter sayımı — İstanbul deposu 2024", "Envanter sayımı — İstanbul depo"),
    ("'quoted'", "quoted"),
    ("", "Sheet1"),
    ("   ", "Sheet1"),
    ("''", "Sheet1"),
    ("tab\there\x00", "tabhere"),
    ("History", "History_"),
    ("😀" * 20, "😀" * 15),  # 31 UTF-16 units at most: 15 emoji are 30
    ("A & <B> \"C\"", "A & <B> \"C\""),
])
def test_the_sheet_title_is_sanitized(title: str, sanitized: str) -> None:
    assert sanitize_title(title) == sanitized
    assert len(sanitized.encode("utf-16-le")) <= 62
    assert openpyxl.load_workbook(io.BytesIO(xlsx([], title=title))).sheetnames == [sanitized]


@pytest.mark.parametrize(("index", "letters"), [
    (0, "A"), (25, "Z"), (26, "AA"), (51, "AZ"), (701, "ZZ"), (702, "AAA"), (16383, "XFD"),
])
def test_column_letters(index: int, letters: str) -> None:
    assert column_letters(index) == letters


# -- streaming --------------------------------------------------------------------------------


def test_the_first_chunk_comes_while_most_rows_are_still_unread() -> None:
    total = 200_000
    read: list[int] = [0]
    stream = stream_xlsx("Inventory", HEADER, rows_of(total, read))
    assert read == [0]  # nothing is read before the first chunk is asked for
    first = next(stream)
    read_at_first = read[0]
    sizes = [len(first)] + [len(chunk) for chunk in stream]
    assert 0 < read_at_first < total // 10
    assert read == [total]
    assert len(sizes) > 20
    # about 64 KiB each (zlib hands its output over in bursts), the last one shorter
    assert all(CHUNK_SIZE <= size < 4 * CHUNK_SIZE for size in sizes[:-1])
    assert 0 < sizes[-1] < 4 * CHUNK_SIZE


def test_memory_stays_flat_however_many_rows() -> None:
    def peak_and_size(count: int) -> tuple[int, int]:
        # One column keeps the test quick: tracemalloc slows every allocation down.
        rows = ((f"PART-{index:06d}",) for index in range(count))
        size = 0
        tracemalloc.start()
        try:
            for chunk in stream_xlsx("Inventory", ["part_code"], rows):
                size += len(chunk)  # the chunks are sent on, not kept
            return tracemalloc.get_traced_memory()[1], size
        finally:
            tracemalloc.stop()

    small_peak, small_size = peak_and_size(20_000)
    peak, size = peak_and_size(200_000)
    # Measured: a peak of about 0.85 MB for both; for 200,000 rows the sheet XML is about
    # 15 MB and the output 1.5 MB. Were either kept, the peak would grow with the rows.
    assert size > 9 * small_size
    assert peak < 2 * 2**20
    assert peak < small_peak + 256 * 2**10  # ten times the rows, the same peak


# -- the deflated streaming ZIP ----------------------------------------------------------------


def test_a_deflated_zip_streams_entries_from_their_pieces() -> None:
    pieces = [random.Random(seed).randbytes(4096) for seed in range(20)]  # incompressible
    entries = [("one.xml", iter(pieces)), ("empty.txt", iter([])), ("ş/ü.txt", [b"x"])]
    chunks = list(stream_zip_deflated(entries, chunk_size=1024))
    archive = zipfile.ZipFile(io.BytesIO(b"".join(chunks)))
    assert archive.testzip() is None
    assert archive.namelist() == ["one.xml", "empty.txt", "ş/ü.txt"]
    assert archive.read("one.xml") == b"".join(pieces)
    assert archive.read("empty.txt") == b""
    assert archive.read("ş/ü.txt") == b"x"
    assert len(chunks) > 3


def test_the_local_headers_are_plain_zip_2_0_with_a_data_descriptor() -> None:
    """The streaming form every reader accepts, Excel included: sizes zero in the local
    header, no ZIP64 extra field, a 32-bit data descriptor after the data."""
    data = xlsx(rows_of(100))
    archive = zipfile.ZipFile(io.BytesIO(data))
    for info in archive.infolist():
        header = data[info.header_offset:info.header_offset + 30]
        (signature, version, flags, method, _time, _date, crc, compressed, size, _name_len,
         extra_len) = struct.unpack("<IHHHHHIIIHH", header)
        assert signature == 0x04034B50
        assert version == 20
        assert flags & 0x08
        assert method == zipfile.ZIP_DEFLATED
        assert (crc, compressed, size, extra_len) == (0, 0, 0, 0)
        end = info.header_offset + 30 + len(info.filename.encode()) + info.compress_size
        assert struct.unpack("<IIII", data[end:end + 16]) == (
            0x08074B50, info.CRC, info.compress_size, info.file_size)


def test_a_chunk_size_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="chunk_size"):
        list(stream_zip_deflated([("a", [b"x"])], chunk_size=0))
