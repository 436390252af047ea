"""Label sheets as a printer and a scanner see them: every preset rendered, rasterised with
pypdfium2, every QR decoded with zxing-cpp back to its qr_id and found inside its own
label cell (quiet zone included), every character inside its label, the text extracted
with pypdf, and the same labels giving the same bytes."""

from __future__ import annotations

import hashlib
import io

import pypdfium2 as pdfium
import pytest
import zxingcpp
from pypdf import PdfReader

from errors import InvalidInput
from qr import render
from qr.label_sheet import (
    MAX_LABELS,
    PT_PER_MM,
    QUIET_MODULES,
    Label,
    SheetOptions,
    _LabelBoxes,
    check_options,
    label_sheet_pdf,
)
from qr.sheet_layouts import LAYOUTS, SheetLayout, layout

DPI = 300
PX_PER_PT = DPI / 72
NAMES = ["Çelik vida M8×20", "Şaft yatağı 6204", "İğne rulman NK 20/16", "Yağ keçesi 35×52",
         "Κοχλίας M8 (Greek)", "Ölçü bloğu ve çok uzun bir açıklama, etiketin sığmayacağı kadar"]


def labels(count: int, prefix: str = "ÇİVİ") -> list[Label]:
    return [Label(f"CIVI-{index:012x}", f"{prefix}-{index % 7}", NAMES[index % len(NAMES)])
            for index in range(count)]


def decoded(pdf: bytes, page: int = 0) -> dict[str, list[tuple[float, float]]]:
    """{qr text: its four corners in pt from the page's top-left}, decoded at 300 dpi."""
    document = pdfium.PdfDocument(pdf)
    image = document[page].render(scale=PX_PER_PT).to_pil()
    found = {}
    for result in zxingcpp.read_barcodes(image):
        corners = [result.position.top_left, result.position.top_right,
                   result.position.bottom_right, result.position.bottom_left]
        found[result.text] = [(p.x / PX_PER_PT, p.y / PX_PER_PT) for p in corners]
    return found


PLAIN = SheetOptions()


def cell_pt(sheet: SheetLayout, slot: int, options: SheetOptions = PLAIN
            ) -> tuple[float, float, float, float]:
    """(left, top, right, bottom) of a label cell in pt from the page's top-left."""
    x, y = sheet.cell(slot)
    left, top = (x + options.offset_x_mm) * PT_PER_MM, (y + options.offset_y_mm) * PT_PER_MM
    return (left, top, left + sheet.label_width_mm * PT_PER_MM,
            top + sheet.label_height_mm * PT_PER_MM)


def page_count(sheet: SheetLayout) -> int:
    return 2 if sheet.roll else sheet.per_page


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_every_qr_decodes_to_its_id_inside_its_cell_quiet_zone_included(name: str) -> None:
    sheet = layout(name)
    items = labels(page_count(sheet))
    pdf = label_sheet_pdf(items, sheet)
    boxes = _LabelBoxes(sheet)
    for page in range(2 if sheet.roll else 1):
        on_page = items[page:page + 1] if sheet.roll else items
        found = decoded(pdf, page)
        assert set(found) == {label.qr_id for label in on_page}, name
        for slot, label in enumerate(on_page):
            left, top, right, bottom = cell_pt(sheet, slot if not sheet.roll else 0)
            size, _ = render.module_bits(label.qr_id)
            quiet = QUIET_MODULES * boxes.qr.width / (size + 2 * QUIET_MODULES)
            for x, y in found[label.qr_id]:
                # The symbol plus its 4-module quiet zone lies inside the label (1 px slack
                # for where the decoder puts a corner).
                assert left + quiet - 1 <= x <= right - quiet + 1, (name, slot, x)
                assert top + quiet - 1 <= y <= bottom - quiet + 1, (name, slot, y)


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_text_never_leaves_its_label(name: str) -> None:
    sheet = layout(name)
    items = labels(1 if sheet.roll else sheet.per_page)
    document = pdfium.PdfDocument(label_sheet_pdf(items, sheet))
    page = document[0]
    height = page.get_size()[1]
    text = page.get_textpage()
    cells = [cell_pt(sheet, slot) for slot in range(len(items))]
    assert text.count_chars() > 0
    for index in range(text.count_chars()):
        left, bottom, right, top = text.get_charbox(index)
        if right - left < 0.01:
            continue  # a generated space or line break has no box
        y_top, y_bottom = height - top, height - bottom
        assert any(c[0] - 0.5 <= left and right <= c[2] + 0.5 and c[1] - 0.5 <= y_top
                   and y_bottom <= c[3] + 0.5 for c in cells), (name, index)


def test_turkish_and_greek_text_is_real_text_in_the_pdf() -> None:
    pdf = label_sheet_pdf(labels(14), layout("avery-l7163"))
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    for expected in ("ÇİVİ-3", "Çelik vida M8×20", "Şaft yatağı 6204", "İğne rulman",
                     "Κοχλίας M8", "CIVI-000000000005"):
        assert expected in text, expected


def test_a_name_too_long_is_cut_with_an_ellipsis() -> None:
    pdf = label_sheet_pdf(labels(6)[5:], layout("avery-l7651"))
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "…" in text and NAMES[5] not in text


def test_fields_choose_the_lines() -> None:
    pdf = label_sheet_pdf(labels(1), layout("avery-l7160"),
                          SheetOptions(fields=("qr_id",)))
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "CIVI-000000000000" in text and "ÇİVİ" not in text and "Çelik" not in text


def test_skip_starts_at_a_later_position_of_the_first_sheet() -> None:
    sheet = layout("avery-l7160")
    items = labels(3)
    found = decoded(label_sheet_pdf(items, sheet, SheetOptions(skip=5)))
    for slot, label in enumerate(items, start=5):
        left, top, right, bottom = cell_pt(sheet, slot)
        xs = [x for x, _ in found[label.qr_id]]
        ys = [y for _, y in found[label.qr_id]]
        assert left < min(xs) and max(xs) < right and top < min(ys) and max(ys) < bottom


def test_skip_fills_the_first_sheet_then_goes_on_from_the_top() -> None:
    sheet = layout("avery-l7163")  # 14 a sheet
    pdf = label_sheet_pdf(labels(5), sheet, SheetOptions(skip=12))
    assert len(pdfium.PdfDocument(pdf)) == 2
    assert set(decoded(pdf, 1)) == {label.qr_id for label in labels(5)[2:]}


def test_offsets_move_every_label_by_that_many_millimetres() -> None:
    sheet = layout("avery-l7160")
    items = labels(1)
    plain = decoded(label_sheet_pdf(items, sheet))[items[0].qr_id]
    moved = decoded(label_sheet_pdf(items, sheet, SheetOptions(offset_x_mm=5,
                                                               offset_y_mm=-3)))
    shift_x = moved[items[0].qr_id][0][0] - plain[0][0]
    shift_y = moved[items[0].qr_id][0][1] - plain[0][1]
    assert shift_x == pytest.approx(5 * PT_PER_MM, abs=0.5)
    assert shift_y == pytest.approx(-3 * PT_PER_MM, abs=0.5)


def test_the_same_labels_give_the_same_bytes() -> None:
    items = labels(30)
    first = label_sheet_pdf(items, layout("avery-l7160"))
    assert first == label_sheet_pdf(items, layout("avery-l7160"))
    # Pinned: reportlab, the fonts and zlib are pinned, so a change here is a change in
    # what gets printed, or in how.
    assert hashlib.sha256(first).hexdigest() == GOLDEN_L7160_30


# A digest, not a secret.
GOLDEN_L7160_30 = (
    "4c56f8c699bc000bb42e4a97c9c24d3dead7bdde41f5d60b94638fd6b8904275"  # pragma: allowlist secret
)


@pytest.mark.parametrize("count, options, message", [
    (0, SheetOptions(), "No labels match"),
    (MAX_LABELS + 1, SheetOptions(), "more than one sheet file may hold"),
    (1, SheetOptions(skip=-1), "'skip' must be 0 or more"),
    (1, SheetOptions(skip=21), "less than the 21 labels"),
    (1, SheetOptions(offset_x_mm=25), "'offset_x_mm' must be between"),
    (1, SheetOptions(fields=("price",)), "'fields' must list"),
    (1, SheetOptions(fields=("qr_id", "qr_id")), "no repeats"),
])
def test_options_a_sheet_cannot_print_are_refused(count: int, options: SheetOptions,
                                                  message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        check_options(layout("avery-l7160"), options, count)


def test_cjk_falls_back_to_the_standard_cjk_font_and_stays_text() -> None:
    pdf = label_sheet_pdf([Label("u~bkw7h37cji-aaaaaaaaaaaa", "螺丝-8", "螺丝 M8 Çelik")],
                          layout("avery-l7163"))
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "螺丝-8" in text and "螺丝 M8 Çelik" in text
    fonts = {str(f["/BaseFont"]) for f in
             PdfReader(io.BytesIO(pdf)).pages[0]["/Resources"]["/Font"].values()}
    assert any("STSong-Light" in f for f in fonts)  # the CJK run
    assert any("LabelSans" in f or "DejaVu" in f for f in fonts)  # the rest, embedded
