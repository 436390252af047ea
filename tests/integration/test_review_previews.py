"""What a moderator sees of a queued image, on the real Pillow (infra/review_previews.py):
at most 512 px, blurred unless revealed, and a placeholder for anything that cannot be
read within bounds, never an error or a memory blow-up."""

from __future__ import annotations

import io
import struct
import tracemalloc

from PIL import Image, ImageDraw, ImageStat

from infra.review_previews import PillowReviewPreviews
from tests.support.animations import BLUE, RED, animation, heic

PREVIEWS = PillowReviewPreviews()


def checkerboard(width: int, height: int, image_format: str = "JPEG") -> bytes:
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    step = max(8, width // 64)
    for x in range(0, width, step):
        for y in range(0, height, step):
            if (x // step + y // step) % 2:
                draw.rectangle((x, y, x + step - 1, y + step - 1), fill="black")
    out = io.BytesIO()
    image.save(out, image_format)
    return out.getvalue()


def opened(jpeg: bytes) -> Image.Image:
    assert jpeg.startswith(b"\xff\xd8\xff")
    image = Image.open(io.BytesIO(jpeg))
    image.load()
    return image


def test_a_large_photo_comes_back_at_most_512_px_and_blurred_unless_revealed() -> None:
    content = checkerboard(2400, 1200)
    blurred = opened(PREVIEWS.preview(content, reveal=False))
    revealed = opened(PREVIEWS.preview(content, reveal=True))
    assert blurred.size == revealed.size == (512, 256)
    # A blur flattens the squares: far less contrast than the revealed image.
    assert ImageStat.Stat(blurred.convert("L")).stddev[0] < \
        0.5 * ImageStat.Stat(revealed.convert("L")).stddev[0]


def test_an_animation_shows_its_first_frame_and_a_heic_photo_is_read() -> None:
    gif = opened(PREVIEWS.preview(animation("GIF", [RED, BLUE, BLUE], size=64), reveal=True))
    assert gif.convert("RGB").getpixel((32, 32))[0] > 150
    photo = opened(PREVIEWS.preview(heic(RED, 80), reveal=True))
    assert photo.size == (80, 80) and photo.convert("RGB").getpixel((40, 40))[0] > 150


def test_what_cannot_be_read_answers_the_placeholder() -> None:
    placeholder = PREVIEWS.placeholder()
    assert opened(placeholder).size == (512, 512)
    truncated = checkerboard(400, 400)[:300]
    out = io.BytesIO()
    Image.new("P", (1, 1)).save(out, format="GIF")
    bomb = bytearray(out.getvalue())
    bomb[6:10] = struct.pack("<HH", 65535, 65535)  # a 4-gigapixel logical screen
    for content in (b"", b"not an image", truncated, bytes(bomb)):
        assert PREVIEWS.preview(content, reveal=False) == placeholder


def test_a_huge_jpeg_is_decoded_scaled_down() -> None:
    content = checkerboard(7000, 6000)  # 42 megapixels, 126 MB if decoded whole
    tracemalloc.start()
    try:
        preview = PREVIEWS.preview(content, reveal=False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert max(opened(preview).size) == 512
    assert peak < 40 * 1024 * 1024
