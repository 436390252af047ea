"""Sheet and label printer presets: every label on its page, none overlapping, and the
sizes, grids and papers the API promises."""

from __future__ import annotations

import itertools

import pytest

from qr.sheet_layouts import LAYOUTS, MM_PER_INCH, SheetLayout, layout

TOLERANCE = 0.01  # mm: the precision the presets are promised to
EPS = 1e-9

A4 = (210.0, 297.0)
LETTER = (215.9, 279.4)

# name: (label width, label height, columns, rows, paper); paper None = a label printer.
PROMISED: dict[str, tuple[float, float, int, int, tuple[float, float] | None]] = {
    "avery-l7160": (63.5, 38.1, 3, 7, A4),
    "avery-l7163": (99.1, 38.1, 2, 7, A4),
    "avery-l7651": (38.1, 21.2, 5, 13, A4),
    "herma-4677": (63.5, 38.1, 3, 7, A4),
    "avery-5160": (2.625 * 25.4, 1 * 25.4, 3, 10, LETTER),
    "brother-dk-1201": (29.0, 90.0, 1, 1, None),
    "brother-dk-1202": (62.0, 100.0, 1, 1, None),
    "zebra-2x1": (50.8, 25.4, 1, 1, None),
}

# name: (left, top, x pitch, y pitch) in mm, worked out by hand from the cited templates
# (pt x 25.4 / 72, in x 25.4), so a slip in a unit conversion shows here.
POSITIONS: dict[str, tuple[float, float, float, float]] = {
    "avery-l7160": (7.48, 15.49, 66.04, 38.10),    # 21.2, 43.9, 187.2, 108.0 pt
    "avery-l7163": (3.35, 15.17, 103.01, 38.10),   # 9.5, 43, 292, 108 pt
    "avery-l7651": (4.70, 10.90, 40.60, 21.20),    # 13.32, 30.90, 115.09, 60.09 pt
    "herma-4677": (6.75, 15.50, 66.50, 38.10),     # mm in the template
    "avery-5160": (3.97, 12.70, 70.64, 25.40),     # 0.15625, 0.5, 2.78125, 1 in
    "brother-dk-1201": (0.0, 0.0, 29.0, 90.0),
    "brother-dk-1202": (0.0, 0.0, 62.0, 100.0),
    "zebra-2x1": (0.0, 0.0, 50.8, 25.4),
}

ALL = sorted(LAYOUTS)


def test_the_promised_presets_and_no_others() -> None:
    assert set(LAYOUTS) == set(PROMISED)
    for name, preset in LAYOUTS.items():
        assert preset.name == name


@pytest.mark.parametrize("name", ALL)
def test_label_size_grid_and_paper_match_the_table(name: str) -> None:
    width, height, columns, rows, paper = PROMISED[name]
    preset = layout(name)
    assert preset.label_width_mm == pytest.approx(width, abs=TOLERANCE)
    assert preset.label_height_mm == pytest.approx(height, abs=TOLERANCE)
    assert (preset.columns, preset.rows) == (columns, rows)
    assert preset.per_page == columns * rows
    if paper is None:  # a label printer: the page is the label
        assert preset.roll
        assert (preset.page_width_mm, preset.page_height_mm) == (
            preset.label_width_mm, preset.label_height_mm)
        assert (preset.left_mm, preset.top_mm) == (0.0, 0.0)
    else:
        assert not preset.roll
        assert preset.page_width_mm == pytest.approx(paper[0], abs=EPS)
        assert preset.page_height_mm == pytest.approx(paper[1], abs=EPS)


@pytest.mark.parametrize("name", ALL)
def test_margins_and_pitches_are_the_templates(name: str) -> None:
    preset = layout(name)
    assert (preset.left_mm, preset.top_mm, preset.x_pitch_mm, preset.y_pitch_mm) == (
        pytest.approx(POSITIONS[name], abs=TOLERANCE))


def test_paper_sizes() -> None:
    assert layout("avery-l7160").page_width_mm == 210.0
    assert layout("avery-l7160").page_height_mm == 297.0
    assert layout("avery-5160").page_width_mm == pytest.approx(215.9, abs=EPS)
    assert layout("avery-5160").page_height_mm == pytest.approx(279.4, abs=EPS)
    assert MM_PER_INCH == 25.4


@pytest.mark.parametrize("name", ALL)
def test_every_label_lies_inside_the_page(name: str) -> None:
    preset = layout(name)
    for x, y in preset.cells():
        assert x >= -EPS and y >= -EPS
        assert x + preset.label_width_mm <= preset.page_width_mm + EPS
        assert y + preset.label_height_mm <= preset.page_height_mm + EPS
    assert preset.right_margin_mm >= -EPS
    assert preset.bottom_margin_mm >= -EPS


@pytest.mark.parametrize("name", ALL)
def test_labels_do_not_overlap(name: str) -> None:
    preset = layout(name)
    assert preset.x_pitch_mm >= preset.label_width_mm - EPS
    assert preset.y_pitch_mm >= preset.label_height_mm - EPS
    w, h = preset.label_width_mm, preset.label_height_mm
    for (x1, y1), (x2, y2) in itertools.combinations(preset.cells(), 2):
        # Two rectangles are apart when one ends (within EPS) before the other starts.
        apart = (x1 + w <= x2 + EPS or x2 + w <= x1 + EPS
                 or y1 + h <= y2 + EPS or y2 + h <= y1 + EPS)
        assert apart, ((x1, y1), (x2, y2))


@pytest.mark.parametrize("name", ALL)
def test_first_and_last_cells(name: str) -> None:
    preset = layout(name)
    assert preset.cell(0) == (preset.left_mm, preset.top_mm)
    last = preset.cell(preset.per_page - 1)
    assert last == pytest.approx((
        preset.left_mm + (preset.columns - 1) * preset.x_pitch_mm,
        preset.top_mm + (preset.rows - 1) * preset.y_pitch_mm))
    assert len(preset.cells()) == preset.per_page


def test_positions_run_row_by_row_from_the_top_left() -> None:
    preset = layout("avery-l7160")
    assert preset.cell(1) == pytest.approx((7.4789 + 66.04, 15.4869), abs=1e-3)
    assert preset.cell(2) == pytest.approx((7.4789 + 2 * 66.04, 15.4869), abs=1e-3)
    assert preset.cell(3) == pytest.approx((7.4789, 15.4869 + 38.1), abs=1e-3)
    # The last L7160 label: bottom right, its bottom edge 14.81 mm above the page's.
    x, y = preset.cell(20)
    assert (x, y) == pytest.approx((139.559, 244.087), abs=1e-3)
    assert preset.page_height_mm - (y + preset.label_height_mm) == pytest.approx(
        14.81, abs=TOLERANCE)


@pytest.mark.parametrize("position", [-1, 21, 100])
def test_a_position_off_the_page_raises(position: int) -> None:
    with pytest.raises(IndexError):
        layout("avery-l7160").cell(position)


def test_roll_presets_have_one_label_a_page() -> None:
    for preset in LAYOUTS.values():
        if preset.roll:
            assert preset.per_page == 1
            assert preset.cell(0) == (0.0, 0.0)
            assert preset.right_margin_mm == pytest.approx(0.0, abs=EPS)
            assert preset.bottom_margin_mm == pytest.approx(0.0, abs=EPS)


def test_label_printer_orientation() -> None:
    # Brother DK labels: the page's width is across the roll, its height along the feed.
    assert layout("brother-dk-1201").page_width_mm < layout("brother-dk-1201").page_height_mm
    assert layout("brother-dk-1202").page_width_mm < layout("brother-dk-1202").page_height_mm
    # Zebra 2 x 1 in: 2 in across the print head.
    assert layout("zebra-2x1").page_width_mm > layout("zebra-2x1").page_height_mm


@pytest.mark.parametrize("name", ["", "avery-L7160", "avery l7160", "l7160", "dk-1201"])
def test_unknown_names_raise_key_error(name: str) -> None:
    with pytest.raises(KeyError):
        layout(name)


@pytest.mark.parametrize("name", ALL)
def test_every_preset_cites_its_source(name: str) -> None:
    preset = layout(name)
    assert preset.source.strip()
    assert preset.title.strip()
    if name != "zebra-2x1":  # the one preset gLabels has no template for
        assert "templates/" in preset.source and ".xml" in preset.source


def test_corner_radii_fit_the_labels() -> None:
    for preset in LAYOUTS.values():
        radius = preset.corner_radius_mm
        assert 0 <= radius <= min(preset.label_width_mm, preset.label_height_mm) / 2


def _grid(**changes: float) -> SheetLayout:
    base = dict(page_width_mm=100.0, page_height_mm=100.0, label_width_mm=40.0,
                label_height_mm=40.0, left_mm=5.0, top_mm=5.0, x_pitch_mm=45.0,
                y_pitch_mm=45.0)
    base.update(changes)
    return SheetLayout(
        name="test", title="test", columns=2, rows=2,
        page_width_mm=base["page_width_mm"], page_height_mm=base["page_height_mm"],
        label_width_mm=base["label_width_mm"], label_height_mm=base["label_height_mm"],
        left_mm=base["left_mm"], top_mm=base["top_mm"],
        x_pitch_mm=base["x_pitch_mm"], y_pitch_mm=base["y_pitch_mm"])


def test_a_valid_custom_grid_is_accepted() -> None:
    assert _grid().cells() == [(5.0, 5.0), (50.0, 5.0), (5.0, 50.0), (50.0, 50.0)]


@pytest.mark.parametrize("changes", [
    {"x_pitch_mm": 39.0},          # columns overlap
    {"y_pitch_mm": 39.0},          # rows overlap
    {"left_mm": -0.5},             # off the left edge
    {"top_mm": 16.0},              # off the bottom edge
    {"page_width_mm": 89.0},       # off the right edge
    {"label_width_mm": 0.0},
])
def test_an_impossible_grid_is_refused(changes: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        _grid(**changes)


def test_presets_are_immutable() -> None:
    preset = layout("avery-l7160")
    with pytest.raises(AttributeError):
        preset.rows = 8  # type: ignore[misc]
