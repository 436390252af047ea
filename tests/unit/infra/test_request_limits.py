"""The request body limits (infra/request_limits.py) on their own: the bounded read on a
real werkzeug request, the nesting scan and the number hooks of the JSON parse."""

from __future__ import annotations

import io
import json
import sys
import time

import pytest
from flask import Request
from werkzeug.test import EnvironBuilder

from errors import InvalidInput, PayloadTooLarge
from infra.request_limits import (
    MAX_JSON_DEPTH,
    MAX_NUMBER_DIGITS,
    NOT_A_NUMBER_MESSAGE,
    NOT_JSON_MESSAGE,
    OUT_OF_RANGE_MESSAGE,
    TOO_DEEP_MESSAGE,
    TOO_MANY_DIGITS_MESSAGE,
    check_depth,
    parse_json,
    read_body,
)

# -- the bounded read -----------------------------------------------------------------------


class EndlessInput(io.RawIOBase):
    """A client that never stops sending (what a dechunking server hands the app for a
    chunked body: no Content-Length, "the server terminates the stream"). Counts what the
    app pulled out of it."""

    def __init__(self, total: int | None = None) -> None:
        self.pulled = 0
        self.total = total

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        size = len(buffer)
        if self.total is not None:
            size = min(size, self.total - self.pulled)
        buffer[:size] = b" " * size
        self.pulled += size
        return size


def streamed_request(stream: io.RawIOBase) -> Request:
    environ = EnvironBuilder(method="POST", content_type="application/json").get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ["wsgi.input"] = stream
    environ["wsgi.input_terminated"] = True  # as werkzeug's server and gunicorn set it
    return Request(environ)


def test_an_endless_body_is_refused_after_reading_one_byte_past_the_limit() -> None:
    client = EndlessInput()
    with pytest.raises(PayloadTooLarge, match="over"):
        read_body(streamed_request(client), limit=1000)
    assert client.pulled == 1001


@pytest.mark.parametrize("size, accepted", [(999, True), (1000, True), (1001, False)])
def test_a_streamed_body_of_exactly_the_limit_passes(size: int, accepted: bool) -> None:
    request = streamed_request(EndlessInput(total=size))
    if accepted:
        assert len(read_body(request, limit=1000)) == size
        assert request.get_data() == b" " * size  # cached for the parse and the framework
    else:
        with pytest.raises(PayloadTooLarge):
            read_body(request, limit=1000)


def test_a_content_length_over_the_limit_is_refused_before_reading() -> None:
    client = EndlessInput()
    environ = EnvironBuilder(method="POST", data=b"").get_environ()
    environ["CONTENT_LENGTH"] = "5000"
    environ["wsgi.input"] = client
    with pytest.raises(PayloadTooLarge):
        read_body(Request(environ), limit=1000)
    assert client.pulled == 0


def test_a_body_that_stops_before_its_content_length_is_a_400() -> None:
    environ = EnvironBuilder(method="POST", data=b"").get_environ()
    environ["CONTENT_LENGTH"] = "500"
    environ["wsgi.input"] = io.BytesIO(b"{" * 10)
    with pytest.raises(InvalidInput, match="ended before"):
        read_body(Request(environ), limit=1000)


# -- nesting --------------------------------------------------------------------------------

def nested(depth: int, open_: str = "[", close: str = "]", inner: str = "1") -> str:
    return open_ * depth + inner + close * depth


def test_the_depth_limit_is_exact() -> None:
    assert parse_json(nested(MAX_JSON_DEPTH)) is not None
    with pytest.raises(InvalidInput) as refused:
        parse_json(nested(MAX_JSON_DEPTH + 1))
    assert refused.value.message == TOO_DEEP_MESSAGE
    assert str(MAX_JSON_DEPTH) in TOO_DEEP_MESSAGE


def test_objects_and_arrays_count_alike() -> None:
    half = MAX_JSON_DEPTH // 2 + 1
    body = '{"a":[' * half + "1" + "]}" * half
    with pytest.raises(InvalidInput, match="nested"):
        parse_json(body)


def test_a_hundred_thousand_levels_are_refused_without_recursion() -> None:
    for body in (nested(100_000), nested(100_000, "{\"k\":", "}"), "[" * 1_000_000):
        started = time.perf_counter()
        with pytest.raises(InvalidInput, match="nested"):
            parse_json(body.encode())
        assert time.perf_counter() - started < 2
    assert sys.getrecursionlimit() < 100_000  # the parse would have raised RecursionError


@pytest.mark.parametrize("body", [
    json.dumps({"name": "[" * 500 + "{" * 500}),            # brackets inside a string
    json.dumps({"name": '\\"[[[[' * 200}),                 # escaped quotes and backslashes
    json.dumps({"part_name": "Çelik vida ğüşıöİ [" * 100}, ensure_ascii=False),
    '{"parts": [' + ",".join(['{"a": [1, {"b": "]]]]"}]}'] * 5000) + "]}",  # wide, not deep
])
def test_brackets_inside_strings_or_side_by_side_do_not_count(body: str) -> None:
    check_depth(body.encode())
    assert parse_json(body.encode()) == json.loads(body)


def test_utf16_json_is_scanned_too() -> None:
    # JSON may come as UTF-16; its code units could contain quote bytes, so it is scanned
    # after re-encoding, never byte by byte.
    with pytest.raises(InvalidInput, match="nested"):
        parse_json(nested(1000).encode("utf-16"))
    assert parse_json('{"name": "\u2222[[["}'.encode("utf-16-le")) == {"name": "\u2222[[["}


def test_an_unterminated_string_cannot_hide_nesting_or_stall_the_scan() -> None:
    for body in ('"' + "[" * 1000, '["\\' + '"\\' * 2_000_000, '"a\\"' + "{" * 100):
        started = time.perf_counter()
        with pytest.raises(InvalidInput):
            parse_json(body)
        assert time.perf_counter() - started < 2


# -- numbers --------------------------------------------------------------------------------

def test_numbers_up_to_the_digit_limit_parse_exactly() -> None:
    digits = "9" * MAX_NUMBER_DIGITS
    assert parse_json(f"[{digits}, -{digits}, 0, -0, 1.5e3]") == [
        int(digits), -int(digits), 0, 0, 1500.0]
    fraction = "0." + "1" * (MAX_NUMBER_DIGITS - 1)
    assert parse_json(fraction) == float(fraction)


@pytest.mark.parametrize("literal", [
    "9" * (MAX_NUMBER_DIGITS + 1),
    "-" + "9" * (MAX_NUMBER_DIGITS + 1),
    "9" * 5000,                      # past Python's own 4,300-digit limit
    "1." + "0" * 5000,
    "1" * 60 + "." + "1" * 60 + "e5",
])
def test_a_number_with_too_many_digits_is_named(literal: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_json('{"quantity": ' + literal + "}")
    assert refused.value.message == TOO_MANY_DIGITS_MESSAGE
    assert f"more than {MAX_NUMBER_DIGITS} digits" in refused.value.message


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_json(constant: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_json('{"quantity": ' + constant + "}")
    assert refused.value.message == NOT_A_NUMBER_MESSAGE


@pytest.mark.parametrize("literal", ["1e999", "-1e400", "1.7976931348623159e308"])
def test_a_number_that_overflows_is_refused(literal: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_json("[" + literal + "]")
    assert refused.value.message == OUT_OF_RANGE_MESSAGE


@pytest.mark.parametrize("body", [b"{not json", b"", b"\xff\xfe\xfd", b'{"a": 1', b"[1,]",
                                  b'"tab\there"'])
def test_broken_json_is_named_as_such(body: bytes) -> None:
    with pytest.raises(InvalidInput) as refused:
        parse_json(body)
    assert refused.value.message == NOT_JSON_MESSAGE


def test_ordinary_bodies_parse_as_json_loads_does() -> None:
    body = {"parts": [{"part_code": "BOLT-8", "part_name": "Çelik vida ğüşıöİ", "quantity": 3,
                       "weight": 0.25, "tags": [], "note": None, "ok": True}]}
    for raw in (json.dumps(body), json.dumps(body, ensure_ascii=False).encode(),
                b"\xef\xbb\xbf" + json.dumps(body).encode()):  # a UTF-8 BOM too
        assert parse_json(raw) == body
