"""Where platform requests meet the core: caller, input, domain errors -> replies.

Every HTTP and callable entry point in main.py goes through `serve_http` or
`serve_callable`, so a domain error becomes a 4xx / HttpsError with its person-readable
message, and anything unexpected becomes a generic 500 / INTERNAL that reveals nothing.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from flask import Request, Response

from errors import DomainError, InvalidInput, PayloadTooLarge
from identity import Caller
from infra.error_mapping import callable_code_for, http_status_for

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 11 * 1024 * 1024  # a 10 MB parts file plus multipart overhead
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
    allowed = sorted(set(methods))
    if request.method not in allowed:
        return json_response(
            {"error": {"code": "MethodNotAllowed",
                       "message": f"Use {' or '.join(allowed)} for this function."}},
            405, headers={"Allow": ", ".join(allowed)})
    try:
        if request.content_length and request.content_length > MAX_BODY_BYTES:
            raise PayloadTooLarge(f"The request body is over {MAX_BODY_BYTES // 1024 // 1024} "
                                  "MB; upload at most 10 MB.")
        caller = authenticate(request.headers.get("Authorization"))
        return action(caller)
    except DomainError as err:
        return error_response(err)
    except Exception:
        log.exception("unhandled error in %s %s", request.method, request.path)
        return json_response({"error": {"code": "Internal", "message": INTERNAL_MESSAGE}}, 500)


def json_body(request: Request) -> Any:
    """The parsed JSON body; InvalidInput (not a 500) for a body that is not JSON."""
    raw = request.get_data(cache=True)
    if not raw:
        return None
    try:
        return json.loads(raw)
    except (ValueError, UnicodeDecodeError) as err:
        raise InvalidInput("The request body is not valid JSON.") from err


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
