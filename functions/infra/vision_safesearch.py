"""Cloud Vision SafeSearch behind moderation.ports.SafeSearchClassifier.

One code path in production and in tests: google-cloud-vision's ImageAnnotatorClient over
its REST transport, pointed at Google or at a local server that speaks the Vision REST API
(devtools/vision_server.py). Error classes differ by transport, so we use one and map
its failures (api_core base classes and `requests` errors) to VisionUnavailable here.

Every call is bounded: one overall deadline (settings timeout_s) covers all attempts, and
only 503 and 504/DEADLINE_EXCEEDED are retried, with a short back-off. The client library's
own default would retry 503 for up to 600 s, far past a function's timeout.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import requests
from google.api_core import exceptions as api_exceptions
from google.api_core import retry as api_retry
from google.auth import exceptions as auth_exceptions

from moderation.ports import ImageSource, VisionUnavailable
from moderation.safesearch import CATEGORIES, Likelihood, SafeSearchAnnotation

if TYPE_CHECKING:
    from google.cloud.vision_v1 import ImageAnnotatorClient

# Back-off between retried attempts (seconds); the overall deadline caps the total anyway.
RETRY_INITIAL_S = 0.1
RETRY_MAXIMUM_S = 2.0
RETRY_MULTIPLIER = 2.0

# google.rpc.Code.PERMISSION_DENIED in a per-image error: Vision may not read the gs://
# object (a bucket permission problem on our side, not a bad image).
_RPC_PERMISSION_DENIED = 7

# Retried: Vision says "try again" (503) or an attempt ran out of time server-side (504).
# Over REST a 504 is GatewayTimeout; DeadlineExceeded (its gRPC-named subclass) is included.
_is_retryable = api_retry.if_exception_type(
    api_exceptions.ServiceUnavailable, api_exceptions.GatewayTimeout)


class VisionSafeSearch:
    """SafeSearchClassifier over Cloud Vision. Cheap to construct: the client (about 1 s of
    imports and credential discovery) is built on the first classify, once per instance,
    and shared by concurrent requests."""

    def __init__(self, client_factory: Callable[[], ImageAnnotatorClient],
                 timeout_s: float) -> None:
        if timeout_s <= 0:
            raise ValueError("timeout_s must be positive")
        self._client_factory = client_factory
        self._timeout_s = timeout_s
        self._client: ImageAnnotatorClient | None = None
        self._lock = threading.Lock()

    @classmethod
    def create(cls, endpoint: str | None, timeout_s: float) -> VisionSafeSearch:
        """From settings: `endpoint` None means Google's endpoint with default credentials;
        "http://host:port" means a local server (anonymous credentials); "https://host[:port]"
        means another Vision endpoint with default credentials."""
        if endpoint is not None:
            _split_endpoint(endpoint)  # fail at start on a malformed endpoint, not on first use
        return cls(functools.partial(_build_client, endpoint), timeout_s)

    @property
    def timeout_s(self) -> float:
        return self._timeout_s

    def warm_up(self) -> None:
        """Build the client now (imports, credentials) instead of inside the first classify,
        whose deadline only starts once the client exists. Makes no call to Vision."""
        self._get_client()

    def classify(self, image: ImageSource) -> SafeSearchAnnotation:
        """One SAFE_SEARCH_DETECTION call for one image (one billable unit).

        Raises VisionUnavailable (reason, safe message) for every failure, including a
        per-image error inside a 200 response. Raises ValueError for an ImageSource that is
        not exactly one of a gs:// URI or bytes (a programming error, nothing was sent).
        """
        request = _annotate_request(image)
        try:
            response = self._get_client().batch_annotate_images(
                requests=[request],
                retry=api_retry.Retry(
                    predicate=_is_retryable, initial=RETRY_INITIAL_S, maximum=RETRY_MAXIMUM_S,
                    multiplier=RETRY_MULTIPLIER, timeout=self._timeout_s),
                timeout=_OverallDeadline(self._timeout_s),
            )
        except VisionUnavailable:
            raise
        except Exception as error:
            translated = _translate(error, self._timeout_s)
            if translated is None:
                raise
            raise translated from error
        return _annotation_from(response)

    def _get_client(self) -> ImageAnnotatorClient:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    self._client = self._client_factory()
        return self._client


class _OverallDeadline:
    """The per-attempt timeout given to the transport: the time left until one deadline
    fixed when the call starts, so all attempts together fit in `total_s`.

    api_core's own TimeToDeadlineTimeout resets an attempt's timeout to the full value when
    less than 1 s is left, so a late retry could run up to twice the budget.
    """

    def __init__(self, total_s: float) -> None:
        self._total_s = total_s

    def __call__(self, func: Callable[..., Any]) -> Callable[..., Any]:
        deadline = time.monotonic() + self._total_s

        @functools.wraps(func)
        def with_deadline(*args: Any, **kwargs: Any) -> Any:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise api_exceptions.DeadlineExceeded("The overall Vision deadline passed.")
            kwargs["timeout"] = remaining
            return func(*args, **kwargs)

        return with_deadline


def _split_endpoint(endpoint: str) -> tuple[str, str]:
    """(scheme, host[:port]) of an endpoint URL, or ValueError."""
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/"):
        raise ValueError(f"Vision endpoint must look like http(s)://host[:port], got {endpoint!r}")
    return parts.scheme, parts.netloc


def _build_client(endpoint: str | None) -> ImageAnnotatorClient:
    # Imported here: google.cloud.vision costs about 1 s, paid only by instances that classify.
    from google.cloud.vision_v1 import ImageAnnotatorClient
    from google.cloud.vision_v1.services.image_annotator.transports.rest import (
        ImageAnnotatorRestTransport,
    )

    if endpoint is None:
        return ImageAnnotatorClient(transport="rest")
    scheme, host = _split_endpoint(endpoint)
    credentials = None
    if scheme == "http":
        # A local server: sending real credentials over plain HTTP would leak them.
        from google.auth.credentials import AnonymousCredentials
        credentials = AnonymousCredentials()
    transport = ImageAnnotatorRestTransport(host=host, url_scheme=scheme, credentials=credentials)
    return ImageAnnotatorClient(transport=transport)


def _annotate_request(image: ImageSource) -> Any:
    from google.cloud.vision_v1 import types

    if (image.gcs_uri is None) == (image.content is None):
        raise ValueError("ImageSource needs exactly one of gcs_uri or content")
    if image.gcs_uri is not None:
        if not image.gcs_uri.startswith("gs://") or len(image.gcs_uri) <= len("gs://"):
            # Vision would also fetch http(s) URLs; we only ever let it read our buckets.
            raise ValueError("ImageSource.gcs_uri must be a gs:// URI")
        vision_image = types.Image(source=types.ImageSource(image_uri=image.gcs_uri))
    else:
        if not image.content:
            raise VisionUnavailable("bad_image", "The image is empty.")
        vision_image = types.Image(content=image.content)
    return types.AnnotateImageRequest(
        image=vision_image,
        features=[types.Feature(type_=types.Feature.Type.SAFE_SEARCH_DETECTION)],
    )


def _annotation_from(response: Any) -> SafeSearchAnnotation:
    if len(response.responses) != 1:
        raise VisionUnavailable("unavailable", "Cloud Vision returned no result for the image.")
    result = response.responses[0]
    if result.error.code != 0:
        if result.error.code == _RPC_PERMISSION_DENIED:
            raise VisionUnavailable(
                "refused", "Cloud Vision was not allowed to read the image from storage.")
        raise VisionUnavailable(
            "bad_image", f"Cloud Vision could not read the image (error code {result.error.code}).")
    if "safe_search_annotation" not in result:
        # No error and no annotation: treat as no verdict rather than as all-UNKNOWN, which
        # the verdict rules would approve.
        raise VisionUnavailable("unavailable", "Cloud Vision returned no SafeSearch result.")
    annotation = result.safe_search_annotation
    return SafeSearchAnnotation(
        **{category: _likelihood(getattr(annotation, category)) for category in CATEGORIES})


def _likelihood(value: Any) -> Likelihood:
    """Vision's enum to ours by name; a value this code does not know is UNKNOWN."""
    name = getattr(value, "name", None)
    return Likelihood.__members__.get(name, Likelihood.UNKNOWN) if name else Likelihood.UNKNOWN


def _translate(error: Exception, timeout_s: float) -> VisionUnavailable | None:
    """A safe VisionUnavailable for a failure of the call, or None for a bug of ours."""
    if isinstance(error, api_exceptions.RetryError):
        # The retry budget ran out: name what Vision kept answering.
        if isinstance(error.cause, api_exceptions.ServiceUnavailable):
            return VisionUnavailable(
                "unavailable", f"Cloud Vision stayed unavailable for {timeout_s:g} s.")
        return VisionUnavailable("timeout", f"Cloud Vision did not answer within {timeout_s:g} s.")
    if isinstance(error, api_exceptions.GoogleAPICallError):
        return _translate_api_error(error, timeout_s)
    # requests' ConnectTimeout is both a Timeout and a ConnectionError: test Timeout first.
    if isinstance(error, requests.exceptions.Timeout):
        return VisionUnavailable("timeout", f"Cloud Vision did not answer within {timeout_s:g} s.")
    if isinstance(error, requests.exceptions.RequestException):
        return VisionUnavailable("unreachable", "Cloud Vision could not be reached.")
    if isinstance(error, auth_exceptions.TransportError):
        return VisionUnavailable("unreachable", "Google authentication could not be reached.")
    if isinstance(error, auth_exceptions.GoogleAuthError):
        return VisionUnavailable("refused", "No usable credentials for Cloud Vision.")
    return None


def _translate_api_error(error: api_exceptions.GoogleAPICallError,
                         timeout_s: float) -> VisionUnavailable:
    # Base classes only: over REST these come as Forbidden/TooManyRequests/GatewayTimeout,
    # over gRPC as their subclasses PermissionDenied/ResourceExhausted/DeadlineExceeded.
    if isinstance(error, api_exceptions.Forbidden):
        if _says_billing_disabled(error):
            return VisionUnavailable(
                "billing_disabled", "Cloud Vision refused the call: billing is disabled.")
        return VisionUnavailable("refused", "Cloud Vision refused the call (permission denied).")
    if isinstance(error, api_exceptions.Unauthorized):
        return VisionUnavailable("refused", "Cloud Vision refused the credentials.")
    if isinstance(error, api_exceptions.TooManyRequests):
        return VisionUnavailable("rate_limited", "Cloud Vision is rate limiting; try again later.")
    if isinstance(error, api_exceptions.ServiceUnavailable):
        return VisionUnavailable("unavailable", "Cloud Vision is unavailable right now.")
    if isinstance(error, api_exceptions.GatewayTimeout):
        return VisionUnavailable("timeout", f"Cloud Vision did not answer within {timeout_s:g} s.")
    if isinstance(error, api_exceptions.BadRequest):
        # We build the request, so a 400 is about the image (too large, unreadable).
        return VisionUnavailable("bad_image", "Cloud Vision rejected the image as invalid.")
    return VisionUnavailable(
        "unavailable", f"Cloud Vision failed (HTTP {error.code or 'error'}); try again later.")


def _says_billing_disabled(error: api_exceptions.GoogleAPICallError) -> bool:
    if error.reason == "BILLING_DISABLED":
        return True
    for detail in error.details or ():
        reason = detail.get("reason") if isinstance(detail, dict) else getattr(
            detail, "reason", None)
        if reason == "BILLING_DISABLED":
            return True
    return False
