"""Benchmark: qr.render.render_png against qrcode's default make_image path.

Run from the repository root:  .venv/bin/python bench/qr_render.py [--count N] [--repeat R]

Both renderers get the same N qr-id-like payloads. The script checks, for every payload,
that both produce the same module matrix and that the PNG decodes to the expected pixels
(exit status 1 otherwise), then prints images/s for both and the ratio: the best of
--repeat alternating passes, in CPU time of this process, so other work on a shared machine
does not distort the figures. The checks run first, so per-version layout tables are built
before timing (in production they are built once per instance).
"""

from __future__ import annotations

import argparse
import io
import random
import string
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "functions"))

import qrcode
from PIL import Image

from qr import render

SUFFIX_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"


def qr_id_like(rng: random.Random) -> str:
    """`{part_code}-{12 base32}`; part codes of 4..40 characters, as in qr/ids.py."""
    part = rng.choice(string.ascii_uppercase) + "".join(
        rng.choices(string.ascii_uppercase + string.digits + "-_.", k=rng.randint(3, 39)))
    return f"{part}-{''.join(rng.choices(SUFFIX_ALPHABET, k=12))}"


def qrcode_default(payload: str) -> tuple[bytes, list[list[bool]]]:
    qr = qrcode.QRCode(box_size=10, border=4, error_correction=qrcode.ERROR_CORRECT_M)
    qr.add_data(payload)
    qr.make(fit=True)
    img = qr.make_image()
    buffer = io.BytesIO()
    img.save(buffer, "PNG")
    return buffer.getvalue(), qr.modules


def check(payload: str) -> list[str]:
    """Problems with render_png(payload) compared with qrcode; empty when all is well."""
    _, expected = qrcode_default(payload)
    matrix = render.module_matrix(payload)
    problems = []
    if matrix != expected:
        problems.append(f"{payload!r}: module matrix differs from qrcode's")
    image = Image.open(io.BytesIO(render.render_png(payload)))
    image.load()
    side = (len(expected) + 2 * render.BORDER) * render.BOX_SIZE
    if image.size != (side, side):
        problems.append(f"{payload!r}: PNG is {image.size}, expected {side}x{side}")
        return problems
    pixels = image.convert("L").load()
    for r, row in enumerate(expected):
        for c, is_dark in enumerate(row):
            centre = (render.BORDER + c) * render.BOX_SIZE + 5, (render.BORDER + r) * 10 + 5
            if (pixels[centre] == 0) != is_dark:
                problems.append(f"{payload!r}: pixel of module ({r}, {c}) is wrong")
                return problems
    return problems


def seconds_per_pass(make: Callable[[str], object], payloads: list[str]) -> float:
    """CPU seconds of this process for one pass: other work on the machine does not count."""
    started = time.process_time()
    for payload in payloads:
        make(payload)
    return time.process_time() - started


def images_per_second(payloads: list[str], repeat: int) -> tuple[float, float]:
    """(ours, qrcode's) images/s, best of `repeat` alternating passes of each."""
    ours, theirs = float("inf"), float("inf")
    for _ in range(repeat):
        ours = min(ours, seconds_per_pass(render.render_png, payloads))
        theirs = min(theirs, seconds_per_pass(qrcode_default, payloads))
    return len(payloads) / ours, len(payloads) / theirs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args()

    rng = random.Random(args.seed)
    payloads = [qr_id_like(rng) for _ in range(args.count)]
    problems = [problem for payload in payloads for problem in check(payload)]
    if problems:
        print("\n".join(problems[:20]), file=sys.stderr)
        print(f"FAILED: {len(problems)} problem(s)", file=sys.stderr)
        return 1
    versions = sorted({len(render.module_matrix(p)) for p in payloads})
    sizes = [len(render.render_png(p)) for p in payloads]

    ours, theirs = images_per_second(payloads, args.repeat)
    print(f"payloads: {len(payloads)} qr-id-like, {min(map(len, payloads))}-"
          f"{max(map(len, payloads))} chars, versions "
          f"{', '.join(str((n - 17) // 4) for n in versions)}; all matrices match qrcode")
    print(f"qrcode default path:  {theirs:7.0f} images/s  ({1000 / theirs:.3f} ms/image)")
    print(f"qr.render.render_png: {ours:7.0f} images/s  ({1000 / ours:.3f} ms/image)")
    print(f"speed-up: {ours / theirs:.1f}x   PNG size: {min(sizes)}-{max(sizes)} bytes "
          f"(zlib level {render.PNG_COMPRESS_LEVEL})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
