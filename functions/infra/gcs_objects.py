"""Cloud Storage objects (the uploaded images), behind moderation.ports.ObjectStore.

Every call carries an explicit timeout and a bounded retry: the SDK's defaults retry for
up to 120 s, longer than it is worth inside a function that has a deadline of its own.
An object (or generation) that is gone is not an error here: the storage event that
named it is simply stale, so head returns b"" and the writes do nothing.
Any other failure becomes ObjectStoreError, whose message is safe to log.

The client honours STORAGE_EMULATOR_HOST by itself (endpoint and anonymous credentials),
so this module reads no environment; `emulator_host` lets the composition root say it
explicitly instead.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import google.cloud.storage as storage
import requests
from google.api_core import exceptions as api_exceptions
from google.api_core.retry import Retry
from google.auth import exceptions as auth_exceptions
from google.auth.credentials import AnonymousCredentials
from google.cloud.storage.retry import DEFAULT_RETRY

from moderation.ports import ObjectInfo, ObjectStoreFailed, TargetExists

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_S = 30.0
DEFAULT_RETRY_DEADLINE_S = 20.0
# Another writer may patch the metadata between our read and our patch; re-read a few times.
_METADATA_ATTEMPTS = 3
_GENERATION = re.compile(r"[1-9][0-9]{0,19}")

# Statuses worth trying again later (by the caller) once our own bounded retry gave up.
_TRANSIENT = (
    api_exceptions.TooManyRequests,
    api_exceptions.InternalServerError,
    api_exceptions.BadGateway,
    api_exceptions.ServiceUnavailable,
    api_exceptions.GatewayTimeout,
    api_exceptions.RetryError,
    requests.exceptions.ConnectionError,
    requests.exceptions.Timeout,
    auth_exceptions.TransportError,
)

T = TypeVar("T")


class ObjectStoreError(ObjectStoreFailed):
    """Cloud Storage failed for a reason other than "the object is gone".

    `operation` is one of head, set_metadata, move, delete, connect; `retryable` says
    whether the same call may succeed later (throttling, 5xx, network, timeout).
    The message names the operation, the object and the error class, never a response
    body or a credential.
    """

    def __init__(self, operation: str, message: str, *, retryable: bool) -> None:
        super().__init__(message)
        self.operation = operation
        self.message = message
        self.retryable = retryable


def bounded_retry(deadline_s: float) -> Retry:
    """The SDK's retry predicate (429, 5xx, connection errors) with a short deadline."""
    return DEFAULT_RETRY.with_delay(initial=0.25, maximum=4.0, multiplier=2.0).with_timeout(
        deadline_s
    )


def without_bucket_metadata_fetch(client: storage.Client) -> storage.Client:
    """Stop the client's background bucket lookups.

    google-cloud-storage 3.17 starts a thread that GETs each bucket on first use, only to
    label tracing spans (even with tracing off). In a function that is one more request
    per instance, needing storage.buckets.get, from a thread that outlives the request.
    The SDK's switch is the DISABLE_GCS_PYTHON_CLIENT_OTEL_BUCKET_METADATA variable; this
    module reads and writes no environment, so it clears the per-client cache instead.
    """
    if getattr(client, "_bucket_metadata_cache", None) is not None:
        client._bucket_metadata_cache = None
    return client


class GcsObjectStore:
    """moderation.ports.ObjectStore on google-cloud-storage.

    The client is created on first use, once per instance, and reused (thread-safe).
    """

    def __init__(
        self,
        client_factory: Callable[[], storage.Client],
        *,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        retry_deadline_s: float = DEFAULT_RETRY_DEADLINE_S,
    ) -> None:
        if timeout_s <= 0 or retry_deadline_s <= 0:
            raise ValueError("timeout_s and retry_deadline_s must be > 0")
        self._client_factory = client_factory
        self._client: storage.Client | None = None
        self._lock = threading.Lock()
        self._timeout = timeout_s
        self._retry = bounded_retry(retry_deadline_s)

    @classmethod
    def create(
        cls,
        project_id: str,
        *,
        emulator_host: str | None = None,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        retry_deadline_s: float = DEFAULT_RETRY_DEADLINE_S,
    ) -> GcsObjectStore:
        """A store whose client is made lazily for `project_id`.

        Without `emulator_host` the SDK decides: STORAGE_EMULATOR_HOST if set (anonymous
        credentials), else Application Default Credentials against Google.
        """
        if not project_id:
            raise ValueError("project_id is required")

        def make_client() -> storage.Client:
            if emulator_host:
                client = storage.Client(
                    project=project_id,
                    credentials=AnonymousCredentials(),
                    client_options={"api_endpoint": emulator_host},
                )
            else:
                client = storage.Client(project=project_id)
            return without_bucket_metadata_fetch(client)

        return cls(make_client, timeout_s=timeout_s, retry_deadline_s=retry_deadline_s)

    # -- ObjectStore -------------------------------------------------------------------------

    def head(self, bucket: str, name: str, length: int) -> bytes:
        _check_object(bucket, name)
        if isinstance(length, bool) or not isinstance(length, int) or length < 1:
            raise ValueError(f"length must be a positive integer, got {length!r}")

        def read() -> bytes:
            blob = self._bucket(bucket).blob(name)
            try:
                # Raw bytes as stored (no gzip transcoding, which would ignore the range);
                # no checksum, because a range cannot be checked against the whole hash.
                return blob.download_as_bytes(
                    start=0, end=length - 1, raw_download=True, checksum=None,
                    timeout=self._timeout, retry=self._retry,
                )
            except api_exceptions.RequestRangeNotSatisfiable:
                return b""  # an empty object: there is no byte 0 to serve

        data = self._call("head", bucket, name, read, gone=b"")
        return data[:length]

    def set_metadata(self, bucket: str, name: str, generation: str,
                     metadata: Mapping[str, str | None], *,
                     cache_control: str | None = None) -> None:
        _check_object(bucket, name)
        gen = _parse_generation(generation)
        _check_metadata(metadata)

        def merge() -> None:
            for attempt in range(1, _METADATA_ATTEMPTS + 1):
                blob = self._bucket(bucket).blob(name, generation=gen)
                blob.reload(timeout=self._timeout, retry=self._retry)
                # Merged here, not left to the server: a PATCH of `metadata` merges keys on
                # Cloud Storage but replaces the map on the emulator. A key given None is
                # sent as null, which removes it on Cloud Storage (the emulator keeps a
                # null, which reads as absent: stat() leaves it out).
                blob.metadata = {**(blob.metadata or {}), **metadata}
                if cache_control is not None:
                    blob.cache_control = cache_control
                try:
                    blob.patch(
                        if_generation_match=gen,
                        if_metageneration_match=blob.metageneration,
                        timeout=self._timeout, retry=self._retry,
                    )
                    return
                except api_exceptions.PreconditionFailed:
                    if attempt == _METADATA_ATTEMPTS:
                        raise
                    logger.info("metadata of gs://%s/%s changed meanwhile; merging again",
                                bucket, name)

        self._call("set_metadata", bucket, name, merge, gone=None)

    def stat(self, bucket: str, name: str) -> ObjectInfo | None:
        _check_object(bucket, name)

        def read() -> ObjectInfo | None:
            blob = self._bucket(bucket).get_blob(name, timeout=self._timeout,
                                                 retry=self._retry)
            if blob is None:
                return None
            return ObjectInfo(bucket=bucket, name=name, generation=str(blob.generation),
                              content_type=blob.content_type, size=int(blob.size or 0),
                              metadata={k: v for k, v in (blob.metadata or {}).items()
                                        if v is not None})

        return self._call("stat", bucket, name, read, gone=None)

    def move(self, bucket: str, name: str, generation: str, new_name: str, *,
             only_if_absent: bool = False) -> str | None:
        _check_object(bucket, name)
        gen = _parse_generation(generation)
        _check_object(bucket, new_name)
        if new_name == name:
            raise ValueError("new_name must differ from name")

        def copy() -> str:
            source_bucket = self._bucket(bucket)
            if only_if_absent and source_bucket.get_blob(
                    new_name, timeout=self._timeout, retry=self._retry) is not None:
                # Checked here too because the storage emulator ignores the precondition
                # below; Cloud Storage enforces it, which closes the race.
                raise TargetExists(f"gs://{bucket}/{new_name} already exists")
            # No request body: the copy keeps the source's content type and custom metadata.
            # Copying one fixed generation to one name gives the same result when repeated,
            # so retrying it (and a redelivered event doing it again) is safe.
            try:
                copied = source_bucket.copy_blob(
                    source_bucket.blob(name), source_bucket, new_name,
                    source_generation=gen, timeout=self._timeout, retry=self._retry,
                    if_generation_match=0 if only_if_absent else None,
                )
            except api_exceptions.PreconditionFailed as exc:
                raise TargetExists(f"gs://{bucket}/{new_name} already exists") from exc
            return str(copied.generation)

        copied = self._call("move", bucket, name, copy, gone=None)
        if copied is not None:
            self._delete_generation("move", bucket, name, gen)
        return copied

    def delete(self, bucket: str, name: str, generation: str) -> None:
        _check_object(bucket, name)
        self._delete_generation("delete", bucket, name, _parse_generation(generation))

    # -- helpers -----------------------------------------------------------------------------

    def _delete_generation(self, operation: str, bucket: str, name: str, gen: int) -> None:
        def delete() -> None:
            self._bucket(bucket).blob(name, generation=gen).delete(
                timeout=self._timeout, retry=self._retry,
            )

        self._call(operation, bucket, name, delete, gone=None)

    def _bucket(self, bucket: str) -> storage.Bucket:
        return self._get_client().bucket(bucket)

    def _get_client(self) -> storage.Client:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    try:
                        self._client = self._client_factory()
                    except auth_exceptions.GoogleAuthError as exc:
                        raise ObjectStoreError(
                            "connect",
                            f"Cloud Storage client could not be created: {type(exc).__name__}",
                            retryable=isinstance(exc, auth_exceptions.TransportError),
                        ) from exc
        return self._client

    def _call(self, operation: str, bucket: str, name: str, action: Callable[[], T],
              *, gone: T) -> T:
        """Run one storage action: NotFound -> `gone`, any other failure -> ObjectStoreError."""
        try:
            return action()
        except api_exceptions.NotFound:
            logger.info("%s: gs://%s/%s is gone; nothing to do", operation, bucket, name)
            return gone
        except (api_exceptions.GoogleAPIError, requests.exceptions.RequestException,
                auth_exceptions.GoogleAuthError) as exc:
            raise _store_error(operation, bucket, name, exc) from exc


def _store_error(operation: str, bucket: str, name: str, exc: BaseException) -> ObjectStoreError:
    code = getattr(exc, "code", None)
    status = f" (HTTP {int(code)})" if isinstance(code, int) else ""
    cause = getattr(exc, "cause", None)  # what a RetryError gave up on
    if isinstance(exc, api_exceptions.RetryError) and cause is not None:
        status = f" after {type(cause).__name__}"
    return ObjectStoreError(
        operation,
        f"Cloud Storage {operation} of gs://{bucket}/{name} failed: "
        f"{type(exc).__name__}{status}",
        retryable=isinstance(exc, _TRANSIENT) or code == 408,  # 408 has no class of its own
    )


def _check_object(bucket: str, name: str) -> None:
    if not isinstance(bucket, str) or not bucket:
        raise ValueError("bucket must be a non-empty string")
    if not isinstance(name, str) or not name:
        raise ValueError("object name must be a non-empty string")


def _parse_generation(generation: Any) -> int:
    """A generation as the API takes it; events carry it as a decimal string."""
    text = str(generation) if isinstance(generation, int | str) else ""
    if isinstance(generation, bool) or not _GENERATION.fullmatch(text):
        raise ValueError(f"generation must be a positive decimal integer, got {generation!r}")
    return int(text)


def _check_metadata(metadata: Mapping[str, str | None]) -> None:
    if not isinstance(metadata, Mapping):
        raise ValueError("metadata must be a mapping of str to str (None: remove)")
    for key, value in metadata.items():
        if not isinstance(key, str) or not key or not (value is None or isinstance(value, str)):
            raise ValueError("metadata must map non-empty str keys to str values (None: "
                             "remove)")
