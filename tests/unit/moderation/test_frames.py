"""Which images may hold frames Vision would not look at, and which frames are judged."""

from __future__ import annotations

import io

import pytest

from moderation.frames import FRAME_SNIFF_BYTES, may_hold_frames, pick_frames
from tests.support.animations import animation, frames, innocent_first


@pytest.mark.parametrize("image_format", ["GIF", "WEBP", "PNG", "TIFF"])
def test_an_animation_or_a_multi_page_tiff_may_hold_frames(image_format: str) -> None:
    content = innocent_first(image_format)
    sniffed = {"GIF": "gif", "WEBP": "webp", "PNG": "png", "TIFF": "tiff"}[image_format]
    assert may_hold_frames(sniffed, content[:FRAME_SNIFF_BYTES])


def still(image_format: str) -> bytes:
    out = io.BytesIO()
    frames([(1, 2, 3)])[0].save(out, format=image_format)
    return out.getvalue()


def test_a_still_png_or_webp_is_known_from_its_start_and_jpeg_never_holds_frames() -> None:
    assert not may_hold_frames("png", still("PNG")[:FRAME_SNIFF_BYTES])
    assert not may_hold_frames("webp", still("WEBP")[:FRAME_SNIFF_BYTES])
    assert not may_hold_frames("jpeg", still("JPEG")[:FRAME_SNIFF_BYTES])
    assert may_hold_frames("heic", b"")  # Vision cannot read it: always converted


def test_a_png_whose_start_shows_neither_marker_is_read_whole() -> None:
    # A long text chunk before IDAT: the start alone proves nothing.
    long_header = b"\x89PNG\r\n\x1a\n" + b"tEXt" + b"x" * (FRAME_SNIFF_BYTES * 2)
    assert may_hold_frames("png", long_header[:FRAME_SNIFF_BYTES])
    assert not may_hold_frames("png", b"\x89PNG\r\n\x1a\n" + b"short and whole")
    assert may_hold_frames("png", animation("PNG", [(0, 0, 0), (9, 9, 9)])[:100])


@pytest.mark.parametrize(("count", "wanted", "picked"), [
    (1, 9, [0]), (2, 9, [0, 1]), (9, 9, list(range(9))), (100, 9,
                                                          [0, 12, 25, 37, 50, 62, 74, 87, 99]),
    (100, 1, [0]), (5, 3, [0, 2, 4]), (100000, 2, [0, 99999]),
])
def test_the_first_the_last_and_evenly_spaced_frames(count: int, wanted: int,
                                                     picked: list[int]) -> None:
    assert pick_frames(count, wanted) == picked


# A head made of the markers alone: where each stands, not what else a file holds, decides.
PAD = b"." * FRAME_SNIFF_BYTES


@pytest.mark.parametrize(("head", "may"), [
    (b"acTL", True),                       # an animation control chunk, at the very start
    (b"acTL" + b"IDAT" + b"acTL", True),   # the first acTL is before the first IDAT
    (b"IDAT" + b"acTL" + b"IDAT", False),  # image data came first: a still image
    (b"xIDATacTL", False),
    (b"IDAT" + b"acTL", False),
    (b"IDAT" + PAD, False),                # image data seen: no need to read further
    (b"idat" + PAD, True),                 # markers are case-sensitive chunk types
    (PAD, True),
])
def test_a_png_may_hold_frames_only_with_an_actl_before_its_first_idat(head: bytes,
                                                                       may: bool) -> None:
    assert may_hold_frames("png", head) is may


def webp(chunk: bytes, flags: int | None) -> bytes:
    head = b"RIFF\x00\x00\x00\x00WEBP" + chunk + b"\x0a\x00\x00\x00"
    return head if flags is None else head + bytes([flags])


@pytest.mark.parametrize(("head", "may"), [
    (webp(b"VP8X", 0x02), True),           # the animation flag of the extended header
    (webp(b"VP8X", 0x02 | 0x10), True),
    (webp(b"VP8X", 0x10), False),          # other flags (alpha) alone: a still image
    (webp(b"VP8X", 0x00), False),
    (webp(b"VP8X", None), False),          # cut before its flags: taken as still, no error
    (webp(b"VP8L", 0x02), False),          # a simple WebP has one frame whatever follows
    (webp(b"VP8 ", 0xFF), False),
])
def test_a_webp_may_hold_frames_only_when_its_extended_header_says_animated(
        head: bytes, may: bool) -> None:
    assert may_hold_frames("webp", head) is may
