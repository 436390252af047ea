"""Messages meant for a person, in English and Turkish, by a stable code.

    raise InvalidInput(Msg("qr.part_code.too_long", max_chars=64))
    render(err.message, "tr")  # "part_code en fazla 64 karakter olabilir"

The texts live in `messages/catalog.py`, one entry per code with both languages side by
side and the same placeholders in each. A `Msg` *is* its English text (a `str` subclass),
so whatever logged, compared, stored or JSON-encoded a message before keeps working and
sees the English; the boundary (infra/http_boundary.py) renders it in the caller's
language with `render` / `render_tree`. Parameters are inserted as given (never
case-folded: Python's case mapping is wrong for Turkish); a parameter that is itself a
`Msg` is rendered in the same language.

No SDK is imported here: the core uses it as freely as errors.py.
"""

from __future__ import annotations

import logging
import string
from collections.abc import Mapping, Sequence
from typing import Any

from messages.catalog import CATALOG

log = logging.getLogger(__name__)

LANGUAGES = ("en", "tr")
DEFAULT_LANGUAGE = "en"
_FORMATTER = string.Formatter()


class Msg(str):
    """A message by code and parameters; as a `str`, its English text."""

    code: str
    params: dict[str, Any]

    def __new__(cls, code: str, /, **params: Any) -> Msg:
        self = super().__new__(cls, _format(code, params, DEFAULT_LANGUAGE))
        self.code = code
        self.params = params
        return self

    def __repr__(self) -> str:
        return f"Msg({self.code!r}: {str.__repr__(self)})"

    def __reduce__(self) -> tuple[Any, ...]:  # pickle and deepcopy keep the code
        return _rebuild, (self.code, self.params)


def _rebuild(code: str, params: dict[str, Any]) -> Msg:
    return Msg(code, **params)


def render(message: str, language: str) -> str:
    """`message` in `language` ("en" or "tr"); a plain `str` (no code) is returned as it is,
    and a language the catalog lacks gets the English."""
    if not isinstance(message, Msg):
        return message
    if language == DEFAULT_LANGUAGE:
        return str(message)
    return _format(message.code, message.params, language)


def render_tree(value: Any, language: str) -> Any:
    """`value` (a reply or error details: dicts, lists, strings ...) with every Msg in it
    rendered in `language`. English needs no copy: a Msg already is its English text."""
    if language == DEFAULT_LANGUAGE:
        return value
    if isinstance(value, Msg):
        return render(value, language)
    if isinstance(value, dict):
        return {key: render_tree(item, language) for key, item in value.items()}
    if isinstance(value, list):
        return [render_tree(item, language) for item in value]
    if type(value) is tuple:
        return tuple(render_tree(item, language) for item in value)
    return value


def in_every_language(message: str) -> dict[str, str]:
    """{"en": ..., "tr": ...}: for what is stored for a reader whose language is unknown."""
    return {language: render(message, language) for language in LANGUAGES}


def chain(code: str, parts: Sequence[str]) -> Msg:
    """Join messages (or plain words) with the two-part message `code` ("{first} or
    {second}"), left to right: [a, b, c] -> code(first=code(first=a, second=b), second=c).
    Each language keeps its own separator. One part comes back as a Msg of its own."""
    if not parts:
        raise ValueError("chain() needs at least one part")
    first = parts[0]
    joined = first if isinstance(first, Msg) else Msg("common.verbatim", text=first)
    for part in parts[1:]:
        joined = Msg(code, first=joined, second=part)
    return joined


def placeholders(template: str) -> set[str]:
    """The names of the fields in a catalog template."""
    return {name for _, name, _, _ in _FORMATTER.parse(template) if name is not None}


class _KeepMissing(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _format(code: str, params: Mapping[str, Any], language: str) -> str:
    entry = CATALOG.get(code)
    if entry is None:
        # tests/unit/test_messages.py keeps this from happening; a person still gets a reply.
        log.error("no message with code %r", code)
        return code
    template = entry.get(language) or entry[DEFAULT_LANGUAGE]
    values = _KeepMissing({name: render(value, language) if isinstance(value, Msg) else value
                           for name, value in params.items()})
    try:
        return template.format_map(values)
    except (ValueError, TypeError, IndexError, AttributeError):
        log.error("message %r could not be formatted in %r", code, language)
        return entry[DEFAULT_LANGUAGE]
