"""Where the QR and the text go inside a label (qr/label_sheet.py's _LabelBoxes), how the
lines of text are sized, placed and left out (_draw_text, on a canvas that records what it
is told) and how one line is fitted to a width (_fit), in exact numbers; test_label_sheet.py
checks whole sheets as a printer and a scanner see them."""

from __future__ import annotations

import pytest

from errors import InvalidInput
from qr.label_sheet import (
    PT_PER_MM,
    SheetOptions,
    _Box,
    _draw_text,
    _fit,
    _LabelBoxes,
    _register_fonts,
    _width,
    check_options,
)
from qr.sheet_layouts import LAYOUTS, SheetLayout

PAD = GAP = 1.5 * PT_PER_MM
BOLD, REGULAR = "LabelSans-Bold", "LabelSans"


def one_label(width_mm: float, height_mm: float) -> SheetLayout:
    return SheetLayout(name="one", title="one", page_width_mm=width_mm,
                       page_height_mm=height_mm, label_width_mm=width_mm,
                       label_height_mm=height_mm, columns=1, rows=1, left_mm=0.0, top_mm=0.0,
                       x_pitch_mm=width_mm, y_pitch_mm=height_mm)


def test_a_landscape_label_has_the_qr_on_the_left_and_the_text_beside_it() -> None:
    boxes = _LabelBoxes(one_label(99.1, 38.1))
    width, height = 99.1 * PT_PER_MM - 2 * PAD, 38.1 * PT_PER_MM - 2 * PAD
    assert boxes.qr == _Box(PAD, PAD, height, height)
    assert boxes.text == pytest.approx(_Box(PAD + height + GAP, PAD, width - height - GAP,
                                            height))


def test_a_label_1_4_times_as_wide_as_high_is_landscape() -> None:
    boxes = _LabelBoxes(one_label(17.0, 13.0))  # 14 x 10 mm inside the padding: exactly 1.4
    assert boxes.qr.x == PAD and boxes.text.top == PAD


def test_a_square_label_has_the_qr_centred_on_top_and_the_text_under_it() -> None:
    boxes = _LabelBoxes(one_label(40.0, 40.0))
    inner = 37.0 * PT_PER_MM
    side = 0.62 * inner
    assert boxes.qr == pytest.approx(_Box(PAD + (inner - side) / 2, PAD, side, side))
    assert boxes.text == pytest.approx(_Box(PAD, PAD + side + GAP, inner,
                                            inner - side - GAP))


def test_a_narrow_label_has_a_qr_as_wide_as_the_label() -> None:
    boxes = _LabelBoxes(one_label(20.0, 60.0))
    inner_w, inner_h = 17.0 * PT_PER_MM, 57.0 * PT_PER_MM
    assert boxes.qr == pytest.approx(_Box(PAD, PAD, inner_w, inner_w))
    assert boxes.text.height == pytest.approx(inner_h - inner_w - GAP)


@pytest.mark.parametrize(("width_mm", "height_mm"), [(4.5, 4.0), (5.0, 5.0)])
def test_a_label_too_small_for_text_has_an_empty_text_box(width_mm: float,
                                                           height_mm: float) -> None:
    boxes = _LabelBoxes(one_label(width_mm, height_mm))
    assert 0.0 in (boxes.text.width, boxes.text.height)


# -- the lines of text -----------------------------------------------------------------------------

class Writer:
    def __init__(self) -> None:
        self.parts: list[str] = []

    def setFont(self, font: str, size: float) -> None:
        self.parts.append(f"{font}@{size}")

    def textOut(self, text: str) -> None:
        self.parts.append(text)

    def getCode(self) -> str:
        return " ".join(self.parts)


class Canvas:
    """What _draw_text asks of reportlab's canvas, recorded."""

    def __init__(self) -> None:
        self.literals: list[str] = []

    def beginText(self) -> Writer:
        return Writer()

    def addLiteral(self, text: str) -> None:
        self.literals.append(text)


LINES = [("part_code", "P-1"), ("part_name", "Vida"), ("qr_id", "P-1-abc")]


def drawn(lines: list[tuple[str, str]], box: _Box, x: float = 10.0, top: float = 100.0
          ) -> list[str]:
    _register_fonts()
    canvas = Canvas()
    _draw_text(canvas, lines, x, top, box)
    return canvas.literals


def test_lines_at_their_largest_sizes_one_under_the_other() -> None:
    assert drawn(LINES, _Box(0, 0, 200.0, 40.0)) == [
        f"q 1 0 0 1 10.00 {100 - 12 + 2.5:.2f} cm {BOLD}@10.0 P-1 Q",
        f"q 1 0 0 1 10.00 {100 - 12 - 9.6 + 2.0:.2f} cm {REGULAR}@8.0 Vida Q",
        f"q 1 0 0 1 10.00 {100 - 12 - 9.6 - 7.2 + 1.5:.2f} cm {REGULAR}@6.0 P-1-abc Q"]


def test_lines_that_need_more_height_are_scaled_down_together() -> None:
    scale = 20.0 / 28.8  # the three lines need 28.8 pt
    sizes = [round(max(4.0, s * scale), 2) for s in (10.0, 8.0, 6.0)]
    assert sizes == [6.94, 5.56, 4.17]
    literals = drawn(LINES, _Box(0, 0, 200.0, 20.0))
    assert [lit.split(" cm ")[1].split(" ")[0] for lit in literals] == [
        f"{BOLD}@6.94", f"{REGULAR}@5.56", f"{REGULAR}@4.17"]
    y = 100.0
    for literal, size in zip(literals, sizes, strict=True):
        y -= size * 1.2
        assert literal.startswith(f"q 1 0 0 1 10.00 {y + 0.25 * size:.2f} cm ")


def test_a_line_with_no_room_left_is_left_out() -> None:
    # Scaled to the smallest size, 4 pt (4.8 pt a line): two lines fit in 10 pt, not three.
    literals = drawn(LINES, _Box(0, 0, 200.0, 10.0))
    assert [lit.split(" cm ")[1] for lit in literals] == [f"{BOLD}@4.0 P-1 Q",
                                                          f"{REGULAR}@4.0 Vida Q"]
    # 15.5 pt scales the lines to 5.38, 4.31 and 4 pt: 16.43 pt in all, the third is out.
    assert len(drawn(LINES, _Box(0, 0, 200.0, 15.5))) == 2
    assert len(drawn(LINES[2:], _Box(0, 0, 200.0, 7.2))) == 1  # exactly one line's height


def test_a_box_too_small_for_any_text_draws_none() -> None:
    assert drawn(LINES, _Box(0, 0, 3.99, 40.0)) == []
    assert drawn(LINES, _Box(0, 0, 200.0, 4.79)) == []
    assert drawn([], _Box(0, 0, 200.0, 40.0)) == []
    assert len(drawn(LINES[2:], _Box(0, 0, 4.0, 4.8))) == 1  # the smallest box that takes one


# -- one line in a width ---------------------------------------------------------------------------

def test_a_line_that_fits_keeps_its_size() -> None:
    _register_fonts()
    natural = _width("Vida M8", REGULAR, 1.0)
    assert _fit("Vida M8", REGULAR, 8.0, natural * 8.0) == ("Vida M8", 8.0)


def test_a_line_too_wide_is_made_smaller_down_to_the_smallest_size() -> None:
    _register_fonts()
    natural = _width("Vida M8", REGULAR, 1.0)
    assert _fit("Vida M8", REGULAR, 8.0, natural * 5.0) == ("Vida M8", pytest.approx(5.0))
    assert _fit("Vida M8", REGULAR, 8.0, natural * 4.0) == ("Vida M8", 4.0)


def test_a_line_too_wide_at_the_smallest_size_is_cut_with_an_ellipsis() -> None:
    _register_fonts()
    text = "Vida M8 galvanizli"
    natural = _width(text, REGULAR, 1.0)
    fitted, size = _fit(text, REGULAR, 8.0, natural * 2.0)
    assert size == 4.0 and fitted.endswith("…") and text.startswith(fitted[:-1])
    assert _width(fitted, REGULAR, 4.0) <= natural * 2.0
    longer = fitted[:-1] + text[len(fitted) - 1] + "…"
    assert _width(longer, REGULAR, 4.0) > natural * 2.0  # the longest prefix that fits
    assert _fit(text, REGULAR, 8.0, 1.0) == ("", 4.0)  # not even one letter fits


def test_a_cut_line_loses_its_trailing_spaces_before_the_ellipsis() -> None:
    _register_fonts()
    text = "ab    cdefghijkl"
    width = _width("ab  …", REGULAR, 4.0)
    assert _fit(text, REGULAR, 8.0, width)[0] == "ab…"


# -- the options a sheet can print -----------------------------------------------------------------

def refusal(options: SheetOptions, count: int = 1) -> tuple[str, dict[str, object]]:
    with pytest.raises(InvalidInput) as err:
        check_options(LAYOUTS["avery-l7160"], options, count)
    return err.value.message.code, err.value.message.params


def test_the_limits_of_a_sheet_are_allowed() -> None:
    sheet = LAYOUTS["avery-l7160"]
    check_options(sheet, SheetOptions(skip=20, offset_x_mm=20.0, offset_y_mm=-20.0), 10_000)
    assert refusal(SheetOptions(), 10_001) == ("qr.sheet.too_many_labels",
                                               {"count": 10_001, "max_labels": 10_000})


def test_each_option_out_of_range_is_named() -> None:
    assert refusal(SheetOptions(skip=21)) == ("qr.sheet.skip_too_large",
                                              {"per_page": 21, "layout": "avery-l7160"})
    assert refusal(SheetOptions(offset_x_mm=20.01)) == ("qr.sheet.offset_range",
                                                        {"name": "offset_x_mm"})
    assert refusal(SheetOptions(offset_y_mm=-20.5)) == ("qr.sheet.offset_range",
                                                        {"name": "offset_y_mm"})
    assert refusal(SheetOptions(fields=("qr_id", "qr_id"))) == (
        "qr.sheet.fields_no_repeats", {"fields": "part_code, part_name, qr_id"})
