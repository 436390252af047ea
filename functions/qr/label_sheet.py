"""Printable label sheets: a PDF of QR labels laid out on a sheet or label-printer preset
(qr/sheet_layouts.py).

Each label holds its QR code as vector graphics and up to three lines of text (part code,
part name, qr_id):

* The QR is one filled path of rectangles, built from this project's own module matrix
  (qr/render.py, the same modules as the PNG labels): each horizontal run of dark modules
  is one `re`, in module units under one `cm` transform, so a label costs a few hundred
  bytes and no image. The 4-module quiet zone stays inside the label.
* Text is DejaVu Sans, shipped with the functions (functions/fonts): it covers Turkish,
  Greek and Cyrillic, and reportlab embeds only the glyphs used. Characters DejaVu lacks
  (CJK, say) are drawn in the PDF standard CJK font STSong-Light, which is not embedded:
  readers substitute a local CJK font (Acrobat, pdf.js, pdfium with a CJK font installed),
  a label printer's firmware may not. A line shrinks to fit its box, down to a minimum
  size, then is cut with an ellipsis: text never leaves its label.

The PDF is built in invariant mode (no dates or random ids), so the same labels give the
same bytes. Memory grows with the number of labels (about 1 KB each, compressed), which
MAX_LABELS bounds.
"""

from __future__ import annotations

import functools
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from errors import InvalidInput
from messages import Msg
from qr import render
from qr.sheet_layouts import SheetLayout

PT_PER_MM = 72 / 25.4
QUIET_MODULES = 4
MAX_LABELS = 10_000
FIELDS: tuple[str, ...] = ("part_code", "part_name", "qr_id")
FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"
_REGULAR, _BOLD, _CJK = "LabelSans", "LabelSans-Bold", "STSong-Light"

# Largest and smallest text sizes (pt) of each line; the line height is 1.2 x the size.
_MAX_SIZE = {"part_code": 10.0, "part_name": 8.0, "qr_id": 6.0}
_MIN_SIZE = 4.0
_PADDING_MM = 1.5
_GAP_MM = 1.5
_ELLIPSIS = "…"
_DARK_RUNS = re.compile("1+")


@dataclass(frozen=True)
class Label:
    qr_id: str
    part_code: str
    part_name: str


@dataclass(frozen=True)
class SheetOptions:
    skip: int = 0                 # start at this position of the first sheet
    offset_x_mm: float = 0.0      # calibration: move everything right (negative: left)
    offset_y_mm: float = 0.0      # calibration: move everything down (negative: up)
    fields: tuple[str, ...] = field(default=FIELDS)


def check_options(layout: SheetLayout, options: SheetOptions, count: int) -> None:
    """InvalidInput for a selection or options this layout cannot print."""
    if count == 0:
        raise InvalidInput(Msg("qr.sheet.nothing_to_print"))
    if count > MAX_LABELS:
        raise InvalidInput(Msg("qr.sheet.too_many_labels", count=count,
                               max_labels=MAX_LABELS))
    if options.skip < 0:
        raise InvalidInput(Msg("qr.sheet.skip_negative"))
    if options.skip >= layout.per_page:
        raise InvalidInput(Msg("qr.sheet.skip_too_large", per_page=layout.per_page,
                               layout=layout.name))
    for name in ("offset_x_mm", "offset_y_mm"):
        if abs(getattr(options, name)) > 20:
            raise InvalidInput(Msg("qr.sheet.offset_range", name=name))
    unknown = [f for f in options.fields if f not in FIELDS]
    if unknown or len(set(options.fields)) != len(options.fields):
        raise InvalidInput(Msg("qr.sheet.fields_no_repeats", fields=", ".join(FIELDS)))


def label_sheet_pdf(labels: Sequence[Label], layout: SheetLayout,
                    options: SheetOptions = SheetOptions()) -> bytes:
    """The PDF of `labels` on `layout`, first label at position `options.skip`."""
    from reportlab.pdfgen.canvas import Canvas

    check_options(layout, options, len(labels))
    _register_fonts()
    buffer = io.BytesIO()
    page_w, page_h = layout.page_width_mm * PT_PER_MM, layout.page_height_mm * PT_PER_MM
    canvas = Canvas(buffer, pagesize=(page_w, page_h), invariant=1, pageCompression=1)
    canvas.setTitle(f"QR labels, {layout.title}")
    canvas.setCreator("inventory QR labels")
    boxes = _LabelBoxes(layout)
    for index, label in enumerate(labels):
        slot = (options.skip + index) % layout.per_page
        if slot == 0 and index > 0:
            canvas.showPage()
        x_mm, y_mm = layout.cell(slot)
        x = (x_mm + options.offset_x_mm) * PT_PER_MM
        top = page_h - (y_mm + options.offset_y_mm) * PT_PER_MM
        _draw_label(canvas, label, x, top, boxes, options.fields)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


@dataclass(frozen=True)
class _Box:
    x: float      # from the label's left edge, pt
    top: float    # from the label's top edge, downwards, pt
    width: float
    height: float


class _LabelBoxes:
    """Where the QR and the text go inside one label of a layout (the same for all)."""

    def __init__(self, layout: SheetLayout) -> None:
        pad, gap = _PADDING_MM * PT_PER_MM, _GAP_MM * PT_PER_MM
        width = layout.label_width_mm * PT_PER_MM - 2 * pad
        height = layout.label_height_mm * PT_PER_MM - 2 * pad
        if width >= 1.4 * height:  # landscape: QR on the left, text beside it
            side = height
            self.qr = _Box(pad, pad, side, side)
            self.text = _Box(pad + side + gap, pad, max(0.0, width - side - gap), height)
        else:  # portrait or square: QR on top, text under it
            side = min(width, 0.62 * height)
            self.qr = _Box(pad + (width - side) / 2, pad, side, side)
            self.text = _Box(pad, pad + side + gap, width, max(0.0, height - side - gap))


def _draw_label(canvas: Any, label: Label, x: float, top: float, boxes: _LabelBoxes,
                fields: tuple[str, ...]) -> None:
    size, bits = render.module_bits(label.qr_id)
    module = boxes.qr.width / (size + 2 * QUIET_MODULES)
    origin_x = x + boxes.qr.x + QUIET_MODULES * module
    origin_y = top - boxes.qr.top - QUIET_MODULES * module
    canvas.addLiteral(
        f"q {module:.4f} 0 0 {-module:.4f} {origin_x:.3f} {origin_y:.3f} cm\n"
        f"{_qr_path(size, bits)} f Q")
    lines = [(name, getattr(label, name)) for name in fields]
    _draw_text(canvas, lines, x + boxes.text.x, top - boxes.text.top, boxes.text)


def _qr_path(size: int, bits: int) -> str:
    """The dark modules as rectangles, one per horizontal run, in module units."""
    text = format(bits, f"0{size * size}b")
    return " ".join(_run(size, m.start(), m.end()) for m in _DARK_RUNS.finditer(text))


@functools.lru_cache(maxsize=65536)
def _run(size: int, start: int, end: int) -> str:
    """`re` operators for a run of dark modules from flat index `start` to `end`, split at
    row ends (a run in the flat string may wrap into the next row)."""
    parts = []
    while start < end:
        row, column = divmod(start, size)
        stop = min(end, (row + 1) * size)
        parts.append(f"{column} {row} {stop - start} 1 re")
        start = stop
    return " ".join(parts)


def _draw_text(canvas: Any, lines: list[tuple[str, str]], x: float, top: float,
               box: _Box) -> None:
    if not lines or box.width < 4 or box.height < _MIN_SIZE * 1.2:
        return
    sizes = [_MAX_SIZE[name] for name, _ in lines]
    needed = sum(s * 1.2 for s in sizes)
    if needed > box.height:  # scale the lines down together, keeping the ones that fit
        scale = box.height / needed
        sizes = [max(_MIN_SIZE, s * scale) for s in sizes]
    y = top
    for (name, text), size in zip(lines, sizes, strict=True):
        if (top - y) + size * 1.2 > box.height + 0.01:
            break  # no room for this line at all: leave it out rather than overflow
        font = _BOLD if name == "part_code" else _REGULAR
        fitted, fitted_size = _fit(text, font, round(size, 2), box.width)
        y -= fitted_size * 1.2
        code = _text_code(canvas, fitted, font, fitted_size)
        canvas.addLiteral(
            f"q 1 0 0 1 {x:.2f} {y + 0.25 * fitted_size:.2f} cm {code} Q")


def _fit(text: str, font: str, size: float, width: float) -> tuple[str, float]:
    """`text` at the largest size down to _MIN_SIZE that fits `width`, or cut with an
    ellipsis at _MIN_SIZE."""
    natural = _width(text, font, 1.0)
    if natural * size <= width:
        return text, size
    fitted = width / natural if natural else size
    if fitted >= _MIN_SIZE:
        return text, fitted
    low, high = 0, len(text)
    while low < high:  # the longest prefix that fits with the ellipsis
        middle = (low + high + 1) // 2
        if _width(text[:middle] + _ELLIPSIS, font, _MIN_SIZE) <= width:
            low = middle
        else:
            high = middle - 1
    return (text[:low].rstrip() + _ELLIPSIS if low else ""), _MIN_SIZE


def _width(text: str, font: str, size: float) -> float:
    return _unit_width(text, font) * size


@functools.lru_cache(maxsize=65536)
def _unit_width(text: str, font: str) -> float:
    """The width of `text` at 1 pt (part codes and names repeat across a part's units)."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    return sum(stringWidth(chunk, _CJK if cjk else font, 1.0)
               for chunk, cjk in _chunks(text))


def _text_code(canvas: Any, text: str, font: str, size: float) -> str:
    """The PDF text operators of one line drawn at the origin, made once per document
    and text: the part code and name repeat on every unit of a part. reportlab's text
    object makes them, so it also records the glyphs to embed."""
    cache: dict[tuple[str, str, float], str] = canvas.__dict__.setdefault(
        "_label_text_codes", {})
    key = (text, font, size)
    code = cache.get(key)
    if code is None:
        writer = canvas.beginText()
        for chunk, cjk in _chunks(text):
            writer.setFont(_CJK if cjk else font, size)
            writer.textOut(chunk)
        code = cache[key] = writer.getCode()
    return code


@functools.lru_cache(maxsize=65536)
def _chunks(text: str) -> tuple[tuple[str, bool], ...]:
    """`text` cut into runs DejaVu covers (False) and runs it does not (True: CJK font)."""
    covered = _covered()
    if all(ord(c) in covered for c in text):
        return ((text, False),)
    found = []
    start = 0
    for index in range(1, len(text) + 1):
        if index == len(text) or (ord(text[index]) in covered) != (ord(text[start])
                                                                     in covered):
            found.append((text[start:index], ord(text[start]) not in covered))
            start = index
    return tuple(found)


@functools.cache
def _covered() -> frozenset[int]:
    _register_fonts()
    from reportlab.pdfbase import pdfmetrics

    face = pdfmetrics.getFont(_REGULAR).face
    return frozenset(face.charToGlyph)


@functools.cache
def _register_fonts() -> None:
    from reportlab import rl_config
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfbase.ttfonts import TTFont

    # Binary (Flate only) streams: ASCII85 would make them 25 % larger, and without
    # reportlab's optional C accelerator encoding them takes longer than drawing the page.
    rl_config.useA85 = 0
    pdfmetrics.registerFont(TTFont(_REGULAR, str(FONT_DIR / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(_BOLD, str(FONT_DIR / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFont(UnicodeCIDFont(_CJK))
