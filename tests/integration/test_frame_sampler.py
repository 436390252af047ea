"""The frame sampler on Pillow and pillow-heif (infra/frame_sampler.py): the frames that
matter on one sheet, a HEIC photo as a JPEG, a still image left to Vision as it is, and
hostile images refused within their bounds instead of crashing."""

from __future__ import annotations

import io
import struct
import time
import tracemalloc
from collections.abc import Callable

import pytest
from PIL import Image

from infra.frame_sampler import PillowFrameSampler
from moderation.ports import ImageTooComplex
from tests.support.animations import BLUE, RED, animation, heic, innocent_first, red_share

SAMPLER = PillowFrameSampler()


@pytest.mark.parametrize(("image_format", "sniffed"), [
    ("GIF", "gif"), ("WEBP", "webp"), ("PNG", "png"), ("TIFF", "tiff")])
def test_a_bad_frame_that_is_not_the_first_is_on_the_sheet(image_format: str,
                                                           sniffed: str) -> None:
    content = innocent_first(image_format)
    assert red_share(content) == 0  # judged on its first frame alone, it would pass
    sheet = SAMPLER.sample(content, sniffed)
    assert sheet is not None and sheet.startswith(b"\xff\xd8\xff")  # a JPEG
    assert red_share(sheet) > 0.05
    with Image.open(io.BytesIO(sheet)) as image:
        assert image.size == (3 * 64, 2 * 64)  # 6 frames: 3 columns, 2 rows


def test_a_long_animation_is_judged_on_nine_frames_first_and_last_among_them() -> None:
    colours = [BLUE] * 200
    colours[-1] = RED  # only the last frame is bad
    sheet = SAMPLER.sample(animation("GIF", colours, size=32), "gif")
    assert sheet is not None
    with Image.open(io.BytesIO(sheet)) as image:
        assert image.size == (3 * 32, 3 * 32)
        assert image.convert("RGB").getpixel((2 * 32 + 16, 2 * 32 + 16))[0] > 150  # last tile


def test_a_still_image_is_left_to_vision_and_a_heic_photo_becomes_a_jpeg() -> None:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), BLUE).save(out, format="PNG")
    assert SAMPLER.sample(out.getvalue(), "png") is None
    converted = SAMPLER.sample(heic(RED, 80), "heic")
    assert converted is not None and converted.startswith(b"\xff\xd8\xff")
    assert red_share(converted) > 0.9


def gif_with_canvas(width: int, height: int) -> bytes:
    """A tiny one-pixel GIF that claims a huge logical screen."""
    out = io.BytesIO()
    Image.new("P", (1, 1)).save(out, format="GIF")
    data = bytearray(out.getvalue())
    data[6:10] = struct.pack("<HH", width, height)
    return bytes(data)


def gif_of_many_frames(count: int) -> bytes:
    """A GIF of `count` one-pixel frames, made by repeating one frame's bytes (a bomb of
    frames costs its maker nothing)."""
    out = io.BytesIO()
    Image.new("P", (1, 1), 0).save(out, format="GIF", save_all=True,
                                   append_images=[Image.new("P", (1, 1), 1)], duration=10)
    data = out.getvalue()
    frame = data[data.rfind(b"!\xf9"):-1]
    return data[:-1] + frame * (count - 1) + b";"


@pytest.mark.parametrize(("make", "sniffed", "why"), [
    (lambda: gif_with_canvas(60000, 60000), "gif", "canvas is too large"),
    (lambda: gif_of_many_frames(100_000), "gif", "frames are too many"),
    (lambda: animation("GIF", [BLUE, RED] * 60, size=300), "gif", "too much to decode"),
    (lambda: b"GIF89a\x01\x00\x01\x00" + b"\x00" * 40, "gif", "could not be read"),
    (lambda: b"\x00\x00\x00\x18ftypheic" + b"\x00" * 40, "heic", "could not be read"),
], ids=["huge-canvas", "100000-frames", "too-many-pixels", "broken-gif", "broken-heic"])
def test_hostile_images_are_refused_within_bounds(make: Callable[[], bytes], sniffed: str,
                                                  why: str) -> None:
    content = make()
    # Bounds small enough that the third image (120 frames of 300 x 300) is over them.
    sampler = PillowFrameSampler(max_decoded_pixels=5_000_000)
    tracemalloc.start()
    started = time.monotonic()
    try:
        with pytest.raises(ImageTooComplex, match=why):
            sampler.sample(content, sniffed)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.monotonic() - started < 5
    assert peak < 64 * 2**20


def test_the_time_budget_stops_a_slow_animation() -> None:
    sampler = PillowFrameSampler(time_budget_s=0.0)
    with pytest.raises(ImageTooComplex, match="took too long"):
        sampler.sample(innocent_first("GIF"), "gif")
