"""SheetLayout's own checks at their exact limits, each refusal by its text, and the helpers
the presets are built with (unit conversions and the label-printer layout). The presets'
numbers are in test_sheet_layouts.py; the helpers run at import, so they are called here."""

from __future__ import annotations

from typing import Any

import pytest

from qr import sheet_layouts
from qr.sheet_layouts import SheetLayout

# Two by two labels of 40 x 40 mm on a 100 x 100 mm page; 10 mm left over each way.
GRID: dict[str, Any] = {
    "name": "grid", "title": "grid", "page_width_mm": 100.0, "page_height_mm": 100.0,
    "label_width_mm": 40.0, "label_height_mm": 40.0, "columns": 2, "rows": 2,
    "left_mm": 5.0, "top_mm": 5.0, "x_pitch_mm": 45.0, "y_pitch_mm": 45.0}


def grid(**changes: Any) -> SheetLayout:
    return SheetLayout(**{**GRID, **changes})


@pytest.mark.parametrize("changes", [
    {"columns": 1}, {"rows": 1}, {"columns": 1, "rows": 1},
    {"x_pitch_mm": 40.0}, {"y_pitch_mm": 40.0},  # butted labels
    {"x_pitch_mm": 40.0 - 1e-7},  # float rounding below the tolerance
    {"x_pitch_mm": 40.0 - 1e-6}, {"y_pitch_mm": 40.0 - 1e-6},  # exactly the tolerance
    {"left_mm": -1e-6}, {"top_mm": -1e-6},
    {"left_mm": 0.0, "top_mm": 0.0}, {"left_mm": -1e-7},
    {"left_mm": 15.0, "top_mm": 15.0},  # the last labels end exactly at the page edge
    {"page_width_mm": 95.0 - 1e-7},
    {"corner_radius_mm": 0.0}, {"corner_radius_mm": 0.5},
    {"label_width_mm": 0.5, "label_height_mm": 0.5, "page_width_mm": 95.5,
     "page_height_mm": 95.5, "x_pitch_mm": 45.0, "y_pitch_mm": 45.0},
])
def test_layouts_at_the_limits_are_accepted(changes: dict[str, Any]) -> None:
    layout = grid(**changes)
    assert layout.per_page == layout.columns * layout.rows


@pytest.mark.parametrize(("changes", "problem"), [
    ({"columns": 0}, "a layout needs at least one column and row"),
    ({"rows": 0}, "a layout needs at least one column and row"),
    ({"page_width_mm": 0.0}, "page and label sizes must be positive"),
    ({"page_height_mm": -1.0}, "page and label sizes must be positive"),
    ({"label_width_mm": 0.0}, "page and label sizes must be positive"),
    ({"label_height_mm": 0.0}, "page and label sizes must be positive"),
    ({"corner_radius_mm": -0.1}, "corner radius must not be negative"),
    ({"x_pitch_mm": 39.99}, "labels overlap (pitch smaller than label)"),
    ({"y_pitch_mm": 39.99}, "labels overlap (pitch smaller than label)"),
    ({"left_mm": -0.01}, "labels reach past the page edge"),
    ({"top_mm": -0.01}, "labels reach past the page edge"),
    ({"left_mm": 15.01}, "labels reach past the page edge"),
    ({"top_mm": 15.01}, "labels reach past the page edge"),
])
def test_an_impossible_layout_is_refused_saying_why(changes: dict[str, Any],
                                                    problem: str) -> None:
    with pytest.raises(ValueError) as err:
        grid(**changes)
    assert str(err.value) == f"grid: {problem}"


def test_margins_and_cells() -> None:
    layout = grid(left_mm=4.0, top_mm=6.0)
    assert layout.right_margin_mm == pytest.approx(100.0 - (4.0 + 45.0 + 40.0))
    assert layout.bottom_margin_mm == pytest.approx(100.0 - (6.0 + 45.0 + 40.0))
    assert layout.cells() == [(4.0, 6.0), (49.0, 6.0), (4.0, 51.0), (49.0, 51.0)]
    with pytest.raises(IndexError, match=r"^position 4 is not on a grid page \(0 to 3\)$"):
        layout.cell(4)


def test_unit_conversions() -> None:
    assert sheet_layouts._pt(72.0) == pytest.approx(25.4)
    assert sheet_layouts._pt(36.0) == pytest.approx(12.7)
    assert sheet_layouts._in(2.0) == pytest.approx(50.8)


def test_a_label_printer_layout_is_one_label_the_size_of_the_page() -> None:
    roll = sheet_layouts._roll("dk", "DK roll", 62.0, 29.0, 1.5, "a source")
    assert roll == SheetLayout(
        name="dk", title="DK roll", page_width_mm=62.0, page_height_mm=29.0,
        label_width_mm=62.0, label_height_mm=29.0, columns=1, rows=1, left_mm=0.0,
        top_mm=0.0, x_pitch_mm=62.0, y_pitch_mm=29.0, corner_radius_mm=1.5, roll=True,
        source="a source")
