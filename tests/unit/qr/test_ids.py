"""Part codes and QR ids: what is accepted, what is refused and what the person is told."""

from __future__ import annotations

import math
import random
import re
import string
import unicodedata
from collections import Counter
from urllib.parse import quote

import pytest

from errors import InvalidInput
from qr.ids import (
    HASH_LENGTH,
    HASH_MARKER,
    PART_CODE_MAX_CHARS,
    PART_CODE_PATTERN,
    QR_ID_MAX_CHARS,
    SUFFIX_ALPHABET,
    SUFFIX_LENGTH,
    new_qr_id,
    normalize_part_code,
    part_code_of,
    qr_id_prefix,
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
    ("A B", "may only contain letters and digits (of any script), '.', '_' and '-'; a space "
            "is not allowed"),
    ("A/B", "may only contain letters and digits (of any script), '.', '_' and '-'; '/' is "
            "not allowed"),
    ("A\\B", "'\\\\' is not allowed"),
    ("A\x00B", "an invisible or control character (U+0000) is not allowed"),
    ("A\nB", "a line break is not allowed"),
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


# --- part codes in any script ------------------------------------------------------------

TURKISH_CODES = ["ŞĞİ-001", "ÇİVİ-M8", "kâğıt_A4", "Ölçü.2", "ışık-üç"]
OTHER_SCRIPT_CODES = ["ΑΒΓ-1", "螺丝-8", "Болт-М8", "ボルト_10", "नट-5", "٣٤٥-x", "Ⅻ-1"]


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


@pytest.mark.parametrize("code", TURKISH_CODES + OTHER_SCRIPT_CODES)
def test_codes_in_any_script_are_accepted_as_typed(code: str) -> None:
    assert normalize_part_code(code) == code
    assert normalize_part_code(f"  {code}\u00a0") == code


@pytest.mark.parametrize("code", ["ŞĞİ-001", "ÇİVİ-M8", "Ölçü.2", "Ά-1", "Й-1"])
def test_nfd_and_nfc_input_are_the_same_part(code: str) -> None:
    # A Mac and many web forms send "Ş" as S + combining cedilla (NFD); Windows sends the
    # single character. Both are one part, stored in NFC.
    assert nfd(code) != code
    assert normalize_part_code(nfd(code)) == code
    assert unicodedata.is_normalized("NFC", normalize_part_code(nfd(code)))
    assert qr_id_prefix(nfd(code)) == qr_id_prefix(code)


def test_case_is_never_folded() -> None:
    # The Turkish dotted and dotless i are four different letters; no case mapping runs.
    codes = ["i-1", "I-1", "ı-1", "İ-1"]
    assert [normalize_part_code(c) for c in codes] == codes


@pytest.mark.parametrize(("code", "prefix"), [
    ("ŞĞİ-001", "SGI-001"),
    ("ÇİVİ-M8", "CIVI-M8"),
    ("şğç-öü", "sgc-ou"),
    ("ÇĞİÖŞÜ", "CGIOSU"),
    ("çğıöşü", "cgiosu"),
    ("ıiIİ", "iiII"),  # ı -> i and İ -> I by table; plain i and I stay as they are
    ("kâğıt_Îç.Û", "kagit_Ic.U"),
])
def test_turkish_letters_are_transliterated(code: str, prefix: str) -> None:
    assert qr_id_prefix(code) == prefix
    assert PART_CODE_PATTERN.fullmatch(prefix)


def test_transliteration_uses_no_python_case_mapping() -> None:
    # What str.upper/lower would give: "I" for "i" (Turkish wants "İ"), two code points for
    # "İ".lower(). The prefix keeps each letter's case and length.
    assert qr_id_prefix("İi") == "Ii"
    assert len(qr_id_prefix("İİİ")) == 3


@pytest.mark.parametrize(("code", "prefix"), [
    # Pinned: a prefix is part of every printed label of the part, so it may never change.
    ("ΑΒΓ-1", "u~2byraym566"),
    ("螺丝-8", "u~bkw7h37cji"),
    ("Болт-М8", "u~t6lsqpczla"),
    ("Ş-Ж", "u~hqfeuntiy2"),  # Turkish and another script: not ASCII after the table
    ("Café-1", "u~p7k44jqlgx"),  # only Turkish letters are transliterated
])
def test_other_scripts_get_a_stable_hash(code: str, prefix: str) -> None:
    assert qr_id_prefix(code) == prefix
    assert qr_id_prefix(nfd(code)) == prefix


def test_the_hash_form_is_the_sha256_of_the_nfc_code() -> None:
    import base64
    import hashlib

    code = "螺丝-8"
    digest = hashlib.sha256(code.encode("utf-8")).digest()
    expected = base64.b32encode(digest).decode().lower()[:HASH_LENGTH]
    assert qr_id_prefix(code) == HASH_MARKER + expected
    assert len(qr_id_prefix(code)) == len(HASH_MARKER) + HASH_LENGTH == 12


def test_no_part_code_can_look_like_a_hash_form() -> None:
    with pytest.raises(InvalidInput, match="'~' is not allowed"):
        normalize_part_code("u~2byraym566")


def _valid_before_unicode(text: str) -> bool:
    """The part-code rule before other scripts were accepted (the README's old sentence)."""
    return bool(PART_CODE_PATTERN.fullmatch(text)) and ".." not in text


def _accepted(text: str) -> bool:
    try:
        normalize_part_code(text)
    except InvalidInput:
        return False
    return True


@pytest.mark.parametrize("char", [chr(c) for c in range(128)])
def test_the_ascii_rule_is_unchanged_for_every_ascii_character(char: str) -> None:
    for text in (f"A{char}B", f"{char}A", f"A{char}", f"A{char}{char}B"):
        if text.strip() != text:
            continue  # surrounding whitespace is trimmed, as it always was
        assert _accepted(text) == _valid_before_unicode(text), repr(text)


def test_existing_ascii_codes_keep_their_prefix() -> None:
    rng = random.Random(8)
    alphabet = string.ascii_letters + string.digits + "._-"
    checked = 0
    while checked < 2_000:
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 64)))
        if not _valid_before_unicode(text):
            continue
        assert normalize_part_code(text) == text
        assert qr_id_prefix(text) == text
        assert new_qr_id(text, token=lambda _n: "abcdefgh2345") == f"{text}-abcdefgh2345"
        checked += 1


def test_the_length_limit_counts_characters_and_stays_under_firestores_bytes() -> None:
    widest = "\U00020000" * PART_CODE_MAX_CHARS  # a CJK ideograph: 4 bytes of UTF-8 each
    assert normalize_part_code(widest) == widest
    assert len(widest.encode("utf-8")) == 256 < 1500
    assert normalize_part_code("Ş" * 64) == "Ş" * 64
    with pytest.raises(InvalidInput) as caught:
        normalize_part_code("Ş" * 65)
    assert caught.value.message == "part_code may be at most 64 characters, got 65"


def test_the_length_is_counted_after_nfc() -> None:
    # 64 letters typed decomposed are 128 code points, but one code of 64 characters.
    assert len(nfd("Ş" * 64)) == 128
    assert normalize_part_code(nfd("Ş" * 64)) == "Ş" * 64


@pytest.mark.parametrize(("raw", "message"), [
    ("ÇİVİ M8", "part_code 'ÇİVİ M8' may only contain letters and digits (of any script), "
                "'.', '_' and '-'; a space is not allowed"),
    ("ÇİVİ\tM8", "a tab is not allowed"),
    ("ÇİVİ\u2028M8", "a line break is not allowed"),
    ("ÇİVİ\u00a0M8", "a space character (U+00A0 NO-BREAK SPACE) is not allowed"),
    ("ÇİVİ\u3000M8", "a space character (U+3000 IDEOGRAPHIC SPACE) is not allowed"),
    ("ÇİVİ/M8", "'/' is not allowed"),
    ("ÇİVİ\\M8", "'\\\\' is not allowed"),
    ("ÇİVİ~M8", "'~' is not allowed"),
    ("ÇİVİ–M8", "'–' (U+2013 EN DASH) is not allowed"),
    ("M8×20", "'×' (U+00D7 MULTIPLICATION SIGN) is not allowed"),
    ("Ş\u200bA", "an invisible or control character (U+200B ZERO WIDTH SPACE) is not allowed"),
    ("Ş\u200dA", "(U+200D ZERO WIDTH JOINER) is not allowed"),
    ("Ş\u202eA", "(U+202E RIGHT-TO-LEFT OVERRIDE) is not allowed"),
    ("Ş\u00adA", "(U+00AD SOFT HYPHEN) is not allowed"),
    ("\ufeffŞA", "(U+FEFF ZERO WIDTH NO-BREAK SPACE) is not allowed"),
    ("Ş\x85A", "a line break is not allowed"),
    ("Ş\x9bA", "an invisible or control character (U+009B) is not allowed"),
    ("Ş\ud800A", "an invisible or control character (U+D800) is not allowed"),  # lone surrogate
    ("Ş\ue000A", "an invisible or control character (U+E000) is not allowed"),  # private use
    ("Ş\u0378A", "an invisible or control character (U+0378) is not allowed"),  # unassigned
    ("\u3164", "(U+3164 HANGUL FILLER) is not allowed"),  # a letter that draws nothing
    ("Ş\ufe0fA", "(U+FE0F VARIATION SELECTOR-16) is not allowed"),
    ("\u0301Ş", "must start with a letter or digit, not a combining mark "
                "(U+0301 COMBINING ACUTE ACCENT)"),
    (".Ş", "must start with a letter or digit"),
    ("_ş_", "must start with a letter or digit"),
    ("__ŞĞ__", "must start with a letter or digit"),  # Firestore reserves __.*__ ids
    (".", "must start with a letter or digit"),  # Firestore: not "." or ".."
    ("..", "must start with a letter or digit"),
    ("Ş..1", "may not contain '..'"),
    ("Ş" * 65, "at most 64 characters, got 65"),
])
def test_unicode_codes_are_refused_with_a_clear_message(raw: str, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        normalize_part_code(raw)
    assert message in caught.value.message


def test_a_refused_unicode_code_is_shown_with_invisible_characters_escaped() -> None:
    with pytest.raises(InvalidInput) as caught:
        normalize_part_code("Ş\u200bA")
    assert "'Ş\\u200bA'" in caught.value.message
    with pytest.raises(InvalidInput) as caught:
        normalize_part_code("Ş\ud800A")
    caught.value.message.encode("utf-8")  # no lone surrogate reaches the reply


def _firestore_allows_as_document_id(text: str) -> bool:
    """What Firestore says a document id may be (firebase.google.com/docs/firestore/quotas)."""
    return ("/" not in text and text not in (".", "..")
            and not re.fullmatch(r"__.*__", text, re.DOTALL)
            and len(text.encode("utf-8")) <= 1500)


def _url_safe(text: str) -> bool:
    return text.isascii() and quote(text, safe="") == text


def test_random_unicode_strings_accepted_are_safe_everywhere() -> None:
    """Strings drawn from every kind of character: whatever the rule accepts is a valid
    Firestore document id, and its qr_ids are ASCII, URL-safe and pass validate_qr_id."""
    rng = random.Random(2)
    pool = ([chr(c) for c in range(0x20, 0x250)] + list("ΑΒΓαβγЖжШ螺丝ボ٣नट\u0301\u0327")
            + list("\u200b\u202e\u3164\ufe0f\U00020000\ud800\ue000 ~/\\..__"))
    accepted = 0
    for _ in range(20_000):
        text = "".join(rng.choice(pool) for _ in range(rng.randint(1, 8)))
        try:
            code = normalize_part_code(text)
        except InvalidInput as err:
            err.message.encode("utf-8")
            continue
        accepted += 1
        assert _firestore_allows_as_document_id(code), code
        assert unicodedata.is_normalized("NFC", code)
        qr_id = new_qr_id(code)
        assert _url_safe(qr_id), qr_id
        assert validate_qr_id(qr_id) == qr_id
        assert part_code_of(qr_id) == qr_id_prefix(code)
    assert accepted > 1_000


# --- qr_ids of part codes in any script ------------------------------------------------


@pytest.mark.parametrize(("code", "qr_id"), [
    ("ŞĞİ-001", "SGI-001-abcdefgh2345"),
    ("ÇİVİ-M8", "CIVI-M8-abcdefgh2345"),
    ("ΑΒΓ-1", "u~2byraym566-abcdefgh2345"),
    ("螺丝-8", "u~bkw7h37cji-abcdefgh2345"),
])
def test_qr_ids_of_unicode_codes_are_ascii_and_valid(code: str, qr_id: str) -> None:
    assert new_qr_id(code, token=lambda _n: "abcdefgh2345") == qr_id
    assert _url_safe(qr_id)
    assert validate_qr_id(qr_id) == qr_id


def test_new_qr_id_wants_the_canonical_code() -> None:
    # The records store the code new_qr_id was given, so it must already be the NFC,
    # trimmed form that normalize_part_code returns.
    with pytest.raises(InvalidInput, match="not NFC-normalised"):
        new_qr_id(nfd("ŞĞİ-001"))
    with pytest.raises(InvalidInput, match="a space is not allowed"):
        new_qr_id(" ŞĞİ-001")


def test_a_qr_id_prefix_may_be_shared_but_ids_are_not() -> None:
    # "ÇİVİ-M8" and "CIVI-M8" are two parts with one prefix; their labels are told apart
    # by the records' part_code field, never by the prefix.
    assert qr_id_prefix("ÇİVİ-M8") == qr_id_prefix("CIVI-M8")
    made = {new_qr_id(code) for code in ["ÇİVİ-M8", "CIVI-M8"] for _ in range(500)}
    assert len(made) == 1000


@pytest.mark.parametrize("bad", [
    "u~2byraym566-abcdefgh234",  # suffix one short
    "u~2byraym56-abcdefgh2345",  # hash one short
    "u~2BYRAYM566-abcdefgh2345",  # upper case is not what is made
    "u~2byraym566-abcdefgh2345-x",
    "x~2byraym566-abcdefgh2345",
    "A~B",
    "~abc",
    "u~",
])
def test_a_tilde_is_accepted_only_in_the_shape_of_a_hashed_id(bad: str) -> None:
    with pytest.raises(InvalidInput):
        validate_qr_id(bad)
