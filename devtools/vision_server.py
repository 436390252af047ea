"""A local server that speaks the Cloud Vision REST API, for tests and the local run.

It answers `POST /v1/images:annotate` (and the `projects/*[/locations/*]` forms) the way
Vision does: the same JSON field names, enums as names, or as numbers when the client asks
with `$alt=json;enum-encoding=int` (google-cloud-vision's REST transport always does), and
Google's JSON error format, so the real google-cloud-vision client runs unmodified against it.

Only SAFE_SEARCH_DETECTION is emulated; other features are recorded and answered with nothing.

In tests::

    with running_vision_server() as vision:
        vision.set_for_uri("gs://b/cat.jpg", {"adult": "VERY_LIKELY"})
        vision.fail_unavailable(times=1)          # the first call gets a 503
        ...  # point the client at vision.endpoint
        assert vision.billable_units == 1

Standalone, for the local run::

    python -m devtools.vision_server --port 8123

answers VERY_UNLIKELY for every category, unless the gs:// URI or the image bytes contain
the word "unsafe" (then adult is VERY_LIKELY): upload `unsafe-cat.jpg` to see a rejection.
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import re
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

CATEGORIES = ("adult", "spoof", "medical", "violence", "racy")
LIKELIHOODS = ("UNKNOWN", "VERY_UNLIKELY", "UNLIKELY", "POSSIBLE", "LIKELY", "VERY_LIKELY")

# google.cloud.vision.v1 Feature.Type numbers, for clients that send enums as integers.
FEATURE_TYPES = {
    0: "TYPE_UNSPECIFIED", 1: "FACE_DETECTION", 2: "LANDMARK_DETECTION", 3: "LOGO_DETECTION",
    4: "LABEL_DETECTION", 5: "TEXT_DETECTION", 6: "SAFE_SEARCH_DETECTION",
    7: "IMAGE_PROPERTIES", 9: "CROP_HINTS", 10: "WEB_DETECTION", 11: "DOCUMENT_TEXT_DETECTION",
    12: "PRODUCT_SEARCH", 19: "OBJECT_LOCALIZATION",
}
SAFE_SEARCH = "SAFE_SEARCH_DETECTION"

# google.rpc.Code names by HTTP status, as Google's JSON errors spell them.
_STATUS_NAMES = {
    400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE", 504: "DEADLINE_EXCEEDED",
}
_ANNOTATE_PATH = re.compile(r"^/v1/(projects/[^/]+/(locations/[^/]+/)?)?images:annotate$")
# A hung request gives up after this long even if nobody stops the server, so a forgotten
# hang cannot keep a test run alive forever.
_MAX_HANG_S = 60.0

Annotation = dict[str, str]


@dataclass(frozen=True)
class ImageError:
    """A per-image failure inside a 200 response (`responses[i].error`), e.g. bad image data."""

    code: int = 3  # INVALID_ARGUMENT
    message: str = "Bad image data."


@dataclass(frozen=True)
class RawResponse:
    """A `responses[i]` object sent exactly as given (e.g. {} for "no annotation at all")."""

    body: dict[str, Any] = field(default_factory=dict)


Result = Annotation | ImageError | RawResponse


@dataclass(frozen=True)
class ReceivedImage:
    """One entry of `requests[]` as the server saw it."""

    features: tuple[str, ...]
    image_uri: str | None = None
    gcs_image_uri: str | None = None
    content: bytes | None = field(default=None, repr=False)

    @property
    def uri(self) -> str | None:
        return self.image_uri or self.gcs_image_uri

    @property
    def content_sha256(self) -> str | None:
        return hashlib.sha256(self.content).hexdigest() if self.content is not None else None


@dataclass(frozen=True)
class ReceivedRequest:
    """One HTTP call and what the server answered: `status` is the HTTP status, or 0 for a
    call it left hanging."""

    path: str
    query: dict[str, list[str]]
    images: tuple[ReceivedImage, ...]
    status: int
    authorization: str | None = field(default=None, repr=False)

    @property
    def features(self) -> tuple[str, ...]:
        return tuple(f for image in self.images for f in image.features)


@dataclass
class _Fault:
    status: int | None  # None: hang
    body: dict[str, Any] | None
    remaining: int | None  # None: forever
    delay_s: float = 0.0
    until: float | None = None  # time.monotonic() after which the fault is over


class VisionServer:
    """The server and its per-test script. Thread-safe; every setter applies to the next call."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *, verbose: bool = False) -> None:
        self.verbose = verbose  # log each call to stderr (the standalone run)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._requests: list[ReceivedRequest] = []
        self._faults: list[_Fault] = []
        self._default: Result = {}
        self._by_uri: dict[str, Result] = {}
        self._by_sha256: dict[str, Result] = {}
        self._responder: Callable[[ReceivedImage], Result | None] | None = None
        self._httpd = ThreadingHTTPServer((host, port), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    # --- lifecycle ---------------------------------------------------------------------

    @property
    def endpoint(self) -> str:
        host, port = self._httpd.server_address[:2]
        host_text = host.decode() if isinstance(host, bytes) else str(host)
        return f"http://{host_text}:{port}"

    def start(self) -> VisionServer:
        # A short poll interval makes stop() take milliseconds instead of half a second.
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.05,),
                                        name="vision-server", daemon=True)
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    def stop(self) -> None:
        self._stopping.set()  # releases hung handlers
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # --- what the tests read -----------------------------------------------------------

    @property
    def requests(self) -> list[ReceivedRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self._requests)

    @property
    def billable_units(self) -> int:
        """SafeSearch units Vision would bill: one per image per SAFE_SEARCH feature, counted
        only for calls it answered with 200 (Vision does not bill refused calls)."""
        with self._lock:
            return sum(image.features.count(SAFE_SEARCH)
                       for request in self._requests if request.status == 200
                       for image in request.images)

    # --- what the tests set ------------------------------------------------------------

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
            self._faults.clear()
            self._default, self._by_uri, self._by_sha256 = {}, {}, {}
            self._responder = None

    def set_default(self, result: Result) -> None:
        """What every image gets unless a more specific rule matches (default: all
        VERY_UNLIKELY). An annotation may name only some categories; the rest are
        VERY_UNLIKELY."""
        with self._lock:
            self._default = _checked(result)

    def set_for_uri(self, uri: str, result: Result) -> None:
        with self._lock:
            self._by_uri[uri] = _checked(result)

    def set_for_content(self, content: bytes, result: Result) -> None:
        with self._lock:
            self._by_sha256[hashlib.sha256(content).hexdigest()] = _checked(result)

    def set_responder(self, responder: Callable[[ReceivedImage], Result | None] | None) -> None:
        """A function consulted first for every image; None from it falls through."""
        with self._lock:
            self._responder = responder

    def fail(self, status: int, *, times: int | None = None, message: str | None = None,
             reason: str | None = None, delay_s: float = 0.0) -> None:
        """Answer the next `times` calls (None: all of them) with an HTTP error in Google's
        JSON format; `reason` adds a google.rpc.ErrorInfo detail. Faults queue up: a fault
        added after a limited one applies once the first is used up."""
        body = _error_body(status, message or f"Simulated error {status}.", reason)
        self._queue(_Fault(status, body, times, delay_s))

    def fail_unavailable(self, *, times: int | None = None, delay_s: float = 0.0) -> None:
        self.fail(503, times=times, message="The service is currently unavailable.",
                  delay_s=delay_s)

    def fail_rate_limited(self, *, times: int | None = None) -> None:
        self.fail(429, times=times, reason="RATE_LIMIT_EXCEEDED",
                  message="Quota exceeded for quota metric 'Requests' and limit "
                          "'Requests per minute' of service 'vision.googleapis.com'.")

    def fail_billing_disabled(self, *, times: int | None = None) -> None:
        self.fail(403, times=times, reason="BILLING_DISABLED",
                  message="This API method requires billing to be enabled. Please enable "
                          "billing on project #0 by visiting https://console.developers."
                          "google.com/billing/enable?project=0 then retry.")

    def outage(self, seconds: float) -> None:
        """Answer every call with 503 for the next `seconds` (an outage), then recover."""
        body = _error_body(503, "The service is currently unavailable.", None)
        self._queue(_Fault(503, body, None, until=time.monotonic() + seconds))

    def hang(self, *, times: int | None = None) -> None:
        """Never answer the next `times` calls (None: all of them) while the server runs."""
        self._queue(_Fault(None, None, times))

    def _queue(self, fault: _Fault) -> None:
        if fault.remaining is not None and fault.remaining < 1:
            raise ValueError("times must be at least 1, or None for every call")
        with self._lock:
            self._faults.append(fault)

    # --- request handling (called from handler threads) -------------------------------

    def _next_fault(self) -> _Fault | None:
        while self._faults and self._faults[0].until is not None \
                and time.monotonic() >= self._faults[0].until:
            self._faults.pop(0)
        if not self._faults:
            return None
        fault = self._faults[0]
        if fault.remaining is not None:
            fault.remaining -= 1
            if fault.remaining == 0:
                self._faults.pop(0)
        return fault

    def _result_for(self, image: ReceivedImage) -> Result:
        if self._responder is not None:
            chosen = self._responder(image)
            if chosen is not None:
                return _checked(chosen)
        if image.uri is not None and image.uri in self._by_uri:
            return self._by_uri[image.uri]
        if image.content_sha256 is not None and image.content_sha256 in self._by_sha256:
            return self._by_sha256[image.content_sha256]
        return self._default

    def handle(self, path: str, query: dict[str, list[str]], raw: bytes,
               authorization: str | None) -> tuple[int | None, dict[str, Any], float]:
        """(status or None to hang, JSON body, delay before answering)."""
        if not _ANNOTATE_PATH.match(path):
            return 404, _error_body(404, f"Unknown path {path}.", None), 0.0
        try:
            images = _parse_images(raw)
        except ValueError as bad:
            with self._lock:
                self._requests.append(ReceivedRequest(path, query, (), 400, authorization))
            return 400, _error_body(400, str(bad), None), 0.0
        numeric = "enum-encoding=int" in ";".join(query.get("$alt", []))
        with self._lock:
            fault = self._next_fault()
            if fault is not None:
                status = fault.status if fault.status is not None else 0
                self._requests.append(ReceivedRequest(path, query, images, status, authorization))
                return fault.status, fault.body or {}, fault.delay_s
            responses = [_response_json(image, self._result_for(image), numeric)
                         for image in images]
            self._requests.append(ReceivedRequest(path, query, images, 200, authorization))
        return 200, {"responses": responses}, 0.0

    def wait_while_hanging(self) -> None:
        self._stopping.wait(_MAX_HANG_S)

    def pause(self, seconds: float) -> None:
        """Sleep before answering, cut short when the server stops."""
        self._stopping.wait(seconds)


def _handler_for(server: VisionServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # Headers and body go out as two writes; with Nagle on, a kept-alive connection
        # waits ~40 ms for a delayed ACK between them on every call.
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            status, body, delay_s = server.handle(
                url.path, parse_qs(url.query), raw, self.headers.get("Authorization"))
            if status is None:
                server.wait_while_hanging()
                self.close_connection = True
                return
            if delay_s:
                server.pause(delay_s)
            self._send_json(status, body)

        def do_GET(self) -> None:
            self._send_json(404, _error_body(404, "Only POST images:annotate is served.", None))

        def _send_json(self, status: int, body: dict[str, Any]) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=UTF-8")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            if server.verbose:
                sys.stderr.write(f"vision-server: {format % args}\n")

    return Handler


def _parse_images(raw: bytes) -> tuple[ReceivedImage, ...]:
    try:
        body = json.loads(raw or b"{}")
    except json.JSONDecodeError as bad:
        raise ValueError(f"Invalid JSON payload received. {bad.msg}.") from bad
    entries = body.get("requests") if isinstance(body, dict) else None
    if not isinstance(entries, list):
        raise ValueError("Invalid JSON payload received. 'requests' must be a list.")
    return tuple(_parse_image(entry, i) for i, entry in enumerate(entries))


def _parse_image(entry: Any, index: int) -> ReceivedImage:
    if not isinstance(entry, dict):
        raise ValueError(f"Invalid value at 'requests[{index}]'.")
    features = tuple(_feature_name(f.get("type", 0)) for f in entry.get("features") or []
                     if isinstance(f, dict))
    image = entry.get("image") or {}
    source = image.get("source") or {}
    content = None
    if "content" in image:
        try:
            content = base64.b64decode(image["content"], validate=True)
        except (binascii.Error, TypeError) as bad:
            raise ValueError(
                f"Invalid value at 'requests[{index}].image.content' (TYPE_BYTES).") from bad
    return ReceivedImage(features, source.get("imageUri"), source.get("gcsImageUri"), content)


def _feature_name(value: Any) -> str:
    if isinstance(value, int):
        return FEATURE_TYPES.get(value, str(value))
    return str(value)


def _response_json(image: ReceivedImage, result: Result, numeric: bool) -> dict[str, Any]:
    if image.content is None and image.uri is None:
        return {"error": {"code": 3, "message": "No image was given."}}
    if isinstance(result, ImageError):
        return {"error": {"code": result.code, "message": result.message}}
    if isinstance(result, RawResponse):
        return dict(result.body)
    if SAFE_SEARCH not in image.features:
        return {}
    annotation = {name: result.get(name, "VERY_UNLIKELY") for name in CATEGORIES}
    if numeric:
        return {"safeSearchAnnotation": {k: LIKELIHOODS.index(v) for k, v in annotation.items()}}
    return {"safeSearchAnnotation": annotation}


def _error_body(status: int, message: str, reason: str | None) -> dict[str, Any]:
    error: dict[str, Any] = {"code": status, "message": message,
                             "status": _STATUS_NAMES.get(status, "UNKNOWN")}
    if reason is not None:
        error["details"] = [{
            "@type": "type.googleapis.com/google.rpc.ErrorInfo",
            "reason": reason,
            "domain": "googleapis.com",
            "metadata": {"service": "vision.googleapis.com", "consumer": "projects/0"},
        }]
    return {"error": error}


def _checked(result: Result) -> Result:
    if isinstance(result, ImageError | RawResponse):
        return result
    for name, value in result.items():
        if name not in CATEGORIES or value not in LIKELIHOODS:
            raise ValueError(f"not a SafeSearch field/likelihood: {name}={value}")
    return dict(result)


@contextmanager
def running_vision_server() -> Iterator[VisionServer]:
    """A started server on 127.0.0.1 and a free port, stopped (hung calls released) after."""
    server = VisionServer().start()
    try:
        yield server
    finally:
        server.stop()


def unsafe_word_responder(image: ReceivedImage) -> Result:
    """The local-run convention: "unsafe" in the gs:// URI or in the bytes -> adult
    VERY_LIKELY; everything else VERY_UNLIKELY."""
    if "unsafe" in (image.uri or "") or b"unsafe" in (image.content or b""):
        return {"adult": "VERY_LIKELY"}
    return {}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8123)
    args = parser.parse_args(argv)
    server = VisionServer(args.host, args.port, verbose=True)
    server.set_responder(unsafe_word_responder)
    print(f"Vision API (SafeSearch) listening on {server.endpoint}; set "
          f"VISION_API_ENDPOINT={server.endpoint}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()


def start_vision_server(port: int = 0) -> VisionServer:
    """The local run's Vision: started on `port` (a free one by default) with the "unsafe"
    word convention."""
    server = VisionServer(port=port).start()
    server.set_responder(unsafe_word_responder)
    return server


if __name__ == "__main__":
    main()
