"""Blob store on Backblaze B2 through b2sdk, with retries bounded to fit a Cloud Function.

Why the bounds: b2sdk's defaults are made for long-running tools. Its HTTP layer
(`B2Http`) retries a call up to 20 times (5 for JSON API calls) with exponential back-off
sleeps up to 64 s, each request may wait 128 s for a reply (1200 s for JSON API calls),
and its upload manager tries a small upload 5 times, each time fetching a fresh upload
URL through that same HTTP layer. One stuck put could outlast the function and the task
that called it. Here, for the api this module builds and nothing else (no class or module
attribute of b2sdk is changed):

* the upload manager tries an upload `max_attempts` times (B2's protocol: on a 503 or a
  broken connection, get a new upload URL and try again; b2sdk does not sleep there);
* the HTTP layer tries a call at most `max_attempts` times, sleeps between tries at most
  `max_backoff_s` (and gives up at once if the server asks for a longer pause or the
  call's time budget would run out), through a sleep function the caller may replace;
* each HTTP request waits at most `timeout_s / max_attempts` for a reply, so the tries of
  one call fit in `timeout_s`;
* and, because the two retry layers nest (upload tries x HTTP tries for the upload URL),
  `put` and `get` also wait at most `timeout_s` of wall-clock time for the whole
  operation and then raise `BlobStoreError`. Work still running in the background stops
  within the bounds above; an upload that lands late only adds a file version, which is
  harmless: the record stays `stored = False` and the next put stores it again.

Every b2sdk or `requests` error is turned into `qr.ports.BlobStoreError` whose message
names the operation, the key and the error class, never a URL, token or key.
"""

from __future__ import annotations

import concurrent.futures
import functools
import glob
import hashlib
import io
import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import requests
from b2sdk.v2 import (
    DEFAULT_HTTP_API_CONFIG,
    B2Api,
    B2Http,
    B2HttpApiConfig,
    B2Session,
    Bucket,
    FileVersion,
    InMemoryAccountInfo,
)
from b2sdk.v2.exception import (
    B2Error,
    FileNotPresent,
    MaxRetriesExceeded,
    NonExistentBucket,
    UnusableFileName,
)

from infra.config import B2Settings
from qr.ports import BlobStoreError, StoredBlob

log = logging.getLogger(__name__)

T = TypeVar("T")

# Small uploads (QR PNGs are a few KB) need few threads; b2sdk's v2 default is 10.
_MAX_WORKERS = 4
# A TCP connect that takes longer than this is not coming.
_MAX_CONNECT_TIMEOUT_S = 5.0
_FIRST_BACKOFF_S = 0.5


@dataclass(frozen=True)
class B2RetryPolicy:
    """How hard one B2 operation tries before giving up (see the module docstring)."""

    max_attempts: int = 3
    timeout_s: float = 20.0
    max_backoff_s: float = 2.0
    # Replaceable so tests (and callers with their own clock) never wait for real.
    sleep: Callable[[float], None] = time.sleep

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        if self.timeout_s <= 0 or self.max_backoff_s < 0:
            raise ValueError("timeout_s must be > 0 and max_backoff_s >= 0")

    @property
    def request_timeout_s(self) -> float:
        return self.timeout_s / self.max_attempts

    @classmethod
    def from_settings(cls, settings: B2Settings, *,
                      sleep: Callable[[float], None] = time.sleep) -> B2RetryPolicy:
        return cls(max_attempts=settings.max_attempts, timeout_s=settings.timeout_s,
                   sleep=sleep)


class _BoundedB2Http(B2Http):
    """b2sdk's HTTP layer with this policy's tries, sleeps and timeouts."""

    def __init__(self, api_config: B2HttpApiConfig, *, policy: B2RetryPolicy) -> None:
        super().__init__(api_config)
        self._policy = policy
        # B2Http reads these through `self` when it sends a request; instance attributes
        # shadow the class defaults for this object only. (The TRY_COUNT_* constants are
        # baked into default arguments, hence the cap in _translate_and_retry instead.)
        read_timeout = policy.request_timeout_s
        self.CONNECTION_TIMEOUT = min(read_timeout, _MAX_CONNECT_TIMEOUT_S)
        self.TIMEOUT = read_timeout
        self.TIMEOUT_FOR_UPLOAD = read_timeout
        self.TIMEOUT_FOR_COPY = read_timeout

    def _translate_and_retry(self, fcn: Callable[[], Any], try_count: int,
                             post_params: dict[str, Any] | None = None) -> Any:
        # Replaces b2sdk's classmethod of the same name, which B2Http.request() calls
        # through `self` (b2sdk 2.13.1; B2Http calls this part internal, so the tests pin
        # the observable behaviour: number of tries and pauses).
        policy = self._policy
        tries = max(1, min(try_count, policy.max_attempts))
        deadline = time.monotonic() + policy.timeout_s
        backoff = _FIRST_BACKOFF_S
        for attempt in range(1, tries + 1):
            try:
                return self._translate_errors(fcn, post_params)
            except B2Error as err:
                if attempt == tries or not err.should_retry_http():
                    raise
                asked = err.retry_after_seconds
                if asked is not None and asked > policy.max_backoff_s:
                    raise  # the server wants a longer pause than we can afford
                pause = min(asked if asked is not None else backoff, policy.max_backoff_s)
                if time.monotonic() + pause >= deadline:
                    raise
                log.info("B2 call failed (%s); retrying in %.1f s", type(err).__name__, pause)
                policy.sleep(pause)
                backoff *= 2
        raise AssertionError("unreachable")  # the loop returns or raises


class _BoundedB2Session(B2Session):
    def __init__(self, account_info: Any = None, cache: Any = None,
                 api_config: B2HttpApiConfig = DEFAULT_HTTP_API_CONFIG, *,
                 policy: B2RetryPolicy) -> None:
        # B2Session builds its HTTP layer from this hook; set it for this session only.
        self.B2HTTP_CLASS = functools.partial(_BoundedB2Http, policy=policy)
        super().__init__(account_info, cache, api_config)


class _BoundedB2Api(B2Api):
    def __init__(self, policy: B2RetryPolicy, **kwargs: Any) -> None:
        # B2Api builds its session from this hook; set it for this api only.
        self.SESSION_CLASS = functools.partial(_BoundedB2Session, policy=policy)
        super().__init__(**kwargs)
        self.services.upload_manager.MAX_UPLOAD_ATTEMPTS = policy.max_attempts


def bounded_b2_api(policy: B2RetryPolicy, *,
                   api_config: B2HttpApiConfig | None = None) -> B2Api:
    """A b2sdk `B2Api` with in-memory account info (never the SQLite file in the home
    folder) and retries bounded by `policy`. Pass
    `B2HttpApiConfig(_raw_api_class=RawSimulator)` to run against b2sdk's simulator."""
    return _BoundedB2Api(
        policy,
        account_info=InMemoryAccountInfo(),
        api_config=api_config or DEFAULT_HTTP_API_CONFIG,
        max_upload_workers=_MAX_WORKERS,
        max_copy_workers=1,
        max_download_workers=_MAX_WORKERS,
    )


def _describe(err: BaseException) -> str:
    """A short, safe reason: error class names only (b2sdk messages carry URLs)."""
    if isinstance(err, MaxRetriesExceeded):
        causes = sorted({type(e).__name__ for e in err.exception_info_list})
        return f"gave up after {err.limit} attempts ({', '.join(causes) or 'no detail'})"
    return type(err).__name__


@contextmanager
def _as_blob_store_error(action: str, name: str) -> Iterator[None]:
    try:
        yield
    except UnusableFileName as err:
        raise ValueError(f"{name!r} is not a usable B2 file name") from err
    except NonExistentBucket as err:
        raise BlobStoreError(f"B2 {action} failed: the bucket does not exist") from err
    except (B2Error, requests.RequestException, OSError) as err:
        raise BlobStoreError(f"B2 {action} of {name!r} failed: {_describe(err)}") from err


def _glob_for_prefix(prefix: str) -> str:
    """b2sdk's `ls` treats a path without a trailing '/' as a folder name; a wildcard
    pattern gives plain string-prefix semantics ('*' matches '/' too in fnmatch)."""
    return glob.escape(prefix) + "*"


class B2BlobStore:
    """`qr.ports.BlobStore` on one B2 bucket. Thread-safe (b2sdk's api and bucket are)."""

    def __init__(self, bucket: Bucket, *, timeout_s: float = 20.0,
                 executor: concurrent.futures.ThreadPoolExecutor | None = None) -> None:
        self._bucket = bucket
        self._timeout_s = timeout_s
        self._executor = executor or concurrent.futures.ThreadPoolExecutor(
            max_workers=_MAX_WORKERS, thread_name_prefix="b2-blob-store")

    @classmethod
    def connect(cls, settings: B2Settings, *, api_config: B2HttpApiConfig | None = None,
                realm: str = "production",
                sleep: Callable[[float], None] = time.sleep) -> B2BlobStore:
        """Sign in with the application key and open the bucket. Raises BlobStoreError.

        `api_config` / `realm` / `sleep` exist for tests: b2sdk's RawSimulator, a local
        realm URL, a sleep that does not wait."""
        policy = B2RetryPolicy.from_settings(settings, sleep=sleep)
        api = bounded_b2_api(policy, api_config=api_config)
        executor = concurrent.futures.ThreadPoolExecutor(
            max_workers=_MAX_WORKERS, thread_name_prefix="b2-blob-store")
        store_timeout = settings.timeout_s

        def sign_in() -> Bucket:
            api.authorize_account(realm, settings.key_id.value, settings.application_key.value)
            return api.get_bucket_by_name(settings.bucket_name)

        with _as_blob_store_error("sign-in", settings.bucket_name):
            bucket = _within(executor, store_timeout, sign_in, "sign-in")
        return cls(bucket, timeout_s=store_timeout, executor=executor)

    def put(self, key: str, data: bytes, content_type: str) -> StoredBlob:
        def upload() -> FileVersion:
            # b2sdk sends the SHA-1 with the bytes and B2 refuses a mismatch. Should the
            # bytes ever be over the account's part size, b2sdk uploads them in parts and B2
            # keeps no whole-file SHA-1: large_file_sha1 records ours for that case.
            return self._bucket.upload_bytes(data, key, content_type=content_type,
                                             large_file_sha1=hashlib.sha1(data).hexdigest())

        with _as_blob_store_error("upload", key):
            version = _within(self._executor, self._timeout_s, upload, f"upload of {key!r}")
        return StoredBlob(key=key, sha1=_sha1_of(version, data), size=version.size)

    def get(self, key: str) -> bytes | None:
        def download() -> bytes:
            buffer = io.BytesIO()
            self._bucket.download_file_by_name(key).save(buffer)
            return buffer.getvalue()

        with _as_blob_store_error("download", key):
            try:
                return _within(self._executor, self._timeout_s, download,
                               f"download of {key!r}")
            except FileNotPresent:
                return None

    def delete_prefix(self, prefix: str) -> int:
        if prefix == "":
            raise ValueError("refusing to delete every file: give a non-empty prefix")
        with _as_blob_store_error("delete", prefix):
            # List first, then delete: deleting while paging could shift the pages.
            versions = [version for version, _ in self._bucket.ls(
                _glob_for_prefix(prefix), latest_only=False, recursive=True,
                with_wildcard=True)]
            for version in versions:
                self._bucket.delete_file_version(version.id_, version.file_name)
        return len({version.file_name for version in versions})

    def iter_keys(self, prefix: str) -> Iterator[str]:
        with _as_blob_store_error("listing", prefix):
            # latest_only lists file names (B2 name order), which leaves out hidden files.
            for version, _ in self._bucket.ls(_glob_for_prefix(prefix), latest_only=True,
                                              recursive=True, with_wildcard=True):
                yield version.file_name


def _within(executor: concurrent.futures.ThreadPoolExecutor, timeout_s: float,
            work: Callable[[], T], what: str) -> T:
    """Run `work`, waiting at most `timeout_s`; its errors are re-raised here."""
    future = executor.submit(work)
    # wait() rather than result(timeout=): a socket TimeoutError raised by the work itself
    # must not read as "our deadline passed".
    done, _ = concurrent.futures.wait([future], timeout=timeout_s)
    if not done:
        future.cancel()  # only helps if it has not started yet
        raise BlobStoreError(f"B2 {what} did not finish within {timeout_s:g} s")
    return future.result()


def _sha1_of(version: FileVersion, data: bytes) -> str:
    sha1 = version.content_sha1
    if not sha1 or sha1 == "none":
        # A large-file upload has no whole-file SHA-1 from B2, only the one we sent along.
        sha1 = (version.file_info or {}).get("large_file_sha1")
    if not sha1:
        return hashlib.sha1(data).hexdigest()
    # FileVersion already splits off this marker; kept in case a raw value gets here.
    return sha1.removeprefix("unverified:")
