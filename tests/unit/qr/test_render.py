"""qr/render.py against qrcode 8.2 itself: same matrices, real PNG decoding, fixed bytes."""

from __future__ import annotations

import hashlib
import io
import os
import random
import string
import struct
import subprocess
import sys
from pathlib import Path

import pytest
import qrcode
from PIL import Image
from qrcode import base, util

from errors import InvalidInput
from qr import render
from qr.render import PayloadTooLong, module_matrix, render_png

REPO = Path(__file__).resolve().parents[3]
SUFFIX = "abcdefghijklmnopqrstuvwxyz234567"
# qrcode 8.2's best_fit assigns version 41 through a validating setter before its own
# overflow check, so an over-long payload raises ValueError, not DataOverflowError.
QRCODE_OVERFLOW = (ValueError, qrcode.exceptions.DataOverflowError)


def reference(payload: str) -> qrcode.QRCode:
    """qrcode's default path, exactly as the brief names it."""
    qr = qrcode.QRCode(box_size=10, border=4, error_correction=qrcode.ERROR_CORRECT_M)
    qr.add_data(payload)
    qr.make(fit=True)
    return qr


def mask_of(qr: qrcode.QRCode) -> int:
    """The mask qrcode chose, read back from the type-info bits it wrote (row 8)."""
    n = qr.modules_count
    bits = 0
    for i in range(15):
        cell = (8, n - i - 1) if i < 8 else (8, 15 - i) if i < 9 else (8, 14 - i)
        bits |= int(qr.modules[cell[0]][cell[1]]) << i
    for mask in range(8):
        if util.BCH_type_info((qrcode.ERROR_CORRECT_M << 3) | mask) == bits:
            return mask
    raise AssertionError("no mask matches the type info")


def qr_id_like(rng: random.Random) -> str:
    part = rng.choice(string.ascii_uppercase) + "".join(
        rng.choices(string.ascii_uppercase + string.digits + "-_.", k=rng.randint(2, 30)))
    return f"{part}-{''.join(rng.choices(SUFFIX, k=12))}"


def byte_limit(version: int) -> int:
    """The longest byte-mode payload qrcode puts in `version` at level M."""
    length_bits = util.length_in_bits(util.MODE_8BIT_BYTE, version)
    return (util.BIT_LIMIT_TABLE[qrcode.ERROR_CORRECT_M][version] - 4 - length_bits) // 8


def assert_same_as_qrcode(payload: str) -> qrcode.QRCode:
    qr = reference(payload)
    assert module_matrix(payload) == qr.modules, payload
    return qr


# --- the mask penalty -------------------------------------------------------------------

def structured_matrices() -> list[list[list[bool]]]:
    finder_row = [c in (0, 2, 3, 4, 6) for c in range(7)] + [False] * 4
    return [
        [[True] * 21 for _ in range(21)],
        [[False] * 21 for _ in range(21)],
        [[(r + c) % 2 == 0 for c in range(25)] for r in range(25)],
        [[c % 2 == 0 for c in range(25)] for r in range(25)],
        [[r % 3 == 0 for c in range(12)] for r in range(12)],
        [finder_row[:] for _ in range(11)],
        [finder_row[::-1] for _ in range(11)],
        [[c in (4, 6, 7, 8, 10) for c in range(22)] for _ in range(22)],  # 00001011101...
        [[True] * 5 + [False] * 6 for _ in range(11)],
        [[True]],
        [[False, True], [True, True]],
    ]


@pytest.mark.parametrize("matrix", structured_matrices(), ids=lambda m: f"{len(m)}x{len(m)}")
def test_penalty_equals_lost_point_on_shaped_matrices(matrix: list[list[bool]]) -> None:
    size = len(matrix)
    expected = util.lost_point(matrix)
    assert render._penalty(render._bits_of(matrix), render._grid(size)) == expected


@pytest.mark.parametrize("size", [3, 5, 10, 11, 12, 21, 25, 45, 57])
def test_penalty_equals_lost_point_on_random_matrices(size: int) -> None:
    rng = random.Random(size)
    for _ in range(40):
        density = rng.choice([0.1, 0.3, 0.5, 0.7, 0.9])
        matrix = [[rng.random() < density for _ in range(size)] for _ in range(size)]
        got = render._penalty(render._bits_of(matrix), render._grid(size))
        assert got == util.lost_point(matrix)


# --- codewords and matrices -------------------------------------------------------------

@pytest.mark.parametrize("payload", [
    "PARTCODE-abc123xyz9", "A", "0", "12345678901234567890123", "HELLO WORLD $%*+-./:",
    "part-" + "7" * 25 + "-TAIL" + "X" * 22 + "-lower", "Ölfilter-ä", "部品-123",
    "🔩 bolt M8", "a\u0301", "line\nbreak\ttab",
])
def test_codewords_equal_create_data(payload: str) -> None:
    qr = reference(payload)
    version, codewords = render._encode(payload)
    assert version == qr.version
    assert list(codewords) == util.create_data(version, qrcode.ERROR_CORRECT_M, qr.data_list)


def test_qr_id_like_payloads_match_qrcode() -> None:
    rng = random.Random(7)
    versions = {assert_same_as_qrcode(qr_id_like(rng)).version for _ in range(150)}
    assert len(versions) >= 2  # the sample really spans more than one size


def test_every_mask_is_chosen_somewhere_and_matches() -> None:
    rng = random.Random(11)
    masks: set[int] = set()
    for _ in range(400):
        masks.add(mask_of(assert_same_as_qrcode(qr_id_like(rng))))
        if len(masks) == 8:
            break
    assert masks == set(range(8))


@pytest.mark.parametrize("version", range(1, 41))
def test_version_boundaries_match_qrcode(version: int) -> None:
    rng = random.Random(version)
    longest = "".join(rng.choices(string.ascii_lowercase + "-", k=byte_limit(version)))
    assert assert_same_as_qrcode(longest).version == version
    if version < 40 and (version <= 10 or version in (26, 27)):
        assert assert_same_as_qrcode(longest + "z").version == version + 1


@pytest.mark.parametrize("payload", [
    "9" * 40,  # numeric mode
    "PARTCODE-ABC123XYZ9",  # alphanumeric mode
    "x" + "1" * 20 + "y" + "Q" * 20 + "z",  # three kinds of segment
    "1" * 1200,  # numeric across the v9/v10 length-field change
    "A" * 600,  # alphanumeric across it
    "é" * 60,
    "ｶﾀｶﾅ-アイウ-漢字",
])
def test_segment_mixes_and_non_ascii_match_qrcode(payload: str) -> None:
    assert_same_as_qrcode(payload)


@pytest.mark.parametrize("digits", [
    # numeric payloads whose bit count fits v9 with 10-bit lengths but not v10+ with 12
    n for n in range(428, 438)
])
def test_numeric_length_field_growth_matches_qrcode(digits: int) -> None:
    assert_same_as_qrcode("8" * digits)


def test_nul_payload_qrcode_cannot_encode_gets_valid_reed_solomon() -> None:
    # qrcode 8.2 raises ValueError("glog(0)") when a data block is all zeros; ours encodes
    # it, and every block's codeword polynomial has the generator's roots (syndromes 0).
    payload = "a" + "\x00" * 200
    with pytest.raises(ValueError, match="glog"):
        reference(payload)
    version, codewords = render._encode(payload)
    blocks = base.rs_blocks(version, qrcode.ERROR_CORRECT_M)
    for block in deinterleave(codewords, blocks):
        ec_count = len(block) - next(b.data_count for b in blocks if b.total_count == len(block))
        for root in range(ec_count):
            assert syndrome(block, root) == 0
    assert Image.open(io.BytesIO(render_png(payload))).size[0] == (version * 4 + 17 + 8) * 10


def deinterleave(codewords: bytes, blocks: list[base.RSBlock]) -> list[list[int]]:
    data = [[] for _ in blocks]
    ec = [[] for _ in blocks]
    position = 0
    for i in range(max(b.data_count for b in blocks)):
        for k, block in enumerate(blocks):
            if i < block.data_count:
                data[k].append(codewords[position])
                position += 1
    for i in range(max(b.total_count - b.data_count for b in blocks)):
        for k, block in enumerate(blocks):
            if i < block.total_count - block.data_count:
                ec[k].append(codewords[position])
                position += 1
    assert position == len(codewords)
    return [d + e for d, e in zip(data, ec, strict=True)]


def syndrome(block: list[int], root: int) -> int:
    """The block's polynomial at alpha^root in GF(256), by Horner's rule."""
    value = 0
    for coefficient in block:
        value = (base.gexp(base.glog(value) + root) if value else 0) ^ coefficient
    return value


# --- the PNG ----------------------------------------------------------------------------

def png_chunks(png: bytes) -> list[bytes]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    kinds, offset = [], 8
    while offset < len(png):
        (length,) = struct.unpack(">I", png[offset:offset + 4])
        kinds.append(png[offset + 4:offset + 8])
        offset += 12 + length
    return kinds


@pytest.mark.parametrize("payload", ["PARTCODE-abc123xyz9", "ÄÖÜ-部品-0042", "Z" * 300])
def test_png_pixels_are_the_matrix_scaled_with_a_white_border(payload: str) -> None:
    matrix = reference(payload).modules
    size = len(matrix)
    image = Image.open(io.BytesIO(render_png(payload)))
    image.load()
    assert image.mode == "1"
    side = (size + 2 * render.BORDER) * render.BOX_SIZE
    assert image.size == (side, side)

    gray = image.convert("L")
    for r, row in enumerate(matrix):
        for c, is_dark in enumerate(row):
            centre = ((c + 4) * 10 + 5, (r + 4) * 10 + 5)
            assert gray.getpixel(centre) == (0 if is_dark else 255), (r, c)

    # Every pixel, not only centres: rebuild the expected picture and compare.
    module_at = [None] * 4 + list(range(size)) + [None] * 4
    expected = bytearray()
    for y in range(side):
        row = module_at[y // 10]
        for x in range(side):
            col = module_at[x // 10]
            dark = row is not None and col is not None and matrix[row][col]
            expected.append(0 if dark else 255)
    assert gray.tobytes() == bytes(expected)


def test_png_has_only_header_data_and_end_chunks() -> None:
    assert png_chunks(render_png("PARTCODE-abc123xyz9")) == [b"IHDR", b"IDAT", b"IEND"]


def test_same_payload_same_bytes_and_different_payload_different_bytes() -> None:
    first = render_png("PARTCODE-abc123xyz9")
    assert render_png("PARTCODE-abc123xyz9") == first
    assert render_png("PARTCODE-abc123xyz8") != first


def test_bytes_are_identical_in_a_fresh_interpreter() -> None:
    payloads = ["PARTCODE-abc123xyz9", "部品-0042", "1" * 100]
    code = ("import hashlib, sys\nfrom qr.render import render_png\n"
            "for p in sys.argv[1:]: print(hashlib.sha256(render_png(p)).hexdigest())")
    env = {**os.environ, "PYTHONPATH": str(REPO / "functions"), "PYTHONHASHSEED": "random"}
    out = subprocess.run([sys.executable, "-c", code, *payloads], env=env, cwd=REPO,
                         capture_output=True, text=True, timeout=60, check=True)
    here = [hashlib.sha256(render_png(p)).hexdigest() for p in payloads]
    assert out.stdout.split() == here


# --- bad input --------------------------------------------------------------------------

def test_longest_byte_payload_fits_version_40_and_one_more_byte_does_not() -> None:
    longest = "a" * render.capacity()
    assert render.capacity() == 2331
    matrix = module_matrix(longest)
    assert len(matrix) == 177
    assert Image.open(io.BytesIO(render_png(longest))).size == (1850, 1850)

    with pytest.raises(PayloadTooLong) as caught:
        render_png(longest + "a")
    assert isinstance(caught.value, InvalidInput)
    assert "2332 characters" in caught.value.message
    assert "2331 bytes" in caught.value.message
    with pytest.raises(QRCODE_OVERFLOW):  # qrcode agrees it does not fit
        reference(longest + "a")


def test_non_ascii_too_long_message_counts_bytes() -> None:
    with pytest.raises(PayloadTooLong) as caught:
        render_png("ä" * 1200)
    assert "1200 characters (2400 bytes as UTF-8)" in caught.value.message


@pytest.mark.parametrize(("mode", "alphabet", "unit"), [
    (util.MODE_NUMBER, "0123456789", "digits"),
    (util.MODE_ALPHA_NUM, "ABC123 $%*+-./:", "characters"),
])
def test_numeric_and_alphanumeric_limits_are_qrcodes(mode: int, alphabet: str,
                                                     unit: str) -> None:
    limit = render.capacity(mode)
    rng = random.Random(mode)
    longest = "".join(rng.choices(alphabet, k=limit))
    assert len(module_matrix(longest)) == 177
    with pytest.raises(PayloadTooLong, match=f"is {limit} {unit}"):
        render_png(longest + alphabet[0])
    with pytest.raises(QRCODE_OVERFLOW):
        reference(longest + alphabet[0])


@pytest.mark.parametrize(("payload", "words"), [
    ("", "empty"),
    ("bad \ud800 surrogate", "not valid text"),
    (None, "must be text"),
    (b"PART-1", "must be text"),
])
def test_bad_payloads_are_invalid_input(payload: object, words: str) -> None:
    for function in (render_png, module_matrix):
        with pytest.raises(InvalidInput, match=words) as caught:
            function(payload)  # type: ignore[arg-type]
        assert not isinstance(caught.value, PayloadTooLong)
