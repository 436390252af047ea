"""Label sheet and label printer presets for the printable QR label PDFs, as plain data.

Geometry comes from the gLabels label templates (the numbers only; no template file is
copied here). gLabels writes lengths with a unit suffix, and a length without one is in
points (1/72 in): model/XmlUtil.cpp `getLengthAttr` hands an empty unit to `Units`, whose
default is PT. The values below are written in the template's own unit through `_pt`,
`_in` or plain mm, so each one can be compared with its template by eye.

Sources (read at these commits):
  glabels-qt  https://github.com/jimevins/glabels-qt  2da9b2d8565110dc02271d059a54b12b3d60b1ff
  glabels 3   https://github.com/jimevins/glabels     ec19f0265f53c6bf50a17bc7911ce8f44ba63283
The two agree on every sheet template used here. Each was cross-checked against
LibreOffice's list, https://github.com/LibreOffice/core extras/source/labels/labels.xml;
the comments say where that list disagrees by more than 0.3 mm.

All lengths are mm, measured from the page's TOP-left corner (y grows downwards), the way
the templates and the sheet makers' specifications measure them; a PDF renderer flips y.
"""

from __future__ import annotations

from dataclasses import dataclass

MM_PER_INCH = 25.4
PT_PER_INCH = 72.0

# Lets a layout that meets the page edge exactly (roll labels) pass the bounds check
# despite float rounding in the unit conversions; far below a printer dot (0.085 mm).
_TOLERANCE_MM = 1e-6


def _pt(points: float) -> float:
    """mm from a gLabels length in points (a unitless template value)."""
    return points * MM_PER_INCH / PT_PER_INCH


def _in(inches: float) -> float:
    return inches * MM_PER_INCH


# glabels-qt templates/paper-sizes.xml: id="A4" 210mm x 297mm, id="US-Letter" 8.5in x 11in.
A4_MM = (210.0, 297.0)
LETTER_MM = (_in(8.5), _in(11.0))


@dataclass(frozen=True)
class SheetLayout:
    name: str                # the preset id used in the API, e.g. "avery-l7160"
    title: str               # e.g. "Avery L7160 (63.5 x 38.1 mm, 3 x 7, A4)"
    page_width_mm: float
    page_height_mm: float
    label_width_mm: float
    label_height_mm: float
    columns: int
    rows: int
    left_mm: float           # from the page's left edge to the first column's left edge
    top_mm: float            # from the page's top edge to the first row's top edge
    x_pitch_mm: float        # from one column's left edge to the next one's
    y_pitch_mm: float        # from one row's top edge to the next one's
    corner_radius_mm: float = 0.0
    roll: bool = False       # a label printer: one label a page, page = label size
    source: str = ""         # the citation

    def __post_init__(self) -> None:
        # Checked here and not only in the tests, so that a layout built elsewhere (a
        # custom grid, say) cannot put a label off the page or on top of another.
        if self.columns < 1 or self.rows < 1:
            raise ValueError(f"{self.name}: a layout needs at least one column and row")
        if min(self.page_width_mm, self.page_height_mm,
               self.label_width_mm, self.label_height_mm) <= 0:
            raise ValueError(f"{self.name}: page and label sizes must be positive")
        if self.corner_radius_mm < 0:
            raise ValueError(f"{self.name}: corner radius must not be negative")
        if (self.x_pitch_mm < self.label_width_mm - _TOLERANCE_MM
                or self.y_pitch_mm < self.label_height_mm - _TOLERANCE_MM):
            raise ValueError(f"{self.name}: labels overlap (pitch smaller than label)")
        if (min(self.left_mm, self.top_mm) < -_TOLERANCE_MM
                or self.right_margin_mm < -_TOLERANCE_MM
                or self.bottom_margin_mm < -_TOLERANCE_MM):
            raise ValueError(f"{self.name}: labels reach past the page edge")

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    @property
    def right_margin_mm(self) -> float:
        """From the last column's right edge to the page's right edge."""
        return self.page_width_mm - (
            self.left_mm + (self.columns - 1) * self.x_pitch_mm + self.label_width_mm)

    @property
    def bottom_margin_mm(self) -> float:
        """From the last row's bottom edge to the page's bottom edge."""
        return self.page_height_mm - (
            self.top_mm + (self.rows - 1) * self.y_pitch_mm + self.label_height_mm)

    def cell(self, position: int) -> tuple[float, float]:
        """(x_mm, y_mm) of the label's top-left corner for a position on the page
        (0-based, row by row from the top left), measured from the page's TOP-left."""
        if not 0 <= position < self.per_page:
            raise IndexError(f"position {position} is not on a {self.name} page "
                             f"(0 to {self.per_page - 1})")
        row, column = divmod(position, self.columns)
        return (self.left_mm + column * self.x_pitch_mm, self.top_mm + row * self.y_pitch_mm)

    def cells(self) -> list[tuple[float, float]]:
        """cell(position) for every position of a page, in order."""
        return [self.cell(position) for position in range(self.per_page)]


def _roll(name: str, title: str, width_mm: float, height_mm: float, corner_radius_mm: float,
          source: str) -> SheetLayout:
    """A label printer preset: the page is the label, so the driver's media size is the
    label size and nothing is scaled. The pitch is the label size (gLabels writes dx=dy=0
    for a 1 x 1 layout) so that pitch >= size holds for every layout alike."""
    return SheetLayout(
        name=name, title=title, page_width_mm=width_mm, page_height_mm=height_mm,
        label_width_mm=width_mm, label_height_mm=height_mm, columns=1, rows=1,
        left_mm=0.0, top_mm=0.0, x_pitch_mm=width_mm, y_pitch_mm=height_mm,
        corner_radius_mm=corner_radius_mm, roll=True, source=source)


_PRESETS = (
    # glabels-qt templates/avery-iso-templates.xml, "Avery 7160" (part="L7160" is
    # equiv="7160"): width="181.4" height="108.0" round="5",
    # Layout nx="3" ny="7" x0="21.2" y0="43.9" dx="187.2" dy="108.0" (all pt).
    # The template's width, 181.4 pt, is 63.99 mm, though its own family comment says
    # "63.5 x 38.1 mm"; the label is 63.5 mm (Avery's size, and LibreOffice's labels.xml
    # "L7160 Address" agrees). The 63.5 mm label keeps gLabels' x0: that puts it 0.28 mm
    # right of LibreOffice's 7.20 mm, nearer than centring it in the 63.99 mm box would.
    # The top margin, 15.49 mm, is 0.34 mm below LibreOffice's 15.15 mm.
    SheetLayout(
        name="avery-l7160", title="Avery L7160 (63.5 x 38.1 mm, 3 x 7, A4)",
        page_width_mm=A4_MM[0], page_height_mm=A4_MM[1],
        label_width_mm=63.5, label_height_mm=_pt(108.0), columns=3, rows=7,
        left_mm=_pt(21.2), top_mm=_pt(43.9), x_pitch_mm=_pt(187.2), y_pitch_mm=_pt(108.0),
        corner_radius_mm=_pt(5),
        source='glabels-qt templates/avery-iso-templates.xml, "Avery 7160" '
               '(part L7160 is equiv="7160"); label width 63.5 mm per Avery, not the '
               "template's 181.4 pt (63.99 mm)"),
    # glabels-qt templates/avery-iso-templates.xml, "Avery 7163" (part="L7163" is
    # equiv="7163"): width="280.9" height="108" round="5",
    # Layout nx="2" ny="7" x0="9.5" y0="43" dx="292" dy="108" (all pt).
    # LibreOffice's labels.xml "L7163 Address" has left 4.67 mm and pitch 101.60 mm
    # instead of these 3.35 and 103.01: the right column agrees within 0.1 mm, the left
    # column is 1.3 mm further left here. Kept as gLabels has it, gLabels being the source
    # these presets follow; if test prints show the left column 1.3 mm left of its labels,
    # LibreOffice's numbers are the fix (a page offset cannot move one column alone).
    SheetLayout(
        name="avery-l7163", title="Avery L7163 (99.1 x 38.1 mm, 2 x 7, A4)",
        page_width_mm=A4_MM[0], page_height_mm=A4_MM[1],
        label_width_mm=_pt(280.9), label_height_mm=_pt(108), columns=2, rows=7,
        left_mm=_pt(9.5), top_mm=_pt(43), x_pitch_mm=_pt(292), y_pitch_mm=_pt(108),
        corner_radius_mm=_pt(5),
        source='glabels-qt templates/avery-iso-templates.xml, "Avery 7163" '
               '(part L7163 is equiv="7163")'),
    # glabels-qt templates/avery-iso-templates.xml, "Avery 8651" (part="L7651" is
    # equiv="8651"): width="108" height="60.09" round="5",
    # Layout nx="5" ny="13" x0="13.32" y0="30.90" dx="115.09" dy="60.09" (all pt).
    # 60.09 pt is 21.198 mm: label and pitch both use it, as the template does, so the
    # rows stay butted without overlapping; the title rounds it to Avery's 21.2.
    # LibreOffice's "L7651 Mini Address" has a 21.17 mm pitch, so its bottom row sits
    # 0.34 mm higher than here; the columns agree within 0.13 mm.
    SheetLayout(
        name="avery-l7651", title="Avery L7651 (38.1 x 21.2 mm, 5 x 13, A4)",
        page_width_mm=A4_MM[0], page_height_mm=A4_MM[1],
        label_width_mm=_pt(108), label_height_mm=_pt(60.09), columns=5, rows=13,
        left_mm=_pt(13.32), top_mm=_pt(30.90), x_pitch_mm=_pt(115.09),
        y_pitch_mm=_pt(60.09), corner_radius_mm=_pt(5),
        source='glabels-qt templates/avery-iso-templates.xml, "Avery 8651" '
               '(part L7651 is equiv="8651")'),
    # glabels-qt templates/herma-iso-templates.xml, "Herma 4103" (part="4677" is
    # equiv="4103"; the same in glabels 3): width="63.5mm" height="38.1mm" round="0mm",
    # Layout nx="3" ny="7" x0="6.75mm" y0="15.5mm" dx="66.5mm" dy="38.1mm".
    # Same label size and grid as L7160, but Herma's own column pitch (66.5 mm, a 3 mm
    # gap) and margins, so not L7160's positions: the columns sit up to 0.73 mm apart.
    SheetLayout(
        name="herma-4677", title="Herma 4677 (63.5 x 38.1 mm, 3 x 7, A4)",
        page_width_mm=A4_MM[0], page_height_mm=A4_MM[1],
        label_width_mm=63.5, label_height_mm=38.1, columns=3, rows=7,
        left_mm=6.75, top_mm=15.5, x_pitch_mm=66.5, y_pitch_mm=38.1,
        source='glabels-qt templates/herma-iso-templates.xml, "Herma 4103" '
               '(part 4677 is equiv="4103")'),
    # glabels-qt templates/avery-us-templates.xml, "Avery 5160" (size="US-Letter"):
    # width="2.625in" height="1in" round="0.0625in",
    # Layout nx="3" ny="10" x0="0.15625in" y0="0.5in" dx="2.78125in" dy="1in".
    # LibreOffice's "5160 Address" has left 4.78 mm and pitch 69.85 mm (3/16 in, 2.75 in):
    # the middle column agrees, the outer two sit 0.79 mm further out here.
    SheetLayout(
        name="avery-5160", title="Avery 5160 (2.625 x 1 in, 3 x 10, US Letter)",
        page_width_mm=LETTER_MM[0], page_height_mm=LETTER_MM[1],
        label_width_mm=_in(2.625), label_height_mm=_in(1), columns=3, rows=10,
        left_mm=_in(0.15625), top_mm=_in(0.5), x_pitch_mm=_in(2.78125), y_pitch_mm=_in(1),
        corner_radius_mm=_in(0.0625),
        source='glabels-qt templates/avery-us-templates.xml, "Avery 5160"'),
    # glabels-qt templates/brother-other-templates.xml, "Brother DK-1201": size="roll"
    # roll_width="32mm" width="28.96mm" height="89.83mm" round="1.5mm" (glabels 3:
    # width="82pt" height="255pt", 28.93 x 89.96 mm). Portrait, 29 mm wide and 90 mm
    # tall: both gLabels versions give the width as the short side, the one across the
    # 32 mm roll and so along the print head, and the height as the length the label
    # feeds; pklaus/brother_ql brother_ql/labels.py "29x90" says the same in dots at
    # 300 dpi, (width, length) = 342 x 1061 in all, 306 x 991 printable. A page turned
    # landscape would have to be rotated (or shrunk) by the driver on its way to the head,
    # so a renderer that wants landscape text rotates its content, not the page.
    # The page is the nominal 29 x 90 mm the label is sold as; gLabels' 28.96 x 89.83 mm
    # (exactly brother_ql's 342 x 1061 dots) is under 0.2 mm smaller.
    _roll("brother-dk-1201", "Brother DK-1201 (29 x 90 mm, one label a page)",
          29.0, 90.0, 1.5,
          'glabels-qt templates/brother-other-templates.xml, "Brother DK-1201" '
          "(28.96 x 89.83 mm there; nominal 29 x 90 mm used)"),
    # glabels-qt templates/brother-other-templates.xml, "Brother DK-1202": size="roll"
    # roll_width="67mm" width="61.98mm" height="99.82mm" round="1.5mm" (glabels 3:
    # width="176pt" height="283pt", 62.09 x 99.84 mm; brother_ql "62x100": 732 x 1179
    # dots). Portrait for the same reason as DK-1201: 62 mm across the head, 100 mm
    # along the feed; the nominal size is the page.
    _roll("brother-dk-1202", "Brother DK-1202 (62 x 100 mm, one label a page)",
          62.0, 100.0, 1.5,
          'glabels-qt templates/brother-other-templates.xml, "Brother DK-1202" '
          "(61.98 x 99.82 mm there; nominal 62 x 100 mm used)"),
    # No gLabels template: neither glabels-qt nor glabels 3 has a Zebra vendor file. The
    # 2 x 1 in die-cut stock is named width (across the print head) by length (along the
    # feed), so the page is landscape, 50.8 mm wide by 25.4 mm tall; e.g. emfcamp/
    # labelprint emf_labelprint/templates/asset.zpl sets ^PW 406 (2 in at 203 dpi) for a
    # "50.8x25.4" label. Corner radius unknown, so 0 (square).
    _roll("zebra-2x1", "Zebra 2 x 1 in (50.8 x 25.4 mm, one label a page)",
          _in(2), _in(1), 0.0,
          "nominal 2 x 1 in (width across the head x length along the feed); no gLabels "
          "template exists for Zebra"),
)

LAYOUTS: dict[str, SheetLayout] = {preset.name: preset for preset in _PRESETS}


def layout(name: str) -> SheetLayout:
    """The preset called `name`; KeyError for an unknown name (the caller maps it)."""
    return LAYOUTS[name]
