"""Part codes and QR ids: the only strings that become storage keys and URL segments.

A part code is what the person typed, in any script (`VIDA-M8`, `ÇİVİ-M8`, `ΑΒΓ-1`,
`螺丝-8`), NFC-normalised. It is stored as `parts/{part_code}` and in every record's
`part_code` field, and it is how a part's labels are found (a query on that field).

A qr_id is `{prefix}-{suffix}` and is always ASCII: QR byte data is decoded as ISO 8859-1
or Shift JIS by many scanners unless an ECI header says UTF-8, and the id is also the B2 key
`qr_codes/{qr_id}.png`, a Firestore document id and a URL path segment, used unescaped.
The prefix is the ASCII form of the part code (qr_id_prefix):

* an ASCII code is its own prefix, exactly as before part codes could be Unicode, so no
  existing id changes;
* a code whose only non-ASCII characters are Turkish letters is transliterated (`ÇİVİ-M8`
  gives `CIVI-M8`), so the label stays readable;
* any other code gets `u~` and 10 base32 characters of the SHA-256 of its NFC form. `~` is
  never in a part code, so this prefix cannot be mistaken for an ASCII code's.

Several part codes can share a prefix (`ÇİVİ-M8` and `CIVI-M8`). That is harmless: the
random suffix keeps ids unique, and nothing finds a part from a qr_id's prefix; the record's
`part_code` field is the only link from a label to its part.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import math
import re
import secrets
import unicodedata
from collections.abc import Callable

from errors import InvalidInput
from messages import Msg

# 64 characters (code points, after NFC), the limit ASCII codes always had: long enough for
# any real part code and a label's text line, and at most 256 bytes of UTF-8, far below
# Firestore's 1,500-byte limit on a document id and on an indexed string (the part_code
# query). It also bounds a qr_id at 64 + 1 + 12 characters.
PART_CODE_MAX_CHARS = 64
# The ASCII part codes: exactly the codes accepted before other scripts were, and the ones
# that are their own qr_id prefix.
PART_CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
PART_CODE_PUNCTUATION = "._-"

QR_ID_MAX_CHARS = 200
QR_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")

# RFC 4648 base32 in lower case: 5 bits a character, so 12 characters carry 60 bits. It has
# no 0/1/8/9, which keeps o/0 and l/1 apart when someone reads an id off a printed label.
SUFFIX_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
SUFFIX_LENGTH = 12
_SUFFIX_PATTERN = re.compile(rf"^[{SUFFIX_ALPHABET}]{{{SUFFIX_LENGTH}}}$")

# The prefix of a part code that has no ASCII form. 50 bits of hash: two codes share it
# with a chance of about 1 in 2,000 among a million hashed codes, which costs nothing (see
# the module docstring); a longer hash would only make every label of such a part longer.
HASH_MARKER = "u~"
HASH_LENGTH = 10
_HASHED_QR_ID = re.compile(rf"^{HASH_MARKER}[{SUFFIX_ALPHABET}]{{{HASH_LENGTH}}}-"
                           rf"[{SUFFIX_ALPHABET}]{{{SUFFIX_LENGTH}}}$")

# Turkish letters and their ASCII look-alikes, by table: Python's case mapping is not
# Turkish ("i".upper() is "I", "İ".lower() is two code points), so none is used. The
# circumflex vowels are Turkish spelling too (kâğıt, hâlâ).
_TURKISH_TO_ASCII = str.maketrans({
    "Ç": "C", "ç": "c", "Ğ": "G", "ğ": "g", "İ": "I", "ı": "i", "Ö": "O", "ö": "o",
    "Ş": "S", "ş": "s", "Ü": "U", "ü": "u", "Â": "A", "â": "a", "Î": "I", "î": "i",
    "Û": "U", "û": "u",
})

# Letters and marks that draw nothing (Unicode's Default_Ignorable_Code_Point outside the
# C* categories): a code made of them, or with one inside, would look like another code.
_INVISIBLE = frozenset(
    [0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x180B, 0x180C, 0x180D, 0x180F, 0x3164,
     0xFFA0, *range(0xFE00, 0xFE10), *range(0xE0100, 0xE01F0)])

_SAFE_CHARS = Msg("qr.part_code.allowed_chars")


def normalize_part_code(raw: object) -> str:
    """Return the canonical part code for a cell or JSON value, or raise InvalidInput.

    Canonical is trimmed and NFC: "Ş" typed on a Mac (S + combining cedilla) and on Windows
    is one code. Excel stores a code typed as 12345 as the number 12345.0; it becomes
    "12345", never "12345.0". A fractional number is refused rather than guessed at: Excel
    has already turned "1.10" into 1.1, so the person must format the column as text.
    """
    if isinstance(raw, bool):  # bool is an int subclass; True is not a part code
        raise InvalidInput(Msg("qr.part_code.boolean"))
    if isinstance(raw, int):
        # 10**64 already has 65 digits; checking first also spares str() a huge number.
        if abs(raw) >= 10**PART_CODE_MAX_CHARS:
            raise InvalidInput(Msg("qr.part_code.too_long", max_chars=PART_CODE_MAX_CHARS))
        text = str(raw)
    elif isinstance(raw, float):
        if not math.isfinite(raw) or not raw.is_integer():
            raise InvalidInput(Msg("qr.part_code.decimal", value=repr(raw)))
        text = str(int(raw))
    elif isinstance(raw, str):
        # NFC first: it can turn a space-like character into another (U+2000 -> U+2002).
        text = unicodedata.normalize("NFC", raw).strip()
    elif raw is None:
        text = ""
    else:
        raise InvalidInput(Msg("qr.part_code.wrong_type", type=type(raw).__name__))
    _check_part_code(text)
    return text


def _check_part_code(text: str) -> None:
    """The rule, on a canonical code. Besides what a qr_id needs, it covers what Firestore
    forbids in the document id `parts/{code}`: '/', "." and "..", `__.*__` (a code starts
    with a letter or digit) and more than 1,500 bytes (see PART_CODE_MAX_CHARS)."""
    if not text:
        raise InvalidInput(Msg("qr.part_code.required"))
    if len(text) > PART_CODE_MAX_CHARS:
        raise InvalidInput(Msg("qr.part_code.too_long_got", max_chars=PART_CODE_MAX_CHARS,
                               length=len(text)))
    if PART_CODE_PATTERN.fullmatch(text) and ".." not in text:
        return  # the common case, decided without a look at each character
    bad = next((c for c in text if not _allowed(c)), None)
    if bad is not None:
        raise InvalidInput(Msg("qr.part_code.bad_character", code=_show(text),
                               allowed=_SAFE_CHARS, character=_describe(bad)))
    if not _starts_a_code(text[0]):
        # A combining mark in front is drawn on the quote mark, so it is named as well.
        if text[0] in PART_CODE_PUNCTUATION:
            raise InvalidInput(Msg("qr.part_code.bad_start", code=_show(text)))
        raise InvalidInput(Msg("qr.part_code.bad_start_named", code=_show(text),
                               character=_describe(text[0])))
    if ".." in text:
        raise InvalidInput(Msg("qr.part_code.double_dot", code=_show(text)))


def _allowed(char: str) -> bool:
    # L*: letters, M*: the combining marks some scripts are written with (Devanagari vowel
    # signs, say), N*: digits of any script. C* (controls, invisible formatting, surrogates,
    # unassigned) and Z* (spaces) are out, and so is every symbol and other punctuation.
    if char in PART_CODE_PUNCTUATION:
        return True
    return unicodedata.category(char)[0] in "LMN" and ord(char) not in _INVISIBLE


def _starts_a_code(char: str) -> bool:
    return unicodedata.category(char)[0] in "LN" and ord(char) not in _INVISIBLE


def _describe(char: str) -> str:
    """Name a refused character so that a person can find it, even an invisible one (a Msg,
    or the character itself with its Unicode name, which is the same in any language)."""
    if char == " ":
        return Msg("char.space")
    if char == "\t":
        return Msg("char.tab")
    if char in "\r\n\v\f\x85\u2028\u2029":
        return Msg("char.line_break")
    code_point = f"U+{ord(char):04X}"
    name = unicodedata.name(char, "")
    named = f"{code_point} {name}" if name else code_point
    if char.isspace():
        return Msg("char.space_like", name=named)
    if unicodedata.category(char)[0] == "C" or ord(char) in _INVISIBLE:
        return Msg("char.invisible", name=named)
    if unicodedata.category(char)[0] == "M":
        return Msg("char.combining", name=named)
    if char.isascii():
        return repr(char)
    return f"{char!r} ({named})"  # an en dash looks like '-', a '×' like 'x'


def qr_id_prefix(part_code: str) -> str:
    """The ASCII, URL-safe form of a part code that starts each of its qr_ids.

    An ASCII code is its own prefix; Turkish letters are transliterated; a code that is
    still not ASCII becomes `u~` + 10 base32 characters of the SHA-256 of its NFC UTF-8
    bytes. `part_code` may be raw input: it is normalised (and checked) first.
    """
    return _ascii_form(normalize_part_code(part_code))


def _ascii_form(code: str) -> str:
    if code.isascii():
        return code
    transliterated = code.translate(_TURKISH_TO_ASCII)
    if transliterated.isascii():
        # Letters became letters one for one: the same length, and still the ASCII rule.
        return transliterated
    digest = hashlib.sha256(code.encode("utf-8")).digest()
    return HASH_MARKER + base64.b32encode(digest).decode("ascii").lower()[:HASH_LENGTH]


def new_qr_id(part_code: str, *, token: Callable[[int], str] | None = None) -> str:
    """A fresh qr_id for a part: `{qr_id_prefix(part_code)}-{12 random base32 characters}`.

    `part_code` must be canonical (as normalize_part_code returns it), the form stored with
    the records. 60 random bits: among a million labels of one part the chance of any
    repeat is about 4 in 10 million. `token(length)` replaces the random source in tests;
    what it returns is checked, so a bad token cannot produce an unsafe id.
    """
    prefix = _prefix_of_canonical(part_code)
    suffix = (token or _random_suffix)(SUFFIX_LENGTH)
    if not _SUFFIX_PATTERN.fullmatch(suffix):
        raise ValueError(f"token must return {SUFFIX_LENGTH} characters of {SUFFIX_ALPHABET}")
    return f"{prefix}-{suffix}"


@functools.lru_cache(maxsize=1024)
def _prefix_of_canonical(part_code: str) -> str:
    """Cached: an upload makes up to 50,000 ids of a few codes, and checking a 64-character
    code in another script costs more than drawing the random suffix."""
    _check_part_code(part_code)  # whitespace is refused anywhere, so this also means trimmed
    if not unicodedata.is_normalized("NFC", part_code):
        raise InvalidInput(Msg("qr.part_code.not_nfc", code=_show(part_code)))
    return _ascii_form(part_code)


def _random_suffix(length: int) -> str:
    return "".join(secrets.choice(SUFFIX_ALPHABET) for _ in range(length))


def validate_qr_id(raw: str) -> str:
    """Return `raw` unchanged if it is a safe qr_id, else raise InvalidInput saying why.

    Deliberately looser than new_qr_id's output (any safe id up to 200 characters), so that
    ids made by the original system still resolve; the one character beyond those, '~', is
    accepted only in the exact shape of a hashed prefix's id. Nothing is trimmed: an id
    with a space in it is a wrong id, not a padded one.
    """
    if not isinstance(raw, str):
        raise InvalidInput(Msg("qr.qr_id.not_text"))
    if not raw:
        raise InvalidInput(Msg("qr.qr_id.required"))
    if len(raw) > QR_ID_MAX_CHARS:
        raise InvalidInput(Msg("qr.qr_id.too_long", max_chars=QR_ID_MAX_CHARS,
                               length=len(raw)))
    if _HASHED_QR_ID.fullmatch(raw):
        return raw
    if not QR_ID_PATTERN.fullmatch(raw):
        if _only_the_first_character_is_wrong(QR_ID_PATTERN, raw):
            raise InvalidInput(Msg("qr.qr_id.bad_start"))
        raise InvalidInput(Msg("qr.qr_id.bad_character"))
    if ".." in raw:
        raise InvalidInput(Msg("qr.qr_id.double_dot"))
    return raw


def part_code_of(qr_id: str) -> str:
    """The prefix of a qr_id: everything before its last '-'.

    For an ASCII part code that is the part code; for any other it is only its ASCII form,
    which other part codes may share. Never find a part from it: read the record's
    `part_code` field.
    """
    part_code, dash, _suffix = qr_id.rpartition("-")
    if not dash or not part_code:
        raise InvalidInput(Msg("qr.qr_id.no_part_code", qr_id=_show(qr_id)))
    return part_code


def _only_the_first_character_is_wrong(pattern: re.Pattern[str], text: str) -> bool:
    """True for ".x" or "-1": punctuation allowed inside but not in front."""
    return text[0] in "._-" and bool(pattern.fullmatch("0" + text[1:]))


def _show(text: str, limit: int = 40) -> str:
    """Quote a value for a message: control characters escaped, long values cut."""
    return repr(text if len(text) <= limit else text[:limit] + "…")
