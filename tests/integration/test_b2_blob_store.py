"""B2BlobStore against b2sdk's own RawSimulator (the same SDK code above the raw API) and,
for the HTTP layer, against real sockets on 127.0.0.1: a closed port and a tiny server
that answers every B2 call with a 503.

No test sleeps for real: the retry policy's sleep is replaced per api (nothing global).
"""

from __future__ import annotations

import hashlib
import http.server
import json
import socket
import threading
import time
import traceback
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, ClassVar

import pytest
from b2sdk.v2 import B2HttpApiConfig, Bucket, RawSimulator

from infra.b2_blob_store import B2BlobStore, B2RetryPolicy, bounded_b2_api
from infra.config import B2Settings, Secret
from qr.ports import BlobStoreError, StoredBlob
from tests.support.b2_simulator import BUCKET, DownSimulator, FlakySimulator, SeededSimulator

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4
KEY_ID = "004a1b2c3d4e5f60000000001"
APP_KEY = "K004SuperSecretApplicationKeyValue"

@dataclass
class B2:
    store: B2BlobStore
    bucket: Bucket
    sim: FlakySimulator
    sleeps: list[float]


@pytest.fixture
def b2() -> B2:
    sleeps: list[float] = []
    policy = B2RetryPolicy(max_attempts=3, timeout_s=5.0, sleep=sleeps.append)
    api = bounded_b2_api(policy, api_config=B2HttpApiConfig(_raw_api_class=FlakySimulator))
    sim = api.session.raw_api
    assert isinstance(sim, FlakySimulator)
    account_id, master_key = sim.create_account()
    api.authorize_account("production", account_id, master_key)
    bucket = api.create_bucket(BUCKET, "allPrivate")
    return B2(B2BlobStore(bucket, timeout_s=policy.timeout_s), bucket, sim, sleeps)


def all_versions(bucket: Bucket) -> list[tuple[str, str]]:
    return [(v.file_name, v.id_) for v, _ in bucket.ls(latest_only=False, recursive=True)]


def assert_no_secret(err: BaseException) -> None:
    text = "".join(traceback.format_exception(err))  # the message and every cause
    assert KEY_ID not in text
    assert APP_KEY not in text


def settings(**overrides: Any) -> B2Settings:
    values: dict[str, Any] = {"key_id": Secret(KEY_ID), "application_key": Secret(APP_KEY),
                              "bucket_name": BUCKET, "max_attempts": 3, "timeout_s": 2.0}
    values.update(overrides)
    return B2Settings(**values)


# -- the happy paths -------------------------------------------------------------------------

def test_put_then_get_round_trips_with_b2s_sha1(b2: B2) -> None:
    stored = b2.store.put("qr_codes/P-1.png", PNG, "image/png")

    assert stored == StoredBlob("qr_codes/P-1.png", hashlib.sha1(PNG).hexdigest(), len(PNG))
    assert b2.store.get("qr_codes/P-1.png") == PNG
    info = b2.bucket.get_file_info_by_name("qr_codes/P-1.png")
    assert info.content_type == "image/png"
    assert info.content_sha1 == stored.sha1


def test_bytes_over_the_part_size_still_report_their_sha1() -> None:
    """b2sdk's plain simulator has a 200-byte part size, so this PNG goes up in parts."""
    api = bounded_b2_api(B2RetryPolicy(), api_config=B2HttpApiConfig(_raw_api_class=RawSimulator))
    api.authorize_account("production", *api.session.raw_api.create_account())
    bucket = api.create_bucket(BUCKET, "allPrivate")
    store = B2BlobStore(bucket)

    stored = store.put("qr_codes/P-1.png", PNG, "image/png")

    assert stored.sha1 == hashlib.sha1(PNG).hexdigest()
    info = bucket.get_file_info_by_name("qr_codes/P-1.png")
    assert info.content_sha1 in (None, "none")  # B2 keeps no whole-file SHA-1 for parts
    assert info.file_info["large_file_sha1"] == stored.sha1
    assert store.get("qr_codes/P-1.png") == PNG


def test_get_of_a_missing_key_is_none(b2: B2) -> None:
    b2.store.put("qr_codes/P-1.png", PNG, "image/png")

    assert b2.store.get("qr_codes/P-2.png") is None
    assert b2.store.get("elsewhere/P-1.png") is None


def test_get_returns_the_newest_version(b2: B2) -> None:
    b2.store.put("qr_codes/P-1.png", b"first", "image/png")
    b2.store.put("qr_codes/P-1.png", b"second", "image/png")

    assert b2.store.get("qr_codes/P-1.png") == b"second"


def test_delete_prefix_removes_every_version_and_counts_keys(b2: B2) -> None:
    for n in range(3):
        b2.store.put("qr_codes/P-1.png", PNG + bytes([n]), "image/png")
    b2.store.put("qr_codes/P-2.png", PNG, "image/png")
    b2.store.put("qr_codes_old/P-1.png", PNG, "image/png")  # shares the text, not the folder
    b2.store.put("exports/labels.zip", b"zip", "application/zip")
    assert len(all_versions(b2.bucket)) == 6

    removed = b2.store.delete_prefix("qr_codes/")

    assert removed == 2  # keys, not the four versions
    assert sorted(name for name, _ in all_versions(b2.bucket)) == [
        "exports/labels.zip", "qr_codes_old/P-1.png"]
    assert b2.store.get("qr_codes/P-1.png") is None
    assert b2.store.delete_prefix("qr_codes/") == 0


def test_delete_prefix_is_a_plain_text_prefix(b2: B2) -> None:
    b2.store.put("qr_codes/AB-1.png", PNG, "image/png")
    b2.store.put("qr_codes/AB-2.png", PNG, "image/png")
    b2.store.put("qr_codes/AC-1.png", PNG, "image/png")
    b2.store.put("qr_codes/A[B]*?.png", PNG, "image/png")  # glob characters are literal

    assert b2.store.delete_prefix("qr_codes/AB") == 2
    assert b2.store.delete_prefix("qr_codes/A[B]*") == 1
    assert [name for name, _ in all_versions(b2.bucket)] == ["qr_codes/AC-1.png"]


def test_delete_prefix_refuses_an_empty_prefix(b2: B2) -> None:
    b2.store.put("qr_codes/P-1.png", PNG, "image/png")

    with pytest.raises(ValueError):
        b2.store.delete_prefix("")
    assert len(all_versions(b2.bucket)) == 1


def test_iter_keys_lists_newest_versions_under_the_prefix(b2: B2) -> None:
    b2.store.put("qr_codes/B-1.png", PNG, "image/png")
    b2.store.put("qr_codes/A-1.png", PNG, "image/png")
    b2.store.put("qr_codes/A-1.png", PNG, "image/png")
    b2.store.put("other/A-1.png", PNG, "image/png")
    b2.bucket.hide_file("qr_codes/B-1.png")

    assert list(b2.store.iter_keys("qr_codes/")) == ["qr_codes/A-1.png"]
    assert list(b2.store.iter_keys("qr_codes/A")) == ["qr_codes/A-1.png"]
    assert list(b2.store.iter_keys("")) == ["other/A-1.png", "qr_codes/A-1.png"]
    assert list(b2.store.iter_keys("nothing/")) == []


def test_connect_signs_in_and_opens_the_bucket() -> None:
    store = B2BlobStore.connect(
        settings(key_id=Secret("account-0"), application_key=Secret("masterKey-0")),
        api_config=B2HttpApiConfig(_raw_api_class=SeededSimulator))

    stored = store.put("qr_codes/P-1.png", PNG, "image/png")

    assert stored.sha1 == hashlib.sha1(PNG).hexdigest()
    assert store.get("qr_codes/P-1.png") == PNG


def test_connect_with_a_wrong_key_raises_without_the_key() -> None:
    with pytest.raises(BlobStoreError) as caught:
        B2BlobStore.connect(settings(key_id=Secret("account-0")),  # APP_KEY is wrong
                            api_config=B2HttpApiConfig(_raw_api_class=SeededSimulator))
    assert_no_secret(caught.value)


def test_connect_to_a_missing_bucket_raises() -> None:
    with pytest.raises(BlobStoreError, match="bucket does not exist"):
        B2BlobStore.connect(
            settings(key_id=Secret("account-0"), application_key=Secret("masterKey-0"),
                     bucket_name="no-such-bucket"),
            api_config=B2HttpApiConfig(_raw_api_class=SeededSimulator))


def test_unusable_key_is_a_value_error(b2: B2) -> None:
    with pytest.raises(ValueError):
        b2.store.put("qr_codes//P-1.png", PNG, "image/png")


# -- a B2 that answers 503 for a while -------------------------------------------------------

def test_put_rides_out_a_short_503_spell(b2: B2) -> None:
    b2.sim.busy_uploads = 2  # fewer than the 3 attempts

    stored = b2.store.put("qr_codes/P-1.png", PNG, "image/png")

    assert b2.sim.upload_calls == 3
    assert stored.sha1 == hashlib.sha1(PNG).hexdigest()
    assert b2.store.get("qr_codes/P-1.png") == PNG
    assert len(all_versions(b2.bucket)) == 1  # failed tries left nothing behind


def test_put_gives_up_quickly_on_a_long_503_spell_then_succeeds(b2: B2) -> None:
    b2.sim.busy_uploads = 10  # b2sdk alone would try 5 times

    started = time.monotonic()
    with pytest.raises(BlobStoreError) as caught:
        b2.store.put("qr_codes/P-1.png", PNG, "image/png")
    elapsed = time.monotonic() - started

    assert elapsed < 1.0
    assert b2.sim.upload_calls == 3  # max_attempts, not b2sdk's 5
    assert "3 attempts" in str(caught.value) and "ServiceError" in str(caught.value)
    assert isinstance(caught.value, BlobStoreError)
    assert all_versions(b2.bucket) == []

    b2.sim.busy_uploads = 0  # B2 recovers; the retry of the same bytes goes through
    stored = b2.store.put("qr_codes/P-1.png", PNG, "image/png")
    assert stored.sha1 == hashlib.sha1(PNG).hexdigest()
    assert b2.store.get("qr_codes/P-1.png") == PNG


def test_a_hung_upload_is_cut_off_at_the_time_budget(b2: B2) -> None:
    store = B2BlobStore(b2.bucket, timeout_s=0.3)
    b2.sim.hang = threading.Event()
    try:
        started = time.monotonic()
        with pytest.raises(BlobStoreError, match=r"did not finish within 0\.3 s"):
            store.put("qr_codes/P-1.png", PNG, "image/png")
        assert time.monotonic() - started < 1.0
    finally:
        b2.sim.hang.set()  # let the abandoned upload thread finish


# -- a B2 that is down -------------------------------------------------------------------------

def test_every_operation_fails_cleanly_when_the_simulated_network_is_down(b2: B2) -> None:
    b2.store.put("qr_codes/P-1.png", PNG, "image/png")
    b2.sim.down = True

    started = time.monotonic()
    failures = []
    for operation in (lambda: b2.store.put("qr_codes/P-2.png", PNG, "image/png"),
                      lambda: b2.store.get("qr_codes/P-1.png"),
                      lambda: b2.store.delete_prefix("qr_codes/"),
                      lambda: list(b2.store.iter_keys("qr_codes/"))):
        with pytest.raises(BlobStoreError) as caught:
            operation()
        failures.append(str(caught.value))
    assert time.monotonic() - started < 2.0
    assert all("B2ConnectionError" in message for message in failures), failures

    b2.sim.down = False  # nothing was lost meanwhile
    assert b2.store.get("qr_codes/P-1.png") == PNG


def test_connect_fails_cleanly_when_the_simulated_network_is_down() -> None:
    with pytest.raises(BlobStoreError, match="B2ConnectionError") as caught:
        B2BlobStore.connect(settings(), api_config=B2HttpApiConfig(_raw_api_class=DownSimulator))
    assert_no_secret(caught.value)


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_connect_to_a_closed_port_fails_within_bounds_over_real_http() -> None:
    sleeps: list[float] = []
    started = time.monotonic()
    with pytest.raises(BlobStoreError, match="B2ConnectionError") as caught:
        B2BlobStore.connect(settings(), realm=f"http://127.0.0.1:{closed_port()}",
                            sleep=sleeps.append)
    assert time.monotonic() - started < 2.0
    assert sleeps == [0.5, 1.0]  # 3 tries, two short back-offs (b2sdk: 5 tries, 1 s, 1.5 s..)
    assert_no_secret(caught.value)


def test_an_authorized_store_whose_b2_went_away_fails_within_bounds() -> None:
    """Signed in earlier (auth data as b2_authorize_account returns it), then every B2 host
    stops answering: the real HTTP layer meets a closed port."""
    sleeps: list[float] = []
    policy = B2RetryPolicy(max_attempts=3, timeout_s=2.0, sleep=sleeps.append)
    api = bounded_b2_api(policy)
    dead = f"http://127.0.0.1:{closed_port()}"
    api.account_info.set_auth_data(
        account_id="acc", auth_token="4_token_value", api_url=dead, download_url=dead,
        recommended_part_size=100_000_000, absolute_minimum_part_size=5_000_000,
        application_key=APP_KEY, realm=dead, s3_api_url=dead,
        allowed={"bucketId": None, "bucketName": None, "capabilities": ["writeFiles"],
                 "namePrefix": None},
        application_key_id=KEY_ID)
    store = B2BlobStore(Bucket(api, "bucket-id", name=BUCKET), timeout_s=policy.timeout_s)

    started = time.monotonic()
    for operation in (lambda: store.put("qr_codes/P-1.png", PNG, "image/png"),
                      lambda: store.get("qr_codes/P-1.png"),
                      lambda: store.delete_prefix("qr_codes/"),
                      lambda: list(store.iter_keys("qr_codes/"))):
        with pytest.raises(BlobStoreError) as caught:
            operation()
        assert_no_secret(caught.value)
    assert time.monotonic() - started < 3.0
    assert sleeps and max(sleeps) <= policy.max_backoff_s
    # put: 3 upload tries x (3 tries for an upload URL, 2 pauses); the others 2 pauses each.
    assert len(sleeps) == 3 * 2 + 3 * 2


class _Always503(http.server.BaseHTTPRequestHandler):
    requests_seen: ClassVar[list[str]] = []
    retry_after: ClassVar[str | None] = None

    def _busy(self) -> None:
        type(self).requests_seen.append(self.path)
        body = json.dumps({"status": 503, "code": "service_unavailable",
                           "message": "too busy"}).encode()
        self.send_response(503)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if self.retry_after is not None:
            self.send_header("Retry-After", self.retry_after)
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _busy

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass


@pytest.fixture
def busy_b2() -> Iterator[type[_Always503]]:
    handler = type("Busy", (_Always503,), {"requests_seen": [], "retry_after": None})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    handler.url = f"http://127.0.0.1:{server.server_address[1]}"  # type: ignore[attr-defined]
    yield handler
    server.shutdown()
    server.server_close()


def test_http_503_is_retried_max_attempts_times_with_short_pauses(busy_b2: Any) -> None:
    sleeps: list[float] = []
    with pytest.raises(BlobStoreError, match="ServiceError"):
        B2BlobStore.connect(settings(), realm=busy_b2.url, sleep=sleeps.append)

    assert len(busy_b2.requests_seen) == 3
    assert all(path.endswith("/b2_authorize_account") for path in busy_b2.requests_seen)
    assert sleeps == [0.5, 1.0]


def test_http_503_asking_for_a_long_pause_gives_up_at_once(busy_b2: Any) -> None:
    busy_b2.retry_after = "30"
    sleeps: list[float] = []
    started = time.monotonic()
    with pytest.raises(BlobStoreError, match="ServiceError"):
        B2BlobStore.connect(settings(), realm=busy_b2.url, sleep=sleeps.append)

    assert time.monotonic() - started < 2.0
    assert len(busy_b2.requests_seen) == 1
    assert sleeps == []


def test_http_503_asking_for_a_short_pause_is_honoured(busy_b2: Any) -> None:
    busy_b2.retry_after = "1"
    sleeps: list[float] = []
    with pytest.raises(BlobStoreError):
        B2BlobStore.connect(settings(), realm=busy_b2.url, sleep=sleeps.append)

    assert sleeps == [1, 1]
    assert len(busy_b2.requests_seen) == 3
