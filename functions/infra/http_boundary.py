"""Where platform requests meet the core: caller, input, domain errors -> replies.

Every HTTP and callable entry point in main.py goes through `serve_http` or
`serve_callable`, so a domain error becomes a 4xx / HttpsError with its person-readable
message, and anything unexpected becomes a generic 500 / INTERNAL that reveals nothing.

Request bodies are held to the limits of `infra/request_limits.py` (size, JSON nesting,
numbers) before anything parses them: by `serve_http` for the HTTP functions, and by
`limit_callable_input` in front of each callable, whose body firebase-functions parses
before our code runs.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar, cast

from flask import Request, Response
from werkzeug.exceptions import RequestEntityTooLarge

from errors import DomainError, InvalidInput, PayloadTooLarge
from identity import Caller
from infra.error_mapping import callable_code_for, http_status_for
from infra.request_limits import parse_json, read_body

log = logging.getLogger(__name__)

_Handler = TypeVar("_Handler", bound=Callable[..., Any])

INTERNAL_MESSAGE = "Something went wrong on our side. Try again later."


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None
                  ) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, default=str), status=status,
                    mimetype="application/json", headers=headers)


def error_response(err: DomainError) -> Response:
    body: dict[str, Any] = {"code": type(err).__name__, "message": err.message}
    if err.details is not None:
        body["details"] = err.details
    return json_response({"error": body}, http_status_for(err))


def serve_http(request: Request, methods: Iterable[str],
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
                       "message": f"Use {' or '.join(allowed)} for this function."}},
            405, headers={"Allow": ", ".join(allowed)})
    try:
        caller = authenticate(request.headers.get("Authorization"))
        return action(caller)
    except RequestEntityTooLarge:
        # The body is within the limit by now, so this is werkzeug's form parser refusing
        # a form field held in memory (500 KB) or too many fields (1,000).
        return error_response(PayloadTooLarge(
            "A field of the form is too large, or the form has too many fields; send the "
            'parts list as one file in the field "file".'))
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
    """
    @functools.wraps(handler)  # keeps __firebase_endpoint__, which deploy and serving read
    def limited(request: Request) -> Any:
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

    # firebase-functions types its wrapper as taking a CallableRequest; at run time it is
    # handed the Flask request, as `limited` is. Same signature, so the same type.
    return cast(_Handler, limited)


def _callable_rejection(err: InvalidInput) -> Response:
    # The callable protocol's error reply (what HttpsError(INVALID_ARGUMENT) becomes).
    # Our callables allow any origin (main.py gives them no cors option, so firebase-
    # functions answers with "*"); a browser client must be able to read this reply too.
    body = {"error": {"status": "INVALID_ARGUMENT", "message": err.message}}
    return Response(json.dumps(body, ensure_ascii=False), status=400,
                    mimetype="application/json",
                    headers={"Access-Control-Allow-Origin": "*"})


def serve_callable(data: Any, auth: Any, action: Callable[[Caller | None, Any], Any]) -> Any:
    """Run a callable's use case; domain errors become HttpsError with the same message."""
    from firebase_functions import https_fn

    from infra.auth import caller_from_claims

    caller = caller_from_claims(auth.token) if auth is not None else None
    try:
        return action(caller, data)
    except DomainError as err:
        code = getattr(https_fn.FunctionsErrorCode, callable_code_for(err))
        raise https_fn.HttpsError(code, err.message, err.details) from err
    except https_fn.HttpsError:
        raise
    except Exception as err:
        log.exception("unhandled error in a callable")
        raise https_fn.HttpsError(https_fn.FunctionsErrorCode.INTERNAL,
                                  INTERNAL_MESSAGE) from err


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


def pdf_response(pdf: bytes, download_name: str) -> Response:
    return Response(pdf, status=200, mimetype="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="{download_name}"'})


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
        raise InvalidInput("Put the QR id in the URL: /<function name>/<qr_id>.")
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
        raise InvalidInput('Send JSON {"part_code": "..."} or {"qr_ids": ["...", ...]}.')
    part_code = body.get("part_code")
    if part_code is not None and not isinstance(part_code, str):
        raise InvalidInput('"part_code" must be a string.')
    return part_code or None, qr_id_list(body) if "qr_ids" in body else None


def request_fields(request: Request) -> dict[str, Any]:
    """A GET's query (every value a string) or a POST's JSON object, as one dict."""
    if request.method in ("GET", "HEAD"):
        return {key: request.args.get(key) for key in request.args}
    body = json_body(request)
    if not isinstance(body, dict):
        raise InvalidInput("Send a JSON object, or use GET with a query string.")
    return body


def qr_id_list(data: Any) -> list[str]:
    ids = data.get("qr_ids") if isinstance(data, dict) else None
    if not isinstance(ids, list) or not all(isinstance(i, str) for i in ids):
        raise InvalidInput('"qr_ids" must be a list of QR id strings.')
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
