"""Limits on what a request body may be, enforced while it is read and before it is parsed.

- Size: at most `MAX_BODY_BYTES`, whatever the transfer encoding. A chunked body has no
  Content-Length to check up front, so the body is read through werkzeug's bounded stream
  and reading stops at the first byte over the limit.
- Nesting: at most `MAX_JSON_DEPTH` levels of arrays/objects, checked by a scan of the
  bytes before `json.loads` runs, so the recursive parser never gets a body deep enough to
  raise RecursionError.
- Numbers: at most `MAX_NUMBER_DIGITS` digits (Python refuses ints past 4,300 digits and
  converting one costs time quadratic in its length), finite, and never NaN or Infinity
  (not JSON, though Python's parser accepts them by default).

Every violation is an `InvalidInput` (`PayloadTooLarge` for size) whose message says which
limit was hit, so callers get a 4xx / INVALID_ARGUMENT they can act on, never a 500.
"""

from __future__ import annotations

import json
import math
import re
from itertools import accumulate
from typing import Any

from flask import Request
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge

from errors import InvalidInput, PayloadTooLarge
from messages import Msg

MAX_BODY_BYTES = 11 * 1024 * 1024  # a 10 MB parts file plus multipart overhead
# Our bodies nest 3 levels ({"parts": [{...}]}, {"data": {...}}); 64 leaves any client
# plenty of room, and stays far below Python's recursion limit (1000), so json.loads,
# json.dumps of a reply and the Firestore encoder can never run out of stack on input.
MAX_JSON_DEPTH = 64
# A double needs at most 17 significant digits and a Firestore integer 19; 100 is far
# above anything a real client serialises and keeps int() conversion trivially cheap.
MAX_NUMBER_DIGITS = 100

# Msgs (messages/catalog.py): each is its English text, rendered in the caller's language
# at the boundary.
TOO_LARGE_MESSAGE = Msg("request.body.too_large", limit_mb=MAX_BODY_BYTES // 1024 // 1024,
                        upload_mb=10)
NOT_JSON_MESSAGE = Msg("request.json.invalid")
TOO_DEEP_MESSAGE = Msg("request.json.too_deep", max_depth=MAX_JSON_DEPTH)
TOO_MANY_DIGITS_MESSAGE = Msg("request.json.too_many_digits", max_digits=MAX_NUMBER_DIGITS)
OUT_OF_RANGE_MESSAGE = Msg("request.json.out_of_range")
NOT_A_NUMBER_MESSAGE = Msg("request.json.not_a_number")


def read_body(request: Request, limit: int = MAX_BODY_BYTES) -> bytes:
    """The whole body, read at most `limit` + 1 bytes far; PayloadTooLarge past `limit`.

    The bytes are cached on the request (werkzeug's get_data), so later reads — the JSON
    parse, `request.files` (parsed from the cache), the framework's own drain after the
    reply — reuse them instead of touching the socket again.
    """
    # With this set, werkzeug reads the input through a stream that hands out at most
    # `limit` + 1 bytes, chunked or not, and stops there without a word (its readall stops
    # at the maximum; only a further read raises). One byte more than the limit is the
    # proof that the body is over it. A larger Content-Length is refused up front.
    request.max_content_length = limit + 1
    try:
        body = request.get_data(cache=True)
    except RequestEntityTooLarge as err:
        raise PayloadTooLarge(TOO_LARGE_MESSAGE) from err
    except ClientDisconnected as err:
        raise InvalidInput(Msg("request.body.incomplete")) from err
    if len(body) > limit:
        raise PayloadTooLarge(TOO_LARGE_MESSAGE)
    return body


def parse_json(raw: bytes | str) -> Any:
    """`raw` parsed as JSON within the limits above; InvalidInput names the one broken."""
    check_depth(raw)
    try:
        return json.loads(raw, parse_int=_parse_int, parse_float=_parse_float,
                          parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError) as err:  # JSONDecodeError is a ValueError
        raise InvalidInput(NOT_JSON_MESSAGE) from err


# A JSON string, escapes included (DOTALL: a backslash escapes any character, as the
# parser sees it). The closing quote is optional so that an unterminated string matches
# to the end instead of failing: a failed match would be retried from every later quote,
# which is quadratic (10 KB of quote-backslash pairs took 0.5 s); this way it is linear.
# Swallowing the rest is safe: the parser stops at an unterminated string too.
_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"?', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")
_STEP = [0] * 256
_STEP[ord("[")] = _STEP[ord("{")] = 1
_STEP[ord("]")] = _STEP[ord("}")] = -1


def check_depth(raw: bytes | str, limit: int = MAX_JSON_DEPTH) -> None:
    """InvalidInput if arrays/objects in `raw` nest deeper than `limit`; no recursion.

    Strings are cut out first, so brackets inside them do not count. Up to the first
    place where the parser would give up, the scan pairs quotes exactly as the parser
    does, so it never sees less nesting than the parser could reach; past that place the
    count does not matter, the parser refuses the body anyway.
    """
    data = _utf8(raw)
    brackets = _NOT_BRACKET.sub(b"", _STRING.sub(b"", data))
    if len(brackets) <= limit:  # cannot be deeper than it has openers: skip the count
        return
    # Running depth after each bracket, computed in C (accumulate/map), then its peak.
    if max(accumulate(map(_STEP.__getitem__, brackets))) > limit:
        raise InvalidInput(TOO_DEEP_MESSAGE)


def _utf8(raw: bytes | str) -> bytes:
    """`raw` as UTF-8 bytes. In UTF-8 every byte of a multi-byte character is >= 0x80, so
    the ASCII quotes, backslashes and brackets the scan looks for are never part of another
    character; a UTF-16/32 body (JSON allows them) is re-encoded first for that reason."""
    if isinstance(raw, str):
        return raw.encode("utf-8", "surrogatepass")
    encoding = json.detect_encoding(raw)
    if encoding in ("utf-8", "utf-8-sig"):
        return raw
    try:
        return raw.decode(encoding, "surrogatepass").encode("utf-8", "surrogatepass")
    except UnicodeDecodeError as err:
        raise InvalidInput(NOT_JSON_MESSAGE) from err


def _parse_int(text: str) -> int:
    if len(text) - text.startswith("-") > MAX_NUMBER_DIGITS:
        raise InvalidInput(TOO_MANY_DIGITS_MESSAGE)
    return int(text)


def _parse_float(text: str) -> float:
    # Only a literal this long can hold that many digits; count them only then.
    if len(text) > MAX_NUMBER_DIGITS and _digits(text) > MAX_NUMBER_DIGITS:
        raise InvalidInput(TOO_MANY_DIGITS_MESSAGE)
    value = float(text)
    if not math.isfinite(value):  # 1e999 is valid JSON but overflows to inf
        raise InvalidInput(OUT_OF_RANGE_MESSAGE)
    return value


def _digits(number: str) -> int:
    return len(number) - sum(number.count(sign) for sign in "-+.eE")


def _reject_constant(name: str) -> Any:
    raise InvalidInput(NOT_A_NUMBER_MESSAGE)
