"""Part codes and QR ids: the only strings that become storage keys and URL segments.

A qr_id is `{part_code}-{suffix}`, as in the original system. Both halves use only ASCII
letters, digits, '.', '_' and '-', never start with a punctuation mark and never contain
"..", so a qr_id is safe as a B2 key (`qr_codes/{qr_id}.png`), a Firestore document id and
a URL path segment without any escaping.
"""

from __future__ import annotations

import math
import re
import secrets
from collections.abc import Callable

from errors import InvalidInput

PART_CODE_MAX_CHARS = 64
PART_CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

QR_ID_MAX_CHARS = 200
QR_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")

# RFC 4648 base32 in lower case: 5 bits a character, so 12 characters carry 60 bits. It has
# no 0/1/8/9, which keeps o/0 and l/1 apart when someone reads an id off a printed label.
SUFFIX_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"
SUFFIX_LENGTH = 12
_SUFFIX_PATTERN = re.compile(rf"^[{SUFFIX_ALPHABET}]{{{SUFFIX_LENGTH}}}$")

_SAFE_CHARS = "letters A-Z, digits, '.', '_' and '-'"


def normalize_part_code(raw: object) -> str:
    """Return the canonical part code for a cell or JSON value, or raise InvalidInput.

    Excel stores a code typed as 12345 as the number 12345.0; it becomes "12345", never
    "12345.0". A fractional number is refused rather than guessed at: Excel has already
    turned "1.10" into 1.1, so the person must format the column as text.
    """
    if isinstance(raw, bool):  # bool is an int subclass; True is not a part code
        raise InvalidInput("part_code must be text, not true/false")
    if isinstance(raw, int):
        # 10**64 already has 65 digits; checking first also spares str() a huge number.
        if abs(raw) >= 10**PART_CODE_MAX_CHARS:
            raise InvalidInput(f"part_code may be at most {PART_CODE_MAX_CHARS} characters")
        text = str(raw)
    elif isinstance(raw, float):
        if not math.isfinite(raw) or not raw.is_integer():
            raise InvalidInput(
                f"part_code {raw!r} is a decimal number; format the part_code column as "
                "text so the code is kept exactly as typed")
        text = str(int(raw))
    elif isinstance(raw, str):
        text = raw.strip()
    elif raw is None:
        text = ""
    else:
        raise InvalidInput(f"part_code must be text, got {type(raw).__name__}")
    _check_part_code(text)
    return text


def _check_part_code(text: str) -> None:
    if not text:
        raise InvalidInput("part_code is required")
    if len(text) > PART_CODE_MAX_CHARS:
        raise InvalidInput(
            f"part_code may be at most {PART_CODE_MAX_CHARS} characters, got {len(text)}")
    if not PART_CODE_PATTERN.fullmatch(text):
        if _only_the_first_character_is_wrong(PART_CODE_PATTERN, text):
            raise InvalidInput(f"part_code {_show(text)} must start with a letter or digit")
        raise InvalidInput(f"part_code {_show(text)} may only contain {_SAFE_CHARS}")
    if ".." in text:
        raise InvalidInput(f"part_code {_show(text)} may not contain '..'")


def new_qr_id(part_code: str, *, token: Callable[[int], str] | None = None) -> str:
    """A fresh qr_id for a part: `{part_code}-{12 random base32 characters}`.

    60 random bits: among a million labels of one part the chance of any repeat is about
    4 in 10 million. `token(length)` replaces the random source in tests; what it returns
    is checked, so a bad token cannot produce an unsafe id.
    """
    _check_part_code(part_code)
    suffix = (token or _random_suffix)(SUFFIX_LENGTH)
    if not _SUFFIX_PATTERN.fullmatch(suffix):
        raise ValueError(f"token must return {SUFFIX_LENGTH} characters of {SUFFIX_ALPHABET}")
    return f"{part_code}-{suffix}"


def _random_suffix(length: int) -> str:
    return "".join(secrets.choice(SUFFIX_ALPHABET) for _ in range(length))


def validate_qr_id(raw: str) -> str:
    """Return `raw` unchanged if it is a safe qr_id, else raise InvalidInput saying why.

    Deliberately looser than new_qr_id's output (any safe id up to 200 characters), so that
    ids made by the original system still resolve. Nothing is trimmed: an id with a space in
    it is a wrong id, not a padded one.
    """
    if not isinstance(raw, str):
        raise InvalidInput("A QR id must be text")
    if not raw:
        raise InvalidInput("A QR id is required")
    if len(raw) > QR_ID_MAX_CHARS:
        raise InvalidInput(
            f"A QR id may be at most {QR_ID_MAX_CHARS} characters long, got {len(raw)}")
    if not QR_ID_PATTERN.fullmatch(raw):
        if _only_the_first_character_is_wrong(QR_ID_PATTERN, raw):
            raise InvalidInput("A QR id must start with a letter or digit")
        raise InvalidInput("A QR id may only contain letters, digits, '.', '_' and '-'")
    if ".." in raw:
        raise InvalidInput("A QR id may not contain '..'")
    return raw


def part_code_of(qr_id: str) -> str:
    """The part code a qr_id was made for: everything before its last '-'."""
    part_code, dash, _suffix = qr_id.rpartition("-")
    if not dash or not part_code:
        raise InvalidInput(f"QR id {_show(qr_id)} has no part code (expected part_code-suffix)")
    return part_code


def _only_the_first_character_is_wrong(pattern: re.Pattern[str], text: str) -> bool:
    """True for ".x" or "-1": punctuation allowed inside but not in front."""
    return text[0] in "._-" and bool(pattern.fullmatch("0" + text[1:]))


def _show(text: str, limit: int = 40) -> str:
    """Quote a value for a message: control characters escaped, long values cut."""
    return repr(text if len(text) <= limit else text[:limit] + "…")
