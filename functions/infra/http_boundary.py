"""Where platform requests meet the core: caller, input, domain errors -> replies.

Every HTTP and callable entry point in main.py goes through `serve_http` or
`serve_callable`, so a domain error becomes a 4xx / HttpsError with its person-readable
message, and anything unexpected becomes a generic 500 / INTERNAL that reveals nothing.

Request bodies are held to the limits of `infra/request_limits.py` (size, JSON nesting,
numbers) before anything parses them: by `serve_http` for the HTTP functions, and by
`limit_callable_input` in front of each callable, whose body firebase-functions parses
before our code runs.

Replies speak the caller's language (English or Turkish; messages/negotiate.py decides):
`serve_http` and `limit_callable_input` negotiate it from `Accept-Language` (a callable's
`data.locale` overrides it in `serve_callable`), keep it in a context variable for the
request, render every Msg of the reply in it, and send `Content-Language` and
`Vary: Accept-Language`. Task queue functions have no person on the other end: English.
"""

from __future__ import annotations

import contextvars
import functools
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from flask import Request, Response
from werkzeug.exceptions import RequestEntityTooLarge

from errors import DomainError, InvalidInput, PayloadTooLarge, StoreUnavailable
from identity import Caller
from infra.deadlines import request_deadline
from infra.error_mapping import callable_code_for, http_status_for
from infra.request_limits import parse_json, read_body
from messages import DEFAULT_LANGUAGE, Msg, chain, render, render_tree
from messages.negotiate import language_from_accept_language, language_from_locale

log = logging.getLogger(__name__)

_Handler = TypeVar("_Handler", bound=Callable[..., Any])

INTERNAL_MESSAGE = Msg("common.internal")


@dataclass
class _ReplyLanguage:
    """The language of the reply being built; `from_data` when a callable's data.locale
    may still change it (not for a task queue function)."""

    language: str
    from_data: bool = False


_REPLY_LANGUAGE: contextvars.ContextVar[_ReplyLanguage | None] = contextvars.ContextVar(
    "reply_language", default=None)


def reply_language() -> str:
    """The language of the reply to the request being served (English outside one)."""
    current = _REPLY_LANGUAGE.get()
    return current.language if current is not None else DEFAULT_LANGUAGE


def _with_language(response: Any, language: str, *, varies: bool = True) -> Any:
    """`response` with Content-Language (and Vary: Accept-Language, merged with any Vary
    it has); anything that is not a Response goes through untouched."""
    if isinstance(response, Response):
        response.headers["Content-Language"] = language
        if varies:
            response.vary.add("Accept-Language")
    return response


# A browser page on another origin (the console on Firebase Hosting) reads only the headers
# CORS exposes: these name a download and tell its language.
_EXPOSED_HEADERS = "Content-Disposition, Content-Language"


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None
                  ) -> Response:
    """A JSON reply; every Msg in `body` is written in the reply's language."""
    return Response(json.dumps(render_tree(body, reply_language()), ensure_ascii=False,
                               default=str),
                    status=status, mimetype="application/json", headers=headers)


def error_response(err: DomainError) -> Response:
    language = reply_language()
    # The database's own errors are, to a caller, what any unavailable dependency is.
    code = "Unavailable" if isinstance(err, StoreUnavailable) else type(err).__name__
    body: dict[str, Any] = {"code": code, "message": err.message_in(language)}
    if err.details is not None:
        body["details"] = err.details_in(language)
    return json_response({"error": body}, http_status_for(err))


def serve_http(request: Request, methods: Iterable[str],
               authenticate: Callable[[str | None], Caller | None],
               action: Callable[[Caller | None], Response]) -> Response:
    language = language_from_accept_language(request.headers.get("Accept-Language"))
    token = _REPLY_LANGUAGE.set(_ReplyLanguage(language))
    try:
        with request_deadline():
            response = _with_language(_serve_http(request, methods, authenticate, action),
                                      language)
        response.headers["Access-Control-Expose-Headers"] = _EXPOSED_HEADERS
        return response
    finally:
        _REPLY_LANGUAGE.reset(token)


def _serve_http(request: Request, methods: Iterable[str],
                authenticate: Callable[[str | None], Caller | None],
                action: Callable[[Caller | None], Response]) -> Response:
    try:
        # First, whatever the reply will be: functions-framework reads the body the function
        # left unread once it has replied, and would buffer an unread body however big.
        read_body(request)
    except InvalidInput as err:
        return leave_body_unread(error_response(err))
    allowed = sorted(set(methods))
    if request.method not in allowed:
        return json_response(
            {"error": {"code": "MethodNotAllowed",
                       "message": Msg("http.method_not_allowed",
                                      methods=chain("common.or", allowed))}},
            405, headers={"Allow": ", ".join(allowed)})
    try:
        caller = authenticate(request.headers.get("Authorization"))
        return action(caller)
    except RequestEntityTooLarge:
        # The body is within the limit by now, so this is werkzeug's form parser refusing
        # a form field held in memory (500 KB) or too many fields (1,000).
        return error_response(PayloadTooLarge(Msg("http.form_too_large")))
    except DomainError as err:
        return error_response(err)
    except Exception:
        log.exception("unhandled error in %s %s", request.method, request.path)
        return json_response({"error": {"code": "Internal", "message": INTERNAL_MESSAGE}}, 500)


def json_body(request: Request) -> Any:
    """The parsed JSON body, within the limits of request_limits (size, nesting, numbers);
    InvalidInput / PayloadTooLarge (not a 500) for a body that breaks one or is not JSON."""
    raw = read_body(request)
    if not raw:
        return None
    return parse_json(raw)


def leave_body_unread(response: Response) -> Response:
    """`response` as a streamed reply, for a request whose body was not read to its end.

    functions-framework reads the rest of the body after every reply except a streamed
    one. Past the limit that read must not happen: werkzeug's bounded stream refuses it,
    which would turn our 4xx into a 500, and without the bound it would buffer it all.
    The server discards what is left instead (werkzeug's and gunicorn's both do).
    """
    body = response.get_data()
    return Response(iter([body]), status=response.status_code, headers=response.headers)


def limit_callable_input(handler: _Handler) -> _Handler:
    """Put the body limits in front of a function made by `https_fn.on_call`.

    Use it above the `@https_fn.on_call(...)` line. firebase-functions parses the body
    before the callable's code runs and answers INTERNAL for any body its parser chokes
    on (nested too deep, a 5,000-digit number); this wrapper sees the raw request first
    and answers those with INVALID_ARGUMENT and a message naming the limit, in the
    callable protocol's error shape. A body within the limits goes on untouched (read
    once, cached on the request); everything else is still checked by firebase-functions.

    It is also where a callable's reply language is chosen (the raw request, and so
    `Accept-Language`, is seen only here): kept for `serve_callable`, which may switch it
    to `data.locale`, and sent back as Content-Language. A task queue function (Cloud
    Tasks calls it, no person) answers in English.
    """
    endpoint = getattr(handler, "__firebase_endpoint__", None)
    for_people = getattr(endpoint, "taskQueueTrigger", None) is None

    def checked(request: Request) -> Any:
        try:
            raw = read_body(request)
        except InvalidInput as err:
            return leave_body_unread(_callable_rejection(err))
        if request.method == "POST" and request.mimetype == "application/json":
            try:
                parse_json(raw)
            except InvalidInput as err:
                return _callable_rejection(err)
        return handler(request)

    @functools.wraps(handler)  # keeps __firebase_endpoint__, which deploy and serving read
    def limited(request: Request) -> Any:
        reply = _ReplyLanguage(
            language_from_accept_language(request.headers.get("Accept-Language"))
            if for_people else DEFAULT_LANGUAGE, from_data=for_people)
        token = _REPLY_LANGUAGE.set(reply)
        try:
            response = checked(request)
        finally:
            _REPLY_LANGUAGE.reset(token)
        if for_people:
            response = _framework_errors_in(response, reply.language)
        return _with_language(response, reply.language, varies=for_people)

    # firebase-functions types its wrapper as taking a CallableRequest; at run time it is
    # handed the Flask request, as `limited` is. Same signature, so the same type.
    return cast(_Handler, limited)


def _callable_rejection(err: InvalidInput) -> Response:
    # The callable protocol's error reply (what HttpsError(INVALID_ARGUMENT) becomes).
    # Our callables allow any origin (main.py gives them no cors option, so firebase-
    # functions answers with "*"); a browser client must be able to read this reply too.
    body = {"error": {"status": "INVALID_ARGUMENT",
                      "message": err.message_in(reply_language())}}
    return Response(json.dumps(body, ensure_ascii=False), status=400,
                    mimetype="application/json",
                    headers={"Access-Control-Allow-Origin": "*"})


# What firebase-functions answers on its own, before or around our code (a request that is
# not a callable one, a token it refuses, an error outside serve_callable), in the catalog.
_FRAMEWORK_MESSAGES = {
    "Bad Request": Msg("callable.bad_request"),
    "Unauthenticated": Msg("callable.unauthenticated"),
    "INTERNAL": INTERNAL_MESSAGE,
}


def _framework_errors_in(response: Any, language: str) -> Any:
    """A callable error reply that firebase-functions wrote itself, in `language` (in
    English its own words stay as they are)."""
    if language == DEFAULT_LANGUAGE or not isinstance(response, Response) \
            or response.status_code < 400 or response.is_streamed \
            or response.mimetype != "application/json":
        return response
    try:
        body = json.loads(response.get_data())
        message = body["error"]["message"]
    except (ValueError, TypeError, KeyError):
        return response
    if not isinstance(message, str) or message not in _FRAMEWORK_MESSAGES:
        return response
    body["error"]["message"] = render(_FRAMEWORK_MESSAGES[message], language)
    response.set_data(json.dumps(body, ensure_ascii=False))
    return response


# Refuses a verified token all the same (a revoked one); the composition root sets it at
# start (composition.initialize), as firebase-functions verifies callables' tokens itself.
_token_check: Callable[[dict[str, Any]], None] | None = None


def set_token_check(check: Callable[[dict[str, Any]], None] | None) -> None:
    global _token_check
    _token_check = check


def serve_callable(data: Any, auth: Any, action: Callable[[Caller | None, Any], Any]) -> Any:
    """Run a callable's use case; domain errors become HttpsError with the same message.

    The reply and its errors are written in the language `limit_callable_input` chose, or
    in the one a `locale` field of `data` names ("tr", "tr-TR", "en-US", ...; any other
    value is ignored); that field is taken out before the use case sees the data."""
    from firebase_functions import https_fn

    from infra.auth import caller_from_claims

    reply = _REPLY_LANGUAGE.get()
    if reply is not None and reply.from_data and isinstance(data, dict) and "locale" in data:
        reply.language = language_from_locale(data["locale"]) or reply.language
        data = {key: value for key, value in data.items() if key != "locale"}
    language = reply.language if reply is not None else DEFAULT_LANGUAGE
    caller = caller_from_claims(auth.token) if auth is not None else None
    try:
        if auth is not None and _token_check is not None:
            _token_check(auth.token)
        with request_deadline():
            return render_tree(action(caller, data), language)
    except DomainError as err:
        code = getattr(https_fn.FunctionsErrorCode, callable_code_for(err))
        raise https_fn.HttpsError(code, err.message_in(language),
                                  err.details_in(language)) from err
    except https_fn.HttpsError:
        raise
    except Exception as err:
        log.exception("unhandled error in a callable")
        raise https_fn.HttpsError(https_fn.FunctionsErrorCode.INTERNAL,
                                  render(INTERNAL_MESSAGE, language)) from err


def png_response(request: Request, png: bytes, etag: str, *, download_name: str | None = None
                 ) -> Response:
    # A QR id's image never changes (deterministic render), so clients may cache it for
    # good; "private" because the request carried a user's token.
    headers = {"ETag": f'"{etag}"', "Cache-Control": "private, max-age=31536000, immutable"}
    if download_name is not None:
        headers["Content-Disposition"] = f'attachment; filename="{download_name}"'
    elif etag in request.if_none_match:
        return Response(status=304, headers=headers)
    return Response(png, status=200, mimetype="image/png", headers=headers)


def csv_response(text: str, download_name: str) -> Response:
    safe_name = "".join(c if c.isascii() and (c.isalnum() or c in "._-") else "_"
                        for c in download_name)
    return Response(text.encode("utf-8"), status=200, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{safe_name}"',
                             "Content-Type": "text/csv; charset=utf-8"})


def inventory_response(export: Any) -> Response:
    """An inventory export (qr/inventory_export.py) streamed as it is read: CSV in UTF-8
    with a byte order mark (so Excel reads Turkish letters right), or an .xlsx."""
    disposition = {"Content-Disposition": f'attachment; filename="{export.filename}"',
                   "Cache-Control": "no-store"}
    if export.format == "csv":
        from spreadsheet_safe import csv_chunks

        return Response((chunk.encode("utf-8") for chunk in csv_chunks(export.header,
                                                                        export.rows)),
                        status=200,
                        headers={**disposition, "Content-Type": "text/csv; charset=utf-8"})
    from infra.xlsx_stream import stream_xlsx

    return Response(stream_xlsx(export.scope, export.header, export.rows), status=200,
                    headers={**disposition, "Content-Type": _XLSX})


_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def pdf_response(pdf: bytes, download_name: str) -> Response:
    return Response(pdf, status=200, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{download_name}"'})


def private_jpeg_response(jpeg: bytes) -> Response:
    """An image only its requester may see, for now: no cache anywhere keeps it."""
    return Response(jpeg, status=200, mimetype="image/jpeg",
                    headers={"Cache-Control": "no-store, private", "Pragma": "no-cache"})


def zip_response(entries: Iterator[tuple[str, bytes]], download_name: str) -> Response:
    from infra.zip_stream import stream_zip

    return Response(stream_zip(entries), status=200, mimetype="application/zip",
                    headers={"Content-Disposition": f'attachment; filename="{download_name}"'})


# -- request parsing shared by the entry points ---------------------------------------------

def path_argument(request: Request) -> str:
    """`/<function>/<qr_id>` reaches the function as path `/<qr_id>`; `?qr_id=` also works."""
    from_path = request.path.lstrip("/")
    value = from_path or request.args.get("qr_id", "")
    if not value:
        raise InvalidInput(Msg("http.qr_id_in_path"))
    return value


def zip_selection_input(request: Request) -> tuple[str | None, list[str] | None]:
    """GET ?part_code=X or ?qr_ids=a,b ; POST {"part_code": X} or {"qr_ids": [...]}."""
    if request.method == "GET":
        part_code = request.args.get("part_code") or None
        raw_ids = request.args.get("qr_ids") or request.args.get("ids")
        ids = [i for i in raw_ids.split(",") if i] if raw_ids else None
        return part_code, ids
    body = json_body(request)
    if not isinstance(body, dict):
        raise InvalidInput(Msg("http.zip_selection_body"))
    part_code = body.get("part_code")
    if part_code is not None and not isinstance(part_code, str):
        raise InvalidInput(Msg("http.part_code_not_string"))
    return part_code or None, qr_id_list(body) if "qr_ids" in body else None


def request_fields(request: Request) -> dict[str, Any]:
    """A GET's query (every value a string) or a POST's JSON object, as one dict."""
    if request.method in ("GET", "HEAD"):
        return {key: request.args.get(key) for key in request.args}
    body = json_body(request)
    if not isinstance(body, dict):
        raise InvalidInput(Msg("http.fields_body"))
    return body


def qr_id_list(data: Any) -> list[str]:
    ids = data.get("qr_ids") if isinstance(data, dict) else None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise InvalidInput(Msg("qr.qr_ids.not_a_list"))
    return ids


def store_report(report: Any) -> dict[str, int]:
    return {"stored": report.stored, "already_stored": report.already_stored}


def storage_object(data: Any) -> Any:
    """firebase_functions StorageObjectData -> moderation.ports.ObjectInfo."""
    from moderation.ports import ObjectInfo

    return ObjectInfo(
        bucket=data.bucket,
        name=data.name,
        generation=str(data.generation),
        content_type=data.content_type,
        size=int(data.size or 0),
        metadata=dict(data.metadata or {}),
    )


def accept_messages_without_data(handler: _Handler) -> _Handler:
    """Put above `@pubsub_fn.on_message_published(...)`. Pub/Sub allows a message with
    attributes and no data, and then the push envelope has no "data" key; firebase-
    functions' wrapper requires one and fails with a TypeError (a 500) before our code
    runs, so with retries on such a message would come back until Pub/Sub drops it. It
    goes on with empty data instead, which the function's own checks acknowledge."""
    @functools.wraps(handler)  # keeps __firebase_endpoint__, which deploy and serving read
    def guarded(raw: Any) -> Any:
        data = raw.get_data()
        message = data.get("message") if isinstance(data, dict) else None
        if isinstance(message, dict) and message.get("data") is None:
            message["data"] = ""
        return handler(raw)

    return cast(_Handler, guarded)
