"""Deterministic, fast QR label PNGs: one payload, one fixed set of parameters, one PNG.

The module matrix is exactly what qrcode 8.2 makes with
`QRCode(box_size=10, border=4, error_correction=M)`, `add_data(payload)`, `make(fit=True)`
(same segments, version, codewords, mask and format bits). qrcode's default path spends
its time in pure-Python loops over single modules; this module does the same work on
whole matrices held as Python ints (one bit a module, row-major, first module = most
significant bit):

* Codewords: qrcode's own segmentation (`util.optimal_data_chunks`, as `add_data` uses)
  and version rule (`best_fit`), but the bit stream is built in an int and Reed-Solomon
  runs as a byte-wise shift register with a per-generator table, instead of a bit-by-bit
  `BitBuffer` and a recursive polynomial `%`. The remainder is the same polynomial.
* Mask choice: the data modules of a version are placed once per payload (one
  `itemgetter` call maps the data bits to their cells); each of the 8 candidates is then
  one XOR with a precomputed mask, scored with ~60 big-int operations that compute
  exactly what `util.lost_point` computes, quirks included (see `_penalty`).
* Drawing: each module row is packed to pixel bytes through a 256-entry table (8 modules
  -> 80 pixels) and the PNG is written with zlib at a fixed level: no Pillow at run time,
  no timestamp or other metadata chunk, so the same payload always gives the same bytes
  (for a given zlib build).
"""

from __future__ import annotations

import functools
import struct
import zlib
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain
from operator import itemgetter

from qrcode import LUT, base, constants, util
from qrcode.main import QRCode

from errors import InvalidInput
from messages import Msg

BOX_SIZE = 10
BORDER = 4
ERROR_CORRECTION = constants.ERROR_CORRECT_M
# zlib level 6 (its default): 40% smaller files than level 1 for ~0.1 ms more a label;
# level 9 is slower and no smaller on these images.
PNG_COMPRESS_LEVEL = 6
# add_data's default: a run of digits / alphanumerics becomes its own segment from 20 on.
SEGMENT_MINIMUM = 20
MAX_VERSION = 40
_MASKS = range(8)
_PAD_BYTES = (0xEC, 0x11)
_FORMAT_BITS = 15
_VERSION_BITS = 18


class PayloadTooLong(InvalidInput):
    """The payload does not fit the largest QR code (version 40) at level M."""


def module_matrix(payload: str) -> list[list[bool]]:
    """The QR modules of `payload` without the quiet border, True = dark."""
    size, bits = _modules(payload)
    text = format(bits, f"0{size * size}b")
    return [list(map("1".__eq__, text[start:start + size]))
            for start in range(0, size * size, size)]


def module_bits(payload: str) -> tuple[int, int]:
    """(size, modules) of `payload`'s QR code without the quiet border: the modules as one
    int, one bit a module, row by row from the top left (first module = most significant
    bit), 1 = dark. The cheapest form to draw from (qr/label_sheet.py)."""
    return _modules(payload)


def render_png(payload: str) -> bytes:
    """A 1-bit grayscale PNG of `payload`: black modules of 10x10 px, 4-module white border."""
    size, bits = _modules(payload)
    return _png(size, bits)


def capacity(mode: int = util.MODE_8BIT_BYTE) -> int:
    """How many characters of one `mode` segment fit version 40 at level M.

    For the byte mode (any text) that is UTF-8 bytes: 2331.
    """
    bits = util.BIT_LIMIT_TABLE[ERROR_CORRECTION][MAX_VERSION] - 4 - util.length_in_bits(
        mode, MAX_VERSION)
    if mode == util.MODE_NUMBER:  # 10 bits per 3 digits, then 4 or 7 for the rest
        count, rest = divmod(bits, 10)
        return 3 * count + (2 if rest >= 7 else 1 if rest >= 4 else 0)
    if mode == util.MODE_ALPHA_NUM:  # 11 bits per pair, 6 for a last single one
        count, rest = divmod(bits, 11)
        return 2 * count + (1 if rest >= 6 else 0)
    return bits // 8


def _modules(payload: str) -> tuple[int, int]:
    """(size, matrix bits) of the QR code of `payload`, as qrcode's make(fit=True)."""
    version, codewords = _encode(payload)
    layout = _layout(version)
    data = int.from_bytes(codewords, "big") << (layout.data_modules - 8 * len(codewords))
    # Test-mode matrix (type and version info light), data unmasked: qrcode scores these.
    unmasked = int("".join(layout.place(format(data, f"0{layout.data_modules}b") + "01")), 2)
    grid = _grid(layout.size)
    best_mask, best_points = 0, 0
    for mask in _MASKS:
        points = _penalty(unmasked ^ layout.mask_cells[mask], grid)
        if mask == 0 or points < best_points:  # the first minimum wins, as in qrcode
            best_mask, best_points = mask, points
    return layout.size, unmasked ^ layout.mask_cells[best_mask] | layout.info_cells[best_mask]


# --- codewords ------------------------------------------------------------------------


class _Bits:
    """A bit stream in an int; QRData.write only needs `put`."""

    __slots__ = ("length", "value")

    def __init__(self) -> None:
        self.value = 0
        self.length = 0

    def put(self, number: int, length: int) -> None:
        self.value = (self.value << length) | (number & ((1 << length) - 1))
        self.length += length


def _encode(payload: str) -> tuple[int, bytes]:
    """(version, interleaved data + EC codewords), as qrcode's util.create_data."""
    encoded = _utf8(payload)
    segments = list(util.optimal_data_chunks(encoded, minimum=SEGMENT_MINIMUM))
    bodies = [_body(segment) for segment in segments]
    version = _fit_version(segments, bodies, payload, encoded)

    stream = _Bits()
    for segment, body in zip(segments, bodies, strict=True):
        stream.put(segment.mode, 4)
        stream.put(len(segment), util.length_in_bits(segment.mode, version))
        stream.put(body.value, body.length)
    blocks = base.rs_blocks(version, ERROR_CORRECTION)
    limit = sum(block.data_count for block in blocks) * 8
    stream.put(0, min(limit - stream.length, 4))  # terminator
    stream.put(0, -stream.length % 8)  # to a byte boundary
    data = stream.value.to_bytes(stream.length // 8, "big")
    data += bytes(_PAD_BYTES[i % 2] for i in range(limit // 8 - len(data)))
    return version, _interleave(data, blocks)


def _body(segment: util.QRData) -> _Bits:
    """The data bits of one segment (QRData.write; bytes mode without a call per byte)."""
    body = _Bits()
    if segment.mode == util.MODE_8BIT_BYTE:
        body.put(int.from_bytes(segment.data, "big"), 8 * len(segment.data))
    else:
        segment.write(body)
    return body


def _utf8(payload: str) -> bytes:
    if not isinstance(payload, str):
        raise InvalidInput(Msg("qr.payload.not_text", type=type(payload).__name__))
    if not payload:
        raise InvalidInput(Msg("qr.payload.empty"))
    try:
        return payload.encode("utf-8")
    except UnicodeEncodeError as err:
        raise InvalidInput(Msg("qr.payload.surrogate")) from err


def _fit_version(segments: list[util.QRData], bodies: list[_Bits], payload: str,
                 encoded: bytes) -> int:
    """QRCode.best_fit: the smallest version whose data capacity holds the bit stream."""
    start = 1
    while True:
        sizes = util.mode_sizes_for_version(start)
        needed = sum(4 + sizes[segment.mode] + body.length
                     for segment, body in zip(segments, bodies, strict=True))
        version = bisect_left(util.BIT_LIMIT_TABLE[ERROR_CORRECTION], needed, start)
        if version > MAX_VERSION:
            raise PayloadTooLong(_too_long_message(payload, encoded))
        if util.mode_sizes_for_version(version) is sizes:
            return version
        start = version  # longer length fields from here on: count again


def _too_long_message(payload: str, encoded: bytes) -> Msg:
    size = (Msg("qr.payload.size_chars", chars=len(payload)) if len(encoded) == len(payload)
            else Msg("qr.payload.size_chars_bytes", chars=len(payload), bytes=len(encoded)))
    mode = util.optimal_mode(encoded)
    if mode == util.MODE_NUMBER:
        limit = Msg("qr.payload.limit_digits", count=capacity(mode))
    elif mode == util.MODE_ALPHA_NUM:
        limit = Msg("qr.payload.limit_alphanumeric", count=capacity(mode))
    else:
        limit = Msg("qr.payload.limit_bytes", count=capacity(util.MODE_8BIT_BYTE))
    return Msg("qr.payload.too_long", size=size, limit=limit)


def _interleave(data: bytes, blocks: list[base.RSBlock]) -> bytes:
    """Split into RS blocks, add each block's EC bytes, interleave (util.create_bytes)."""
    data_blocks: list[bytes] = []
    ec_blocks: list[bytes] = []
    offset = 0
    for block in blocks:
        chunk = data[offset:offset + block.data_count]
        offset += block.data_count
        data_blocks.append(chunk)
        ec_blocks.append(_ec_bytes(chunk, block.total_count - block.data_count))
    return _columns(data_blocks) + _columns(ec_blocks)


def _columns(blocks: list[bytes]) -> bytes:
    """Byte 0 of every block, then byte 1 of every block, ...; short blocks drop out."""
    if len(blocks) == 1:
        return blocks[0]
    out = bytes(chain.from_iterable(zip(*blocks, strict=False)))  # to the shortest block
    for i in range(min(map(len, blocks)), max(map(len, blocks))):
        out += bytes(block[i] for block in blocks if i < len(block))
    return out


def _ec_bytes(data: bytes, ec_count: int) -> bytes:
    """The Reed-Solomon remainder of data * x^ec_count by the generator, as bytes."""
    table = _rs_table(ec_count)
    top = 8 * (ec_count - 1)
    keep = (1 << top) - 1
    remainder = 0
    for byte in data:
        remainder = ((remainder & keep) << 8) ^ table[(remainder >> top) ^ byte]
    return remainder.to_bytes(ec_count, "big")


@functools.cache
def _rs_table(ec_count: int) -> tuple[int, ...]:
    """factor -> factor * (generator without its leading 1), packed big-endian in an int."""
    if ec_count in LUT.rsPoly_LUT:
        generator = LUT.rsPoly_LUT[ec_count]
    else:  # the product qrcode computes when its table lacks a size
        poly = base.Polynomial([1], 0)
        for i in range(ec_count):
            poly = poly * base.Polynomial([1, base.gexp(i)], 0)
        generator = list(poly)
    table = [0]
    for factor in range(1, 256):
        packed = 0
        for coefficient in generator[1:]:
            product = base.gexp(base.glog(coefficient) + base.glog(factor)) if coefficient else 0
            packed = (packed << 8) | product
        table.append(packed)
    return tuple(table)


# --- mask penalty ---------------------------------------------------------------------


@dataclass(frozen=True)
class _Grid:
    """Where in a size x size matrix each kind of penalty window may start."""

    size: int
    run_h: int  # 5 modules to the right fit: column <= size - 5
    run_v: int  # row <= size - 5
    block: int  # 2x2 block: row and column <= size - 2
    finder_h: int  # 11 modules: column <= size - 11
    finder_v: int  # row <= size - 11


@functools.cache
def _grid(size: int) -> _Grid:
    def columns_upto(last: int) -> int:
        count = max(0, last + 1)
        return int(("1" * count + "0" * (size - count)) * size or "0", 2)

    def rows_upto(last: int) -> int:
        count = max(0, last + 1)
        return int("1" * (size * count) + "0" * (size * (size - count)) or "0", 2)

    return _Grid(
        size=size,
        run_h=columns_upto(size - 5),
        run_v=rows_upto(size - 5),
        block=columns_upto(size - 2) & rows_upto(size - 2),
        finder_h=columns_upto(size - 11),
        finder_v=rows_upto(size - 11),
    )


def _penalty(dark: int, grid: _Grid) -> int:
    """qrcode 8.2's `util.lost_point` of a matrix given as bits (1 = dark).

    `x << k` puts at each cell the value of the cell k positions later in row-major
    order: k = 1 is the right neighbour, k = size the one below. What lost_point counts:
    1. every run of >= 5 same-coloured modules in a row or column: length - 2;
    2. every 2x2 block of one colour (overlapping blocks all count): 3;
    3. every 1011101 with four light modules on one side, entirely inside a row or
       column (the quiet zone does not count as light): 40;
    4. 10 per full 5% that the dark share departs from 50%, with the same float maths.
    """
    size = grid.size
    light = ~dark
    same_right = ~(dark ^ (dark << 1))
    same_below = ~(dark ^ (dark << size))
    points = _runs(same_right, 1, grid.run_h) + _runs(same_below, size, grid.run_v)
    points += 3 * (same_right & same_below & (same_right << size) & grid.block).bit_count()
    points += 40 * (_finder_like(dark, light, 1, grid.finder_h)
                    + _finder_like(dark, light, size, grid.finder_v))
    rating = int(abs(float(dark.bit_count()) / (size**2) * 100 - 50) / 5)
    return points + rating * 10


def _runs(same: int, step: int, starts: int) -> int:
    """Sum of (length - 2) over runs of >= 5 equal modules along `step`.

    A run of length L holds L - 4 windows of 5 equal modules, and exactly one of them
    has no such window just before it; so the sum is windows + 2 * first windows.
    """
    windows = same & (same << step) & (same << 2 * step) & (same << 3 * step) & starts
    first = windows & ~(windows >> step)
    return windows.bit_count() + 2 * first.bit_count()


def _finder_like(dark: int, light: int, step: int, starts: int) -> int:
    """How many windows along `step` read 1011101 0000 or 0000 1011101 (1 = dark)."""
    s = step
    core = (dark & (light << s) & (dark << 2 * s) & (dark << 3 * s) & (dark << 4 * s)
            & (light << 5 * s) & (dark << 6 * s))
    quiet = light & (light << s) & (light << 2 * s) & (light << 3 * s)
    return (((core & (quiet << 7 * s)) | (quiet & (core << 4 * s))) & starts).bit_count()


def _bits_of(modules: list[list[bool]]) -> int:
    """A matrix of bools as the row-major bits `_penalty` reads (used by the tests)."""
    return int("".join("1" if cell else "0" for row in modules for cell in row) or "0", 2)


# --- per-version layout ---------------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    """Everything about one QR version that does not depend on the payload."""

    version: int
    size: int
    data_modules: int
    # (data bits as "0"/"1" + "01") -> every cell row-major: the data bit it holds, or
    # the "0"/"1" of a function pattern; type and version info light (make's test mode).
    place: itemgetter
    mask_cells: tuple[int, ...]  # per mask: the data cells it flips
    info_cells: tuple[int, ...]  # per mask: dark type-info, version-info and dark module


@functools.cache
def _layout(version: int) -> _Layout:
    """Lay out `version` once: qrcode's own function patterns, its data order, its masks."""
    qr = QRCode(version=version, error_correction=ERROR_CORRECTION)
    size = qr.modules_count = version * 4 + 17
    qr.modules = [[None] * size for _ in range(size)]
    qr.setup_position_probe_pattern(0, 0)
    qr.setup_position_probe_pattern(size - 7, 0)
    qr.setup_position_probe_pattern(0, size - 7)
    qr.setup_position_adjust_pattern()
    qr.setup_timing_pattern()
    fixed: list[list[bool | None]] = qr.modules

    version_info = util.BCH_type_number(version) if version >= 7 else 0
    info_bits = [_info_bits(size, version, util.BCH_type_info((ERROR_CORRECTION << 3) | mask),
                            version_info) for mask in _MASKS]
    data_order = _data_order(fixed, set(info_bits[0]), size)
    data_modules = len(data_order)
    light, dark = data_modules, data_modules + 1  # indexes of "0" and "1" in the source

    sources = [light if cell is not True else dark for row in fixed for cell in row]
    for k, (r, c) in enumerate(data_order):
        sources[r * size + c] = k

    def cells(chosen: Iterable[tuple[int, int]]) -> int:
        flags = ["0"] * (size * size)
        for r, c in chosen:
            flags[r * size + c] = "1"
        return int("".join(flags), 2)

    return _Layout(
        version=version,
        size=size,
        data_modules=data_modules,
        place=itemgetter(*sources),
        mask_cells=tuple(cells(rc for rc in data_order if util.mask_func(mask)(*rc))
                         for mask in _MASKS),
        info_cells=tuple(cells(rc for rc, on in bits.items() if on) for bits in info_bits),
    )


def _info_bits(size: int, version: int, type_info: int,
               version_info: int) -> dict[tuple[int, int], bool]:
    """Cell -> dark for the type info, version info and dark module (QRCode.setup_type_*)."""
    bits: dict[tuple[int, int], bool] = {}
    for i in range(_FORMAT_BITS):
        on = bool((type_info >> i) & 1)
        bits[(i, 8) if i < 6 else (i + 1, 8) if i < 8 else (size - 15 + i, 8)] = on
        bits[(8, size - i - 1) if i < 8 else (8, 15 - i) if i < 9 else (8, 14 - i)] = on
    if version >= 7:
        for i in range(_VERSION_BITS):
            on = bool((version_info >> i) & 1)
            bits[(i // 3, i % 3 + size - 11)] = on
            bits[(i % 3 + size - 11, i // 3)] = on
    bits[(size - 8, 8)] = True
    return bits


def _data_order(fixed: list[list[bool | None]], taken: set[tuple[int, int]],
                size: int) -> list[tuple[int, int]]:
    """The cells qrcode's map_data fills, in its order (upward/downward column pairs)."""
    order: list[tuple[int, int]] = []
    row, step = size - 1, -1
    for right in range(size - 1, 0, -2):
        col = right - 1 if right <= 6 else right  # skip the vertical timing column
        while True:
            for c in (col, col - 1):
                if fixed[row][c] is None and (row, c) not in taken:
                    order.append((row, c))
            row += step
            if not 0 <= row < size:
                row -= step
                step = -step
                break
    return order


# --- PNG ------------------------------------------------------------------------------

# 8 modules (1 = white) -> their 80 pixels, 10 bytes.
_SPREAD = tuple(
    int("".join(("1" if (byte >> (7 - i)) & 1 else "0") * BOX_SIZE for i in range(8)),
        2).to_bytes(BOX_SIZE, "big")
    for byte in range(256))


def _png(size: int, dark: int) -> bytes:
    """A 1-bit grayscale PNG (0 = black) of the matrix, 10 px a module, 4-module border."""
    modules = size + 2 * BORDER
    width = modules * BOX_SIZE
    row_bytes = (width + 7) // 8
    padded = -modules % 8  # modules added on the right so a row is whole bytes of modules
    white = (1 << size) - 1
    frame = ((1 << BORDER) - 1) << (size + BORDER + padded) | ((1 << (BORDER + padded)) - 1)
    packed_bytes = (modules + padded) // 8

    def scanlines(light: int) -> bytes:
        packed = (frame | light << (BORDER + padded)).to_bytes(packed_bytes, "big")
        line = b"\x00" + b"".join(map(_SPREAD.__getitem__, packed))[:row_bytes]
        return line * BOX_SIZE  # filter type 0 (none); zlib finds the repeats

    blank = scanlines(white) * BORDER
    rows = [scanlines(~(dark >> shift) & white)
            for shift in range(size * (size - 1), -1, -size)]
    header = struct.pack(">IIBBBBB", width, width, 1, 0, 0, 0, 0)  # 1 bit gray, no interlace
    return b"".join((
        b"\x89PNG\r\n\x1a\n",
        _chunk(b"IHDR", header),
        _chunk(b"IDAT", zlib.compress(b"".join((blank, *rows, blank)), PNG_COMPRESS_LEVEL)),
        _chunk(b"IEND", b""),
    ))


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(
        ">I", zlib.crc32(kind + body))
