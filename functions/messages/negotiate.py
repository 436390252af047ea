"""Which language a reply is written in: the one place that decides.

- `Accept-Language` (RFC 9110 12.5.4): the supported language with the highest q-value
  wins, the earlier one on a tie; `tr`, `tr-TR`, `tr-CY`, ... are Turkish, `en-*` English,
  `*` the default (English); q=0 means "not this one". Unsupported languages are skipped,
  so `de-DE, tr;q=0.5` is Turkish. No header, or nothing supported: English.
- A callable's `data.locale` ("tr", "tr-TR", "en-US", "tr_TR" as Flutter writes it, ...)
  overrides the header; any other value is ignored and the header decides.
"""

from __future__ import annotations

import re

from messages import DEFAULT_LANGUAGE, LANGUAGES

# language-range [ weight ]: "tr-TR", "*", "en;q=0.8" (RFC 9110 12.4.2 qvalue).
_RANGE = re.compile(r"^([A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*|\*)$")
_QVALUE = re.compile(r"^(?:0(?:\.[0-9]{0,3})?|1(?:\.0{0,3})?)$")
# A locale field as apps send it: BCP 47 ("tr-TR") or POSIX-like ("tr_TR").
_LOCALE = re.compile(r"^([A-Za-z]{2,3})(?:[-_][A-Za-z0-9]{1,8})*$")
# A header is a client's to write: look at a sane amount of it only.
_MAX_HEADER_CHARS = 1024
_MAX_RANGES = 32


def _supported(primary: str) -> str | None:
    # Language tags are ASCII (checked by the patterns above); lowering ASCII is exact.
    language = primary.lower()
    return language if language in LANGUAGES else None


def language_from_accept_language(header: str | None) -> str:
    """The reply language for an `Accept-Language` header (English when it names none)."""
    if not header:
        return DEFAULT_LANGUAGE
    best: tuple[float, str] | None = None
    for item in header[:_MAX_HEADER_CHARS].split(",")[:_MAX_RANGES]:
        tag, _, params = item.strip().partition(";")
        tag = tag.strip()
        if not _RANGE.fullmatch(tag):
            continue
        quality = _quality(params)
        if quality is None or quality <= 0:
            continue
        language = DEFAULT_LANGUAGE if tag == "*" else _supported(tag.split("-", 1)[0])
        if language is not None and (best is None or quality > best[0]):
            best = (quality, language)
    return best[1] if best else DEFAULT_LANGUAGE


def _quality(params: str) -> float | None:
    """The q-value of a range's parameters (1 when absent); None when it is malformed."""
    quality = 1.0
    for param in params.split(";"):
        name, equals, value = param.strip().partition("=")
        if not name.strip():
            continue
        if name.strip() not in ("q", "Q") or not equals:
            continue  # other parameters are not defined for Accept-Language; ignore them
        if not _QVALUE.fullmatch(value.strip()):
            return None
        quality = float(value.strip())
    return quality


def language_from_locale(value: object) -> str | None:
    """The language a callable's `locale` field asks for, or None (then the header
    decides) for anything that is not a supported language's tag."""
    if not isinstance(value, str) or len(value) > 35:
        return None
    match = _LOCALE.fullmatch(value.strip())
    return _supported(match.group(1)) if match else None


def negotiate(accept_language: str | None, locale: object = None) -> str:
    """The reply language: the `locale` field when it names one we write, else the header."""
    return language_from_locale(locale) or language_from_accept_language(accept_language)
