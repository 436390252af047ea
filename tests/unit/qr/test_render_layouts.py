"""Each QR version's layout (function patterns, type and version info, data order) is made
once per process and kept (qr/render.py `_layout`); made afresh, as a new instance makes it,
it must still give qrcode's own matrices (the other tests find it made already). Also the
longest numeric and alphanumeric payloads bit for bit, and what is not a payload."""

from __future__ import annotations

import random
import string

import pytest
import qrcode

from errors import InvalidInput
from qr import render
from qr.render import module_matrix


def reference(payload: str) -> list[list[bool]]:
    qr = qrcode.QRCode(box_size=10, border=4, error_correction=qrcode.ERROR_CORRECT_M)
    qr.add_data(payload)
    qr.make(fit=True)
    return qr.modules


def longest_of(version: int) -> str:
    bits = qrcode.util.length_in_bits(qrcode.util.MODE_8BIT_BYTE, version)
    limit = (qrcode.util.BIT_LIMIT_TABLE[qrcode.ERROR_CORRECT_M][version] - 4 - bits) // 8
    return "".join(random.Random(version).choices(string.ascii_lowercase, k=limit))


@pytest.mark.parametrize("version", [1, 2, 6, 7, 8, 14, 40])
def test_a_layout_made_afresh_gives_qrcodes_matrix(version: int) -> None:
    render._layout.cache_clear()
    payload = longest_of(version)
    assert len(module_matrix(payload)) == 4 * version + 17
    assert module_matrix(payload) == reference(payload)


def test_a_payload_one_byte_too_long_is_told_in_characters() -> None:
    with pytest.raises(render.PayloadTooLong) as err:
        render.render_png("a" * 2332)
    size = err.value.message.params["size"]
    assert (size.code, size.params) == ("qr.payload.size_chars", {"chars": 2332})


@pytest.mark.parametrize(("mode", "alphabet"), [
    (qrcode.util.MODE_NUMBER, "0123456789"),
    (qrcode.util.MODE_ALPHA_NUM, "ABC123 $%*+-./:"),
])
def test_the_longest_numeric_and_alphanumeric_payloads_are_qrcodes_matrices(
        mode: int, alphabet: str) -> None:
    """Filled to the last bits: the terminator is cut short and no pad byte is left."""
    payload = "".join(random.Random(mode).choices(alphabet, k=render.capacity(mode)))
    assert module_matrix(payload) == reference(payload)


@pytest.mark.parametrize(("payload", "code", "params"), [
    ("", "qr.payload.empty", {}),
    (None, "qr.payload.not_text", {"type": "NoneType"}),
    (b"P-1", "qr.payload.not_text", {"type": "bytes"}),
])
def test_what_is_not_a_payload_is_named(payload: object, code: str,
                                        params: dict[str, str]) -> None:
    with pytest.raises(InvalidInput) as err:
        render.render_png(payload)  # type: ignore[arg-type]
    assert (err.value.message.code, err.value.message.params) == (code, params)


@pytest.mark.parametrize("payload", ["1" * 62, "1" * 34, "A" * 47])
def test_a_terminator_cut_short_by_the_version_is_qrcodes(payload: str) -> None:
    """62 digits leave 3 bits of version 2 for the terminator, 34 digits none of version 1."""
    assert module_matrix(payload) == reference(payload)
