"""Label sheets: 10,000 labels on avery-l7160 (477 pages), ours against a straightforward
build with reportlab's own QR drawing.

Run from the repository root:  .venv/bin/python bench/label_sheet.py [--labels 10000]

Each measurement runs in a fresh process, so peak memory (ru_maxrss) is that build's
alone. Prints seconds, pages/s, peak memory and bytes per label; then the baseline
(reportlab's QrCodeWidget drawn with renderPDF, the same text, per label) on a sample,
extrapolated per label to the full count; then whether two builds of the same input gave
the same bytes. Targets (issue 8): under 5 s for 10,000 labels, at least 25x the baseline,
peak memory under 200 MB.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "functions"), str(ROOT)]

NAMES = ["Çelik vida M8×20", "Şaft yatağı 6204", "İğne rulman NK 20/16", "Yağ keçesi 35×52",
         "Dişli çark Z24", "Ölçü bloğu", "Üçgen plaka", "Ağır hizmet somunu"]


def labels(count: int) -> list:  # -> list[qr.label_sheet.Label]
    """`count` labels of parts with 100 units each, like a real parts list."""
    from qr.label_sheet import Label

    found = []
    for index in range(count):
        part = index // 100
        code = f"PART-{part:04d}"
        found.append(Label(f"{code}-{index:012x}", code, f"{NAMES[part % len(NAMES)]} #{part}"))
    return found


def ours(count: int) -> dict:
    from qr.label_sheet import label_sheet_pdf
    from qr.sheet_layouts import layout

    items = labels(count)
    started = time.perf_counter()
    pdf = label_sheet_pdf(items, layout("avery-l7160"))
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "bytes": len(pdf), "sha256": hashlib.sha256(pdf).hexdigest(),
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def baseline(count: int) -> dict:
    """The straightforward build: reportlab's QrCodeWidget per label, drawn with
    renderPDF, the same three lines of text with drawString."""
    import io

    from reportlab.graphics import renderPDF
    from reportlab.graphics.barcode.qr import QrCodeWidget
    from reportlab.graphics.shapes import Drawing
    from reportlab.pdfgen.canvas import Canvas

    from qr.label_sheet import PT_PER_MM, _register_fonts
    from qr.sheet_layouts import layout

    _register_fonts()
    sheet = layout("avery-l7160")
    items = labels(count)
    started = time.perf_counter()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(sheet.page_width_mm * PT_PER_MM,
                                      sheet.page_height_mm * PT_PER_MM), invariant=1)
    side = (sheet.label_height_mm - 3) * PT_PER_MM
    for index, label in enumerate(items):
        slot = index % sheet.per_page
        if slot == 0 and index:
            canvas.showPage()
        x_mm, y_mm = sheet.cell(slot)
        x, top = x_mm * PT_PER_MM, (sheet.page_height_mm - y_mm) * PT_PER_MM
        widget = QrCodeWidget(label.qr_id, barLevel="M", barBorder=4)
        left, bottom, right, upper = widget.getBounds()
        drawing = Drawing(side, side, transform=[side / (right - left), 0, 0,
                                                 side / (upper - bottom), 0, 0])
        drawing.add(widget)
        renderPDF.draw(drawing, canvas, x + 4, top - 4 - side)
        for line, (text, size) in enumerate(((label.part_code, 10), (label.part_name, 7),
                                             (label.qr_id, 6))):
            canvas.setFont("LabelSans", size)
            canvas.drawString(x + side + 8, top - 12 - 10 * line, text)
    canvas.showPage()
    canvas.save()
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "bytes": len(buffer.getvalue()),
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def in_fresh_process(kind: str, count: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--one", kind, "--labels", str(count)],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=int, default=10_000)
    parser.add_argument("--baseline-sample", type=int, default=400)
    parser.add_argument("--one", choices=["ours", "baseline"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps((ours if args.one == "ours" else baseline)(args.labels)))
        return
    from qr.sheet_layouts import layout

    pages = -(-args.labels // layout("avery-l7160").per_page)
    first = in_fresh_process("ours", args.labels)
    second = in_fresh_process("ours", args.labels)
    best = min(first["seconds"], second["seconds"])
    print(f"ours: {args.labels} labels, {pages} pages in {best:.2f} s (runs {first['seconds']:.2f}"
          f", {second['seconds']:.2f}) = {pages / best:.0f} pages/s; peak memory "
          f"{max(first['peak_mb'], second['peak_mb']):.0f} MB; {first['bytes'] / 1e6:.2f} MB, "
          f"{first['bytes'] / args.labels:.0f} bytes per label")
    base = in_fresh_process("baseline", args.baseline_sample)
    per_label = base["seconds"] / args.baseline_sample
    print(f"baseline (reportlab QrCodeWidget): {per_label * 1000:.1f} ms per label on "
          f"{args.baseline_sample} labels -> {per_label * args.labels:.0f} s for "
          f"{args.labels} (extrapolated); {base['bytes'] / args.baseline_sample:.0f} bytes "
          f"per label")
    speedup = per_label * args.labels / best
    same = first["sha256"] == second["sha256"]
    print(f"speed-up {speedup:.0f}x; same input, same bytes: {same}")
    ok = best < 5.0 and speedup >= 25 and max(first["peak_mb"], second["peak_mb"]) < 200
    print("PASS" if ok and same else "FAIL", "(targets: < 5 s, >= 25x, < 200 MB, "
          "deterministic)")


if __name__ == "__main__":
    main()
