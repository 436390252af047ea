"""Part codes and QR ids: what is accepted, what is refused and what the person is told."""

from __future__ import annotations

import math
import re
from collections import Counter

import pytest

from errors import InvalidInput
from qr.ids import (
    PART_CODE_PATTERN,
    QR_ID_MAX_CHARS,
    SUFFIX_ALPHABET,
    SUFFIX_LENGTH,
    new_qr_id,
    normalize_part_code,
    part_code_of,
    validate_qr_id,
)

# --- normalize_part_code -----------------------------------------------------------------


@pytest.mark.parametrize(("raw", "expected"), [
    ("A-100", "A-100"),
    ("  bolt_M8.x  ", "bolt_M8.x"),
    ("\tX1\n", "X1"),
    ("\u00a0X1\u00a0", "X1"),  # a no-break space pasted from a web page
    (12345, "12345"),
    (12345.0, "12345"),  # how Excel stores a code typed as 12345
    (123456789012345.0, "123456789012345"),
    (0, "0"),
    ("a" * 64, "a" * 64),
    (10**64 - 1, "9" * 64),
    ("1.2.3", "1.2.3"),
])
def test_normalize_accepts_and_canonicalises(raw: object, expected: str) -> None:
    assert normalize_part_code(raw) == expected


def test_excel_float_never_keeps_a_trailing_zero() -> None:
    assert not normalize_part_code(12345.0).endswith(".0")


@pytest.mark.parametrize(("raw", "message"), [
    ("", "part_code is required"),
    ("   ", "part_code is required"),
    (None, "part_code is required"),
    ("a" * 65, "at most 64 characters, got 65"),
    ("A B", "may only contain letters A-Z, digits, '.', '_' and '-'"),
    ("A/B", "may only contain"),
    ("A\\B", "may only contain"),
    ("A\x00B", "may only contain"),
    ("A\nB", "may only contain"),
    ("Çelik", "may only contain"),
    ("vida-ğ", "may only contain"),
    ("A..B", "may not contain '..'"),
    (".hidden", "must start with a letter or digit"),
    ("-1", "must start with a letter or digit"),
    ("_x", "must start with a letter or digit"),
    (-5, "must start with a letter or digit"),
    (12.5, "is a decimal number; format the part_code column as text"),
    (math.nan, "decimal number"),
    (math.inf, "decimal number"),
    (10**64, "at most 64 characters"),
    # str() alone would raise ValueError on this one
    pytest.param(10**5000, "at most 64 characters", id="5001-digit-int"),
    (True, "must be text, not true/false"),
    (["A1"], "must be text, got list"),
])
def test_normalize_refuses_with_a_clear_message(raw: object, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        normalize_part_code(raw)
    assert message in caught.value.message


def test_a_refused_code_is_shown_escaped_and_cut_short() -> None:
    with pytest.raises(InvalidInput) as caught:
        normalize_part_code("A\x07" + "b" * 60)
    assert "\\x07" in caught.value.message
    assert "b" * 38 + "…" in caught.value.message
    assert "b" * 39 not in caught.value.message


def test_pattern_is_the_documented_one() -> None:
    assert PART_CODE_PATTERN.pattern == r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


# --- new_qr_id ---------------------------------------------------------------------------


def test_new_qr_id_is_part_code_dash_twelve_base32_characters() -> None:
    qr_id = new_qr_id("P-100")
    assert re.fullmatch(r"P-100-[a-z2-7]{12}", qr_id), qr_id
    assert validate_qr_id(qr_id) == qr_id
    assert part_code_of(qr_id) == "P-100"


def test_suffix_carries_at_least_60_random_bits() -> None:
    assert SUFFIX_LENGTH * math.log2(len(set(SUFFIX_ALPHABET))) >= 60


def test_new_qr_ids_do_not_repeat_and_use_the_whole_alphabet() -> None:
    made = [new_qr_id("X") for _ in range(20_000)]
    assert len(set(made)) == len(made)
    letters = Counter("".join(m[2:] for m in made))
    assert set(letters) == set(SUFFIX_ALPHABET)
    # 240,000 draws over 32 letters: 7,500 each expected; a skew beyond 10% means a bias.
    assert all(6_750 < n < 8_250 for n in letters.values()), letters


def test_token_replaces_the_random_source() -> None:
    asked: list[int] = []

    def token(length: int) -> str:
        asked.append(length)
        return "abcdefgh2345"

    assert new_qr_id("A1", token=token) == "A1-abcdefgh2345"
    assert asked == [SUFFIX_LENGTH]


@pytest.mark.parametrize("bad", ["short", "ABCDEFGH2345", "abcdefgh234/", "abcdefgh2340",
                                 "abcdefgh23456"])
def test_a_token_that_returns_an_unsafe_suffix_is_a_programming_error(bad: str) -> None:
    with pytest.raises(ValueError, match="token must return"):
        new_qr_id("A1", token=lambda _n: bad)


@pytest.mark.parametrize("bad_code", ["", "a b", "../x", "a" * 65])
def test_new_qr_id_refuses_an_unsafe_part_code(bad_code: str) -> None:
    with pytest.raises(InvalidInput):
        new_qr_id(bad_code)


def test_longest_part_code_still_makes_a_valid_qr_id() -> None:
    qr_id = new_qr_id("Z" * 64)
    assert len(qr_id) == 64 + 1 + SUFFIX_LENGTH
    assert validate_qr_id(qr_id) == qr_id


# --- validate_qr_id ----------------------------------------------------------------------


@pytest.mark.parametrize("good", ["A1-abcdefgh2345", "12345-zzzzzzzzzzzz", "legacy_id.1",
                                  "x", "a" * QR_ID_MAX_CHARS, "A-B-C-d2"])
def test_validate_accepts_safe_ids_unchanged(good: str) -> None:
    assert validate_qr_id(good) == good


@pytest.mark.parametrize(("bad", "message"), [
    ("", "A QR id is required"),
    ("a" * (QR_ID_MAX_CHARS + 1), "at most 200 characters long, got 201"),
    ("A1/abc", "may only contain letters, digits, '.', '_' and '-'"),
    ("A1\\abc", "may only contain letters, digits"),
    ("qr_codes/../x", "may only contain"),
    ("A1..abc", "may not contain '..'"),
    ("A1 abc", "may only contain"),
    (" A1-abc", "may only contain"),
    ("A1-abc ", "may only contain"),
    ("A1\tabc", "may only contain"),
    ("A1-abc\n", "may only contain"),
    ("A1\x00", "may only contain"),
    ("A1\x7f", "may only contain"),
    ("Çelik-abc", "may only contain"),
    ("A1-ab\u0131", "may only contain"),  # dotless ı
    ("A1-ab\uff41", "may only contain"),  # full-width a
    ("-abc", "must start with a letter or digit"),
    (".abc", "must start with a letter or digit"),
    ("A1?x=1", "may only contain"),
    ("A1%2F", "may only contain"),
])
def test_validate_refuses_unsafe_ids(bad: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        validate_qr_id(bad)
    assert message in caught.value.message


@pytest.mark.parametrize("bad", [None, 123, b"A1-abc"])
def test_validate_refuses_non_text(bad: object) -> None:
    with pytest.raises(InvalidInput, match="must be text"):
        validate_qr_id(bad)  # type: ignore[arg-type]


# --- part_code_of ------------------------------------------------------------------------


@pytest.mark.parametrize(("qr_id", "part_code"), [
    ("A1-abcdefgh2345", "A1"),
    ("A-B-C-abcdefgh2345", "A-B-C"),
    ("12345-x", "12345"),
])
def test_part_code_is_everything_before_the_last_dash(qr_id: str, part_code: str) -> None:
    assert part_code_of(qr_id) == part_code


@pytest.mark.parametrize("qr_id", ["nodash", ""])
def test_part_code_of_an_id_without_one_is_refused(qr_id: str) -> None:
    with pytest.raises(InvalidInput, match="has no part code"):
        part_code_of(qr_id)


def test_round_trip_for_many_part_codes() -> None:
    for code in ["A", "a.b_c-d", "0", "Z" * 64, "x-"]:
        assert part_code_of(new_qr_id(code)) == code
