"""GcsObjectStore against gcp-storage-emulator, and against a tiny server that answers
with Cloud Storage errors (the emulator never fails and ignores generations); plus the
storage CloudEvent helpers driven through functions-framework and firebase_functions."""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from devtools.storage_emulator import StorageEmulator, running_storage_emulator
from devtools.storage_events import (
    FINALIZED_TYPE,
    event_time,
    storage_finalized_event,
    to_binary_http,
    to_structured_http,
)
from infra.gcs_objects import GcsObjectStore, ObjectStoreError
from moderation.ports import TargetExists

BUCKET = "uploads-test"
PNG_HEAD = b"\x89PNG\r\n\x1a\n"
IMAGE = PNG_HEAD + bytes(range(256)) * 4


@pytest.fixture(scope="module")
def _emulator() -> Iterator[StorageEmulator]:
    # One emulator for the module: stopping one takes 0.5 s (its server's poll interval).
    with running_storage_emulator(BUCKET) as emulator:
        yield emulator


@pytest.fixture
def gcs(_emulator: StorageEmulator, monkeypatch: pytest.MonkeyPatch) -> StorageEmulator:
    _emulator.server.wipe(keep_buckets=True)  # type: ignore[attr-defined]
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", _emulator.host)
    return _emulator


@pytest.fixture
def store(gcs: StorageEmulator) -> GcsObjectStore:
    return GcsObjectStore.create("demo-test", retry_deadline_s=2.0, timeout_s=5.0)


def upload(gcs: StorageEmulator, name: str, data: bytes = IMAGE, *,
           content_type: str = "image/png", metadata: dict[str, str] | None = None) -> str:
    blob = gcs.bucket().blob(name)
    blob.metadata = metadata
    blob.upload_from_string(data, content_type=content_type)
    return str(blob.generation)


# -- the emulator helper ---------------------------------------------------------------------

def test_emulator_sets_and_restores_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", "http://previous:1")
    with running_storage_emulator("b-one") as first:
        assert os.environ["STORAGE_EMULATOR_HOST"] == first.host
        assert first.host.startswith("http://127.0.0.1:")
        assert first.client.bucket("b-one").exists()
        assert not first.client.bucket("other").exists()
    assert os.environ["STORAGE_EMULATOR_HOST"] == "http://previous:1"


def test_emulator_rejects_empty_bucket() -> None:
    with pytest.raises(ValueError), running_storage_emulator(""):
        pass


# -- head -----------------------------------------------------------------------------------

def test_head_returns_first_bytes(gcs: StorageEmulator, store: GcsObjectStore) -> None:
    upload(gcs, "in/photo.png")
    assert store.head(BUCKET, "in/photo.png", 8) == PNG_HEAD
    assert store.head(BUCKET, "in/photo.png", 1) == PNG_HEAD[:1]


def test_head_longer_than_object_returns_whole_object(gcs: StorageEmulator,
                                                      store: GcsObjectStore) -> None:
    upload(gcs, "small.png", b"abc")
    assert store.head(BUCKET, "small.png", 4096) == b"abc"


def test_head_of_empty_object_is_empty(gcs: StorageEmulator, store: GcsObjectStore) -> None:
    upload(gcs, "empty.png", b"")
    assert store.head(BUCKET, "empty.png", 16) == b""


def test_head_of_missing_object_or_bucket_is_empty(store: GcsObjectStore) -> None:
    assert store.head(BUCKET, "never/uploaded.png", 16) == b""
    assert store.head("no-such-bucket", "x.png", 16) == b""


@pytest.mark.parametrize("length", [0, -1, True, "8", 2.5])
def test_head_rejects_bad_length(store: GcsObjectStore, length: Any) -> None:
    with pytest.raises(ValueError, match="length"):
        store.head(BUCKET, "x.png", length)


@pytest.mark.parametrize(("bucket", "name"), [("", "x.png"), (BUCKET, ""), (None, "x")])
def test_rejects_empty_bucket_or_name(store: GcsObjectStore, bucket: Any, name: Any) -> None:
    with pytest.raises(ValueError):
        store.head(bucket, name, 8)
    with pytest.raises(ValueError):
        store.delete(bucket, name, "1")


# -- set_metadata ---------------------------------------------------------------------------

def test_set_metadata_merges_keeping_existing_keys(gcs: StorageEmulator,
                                                   store: GcsObjectStore) -> None:
    generation = upload(gcs, "m.png", metadata={"owner": "u1", "verdict": "pending"})
    store.set_metadata(BUCKET, "m.png", generation, {"verdict": "ok", "checked": "yes"})

    blob = gcs.bucket().get_blob("m.png")
    assert blob.metadata == {"owner": "u1", "verdict": "ok", "checked": "yes"}
    assert blob.content_type == "image/png"
    assert blob.download_as_bytes() == IMAGE


def test_set_metadata_on_object_without_metadata(gcs: StorageEmulator,
                                                 store: GcsObjectStore) -> None:
    generation = upload(gcs, "bare.png")
    store.set_metadata(BUCKET, "bare.png", generation, {"verdict": "ok"})
    assert gcs.bucket().get_blob("bare.png").metadata == {"verdict": "ok"}


def test_set_metadata_of_gone_object_is_a_noop(gcs: StorageEmulator,
                                               store: GcsObjectStore) -> None:
    store.set_metadata(BUCKET, "gone.png", "1700000000000001", {"verdict": "ok"})
    assert gcs.bucket().get_blob("gone.png") is None


@pytest.mark.parametrize("metadata", [{"k": 1}, {"": "v"}, {1: "v"}, ["k", "v"], None])
def test_set_metadata_rejects_bad_metadata(store: GcsObjectStore, metadata: Any) -> None:
    with pytest.raises(ValueError, match="metadata"):
        store.set_metadata(BUCKET, "x.png", "1", metadata)


@pytest.mark.parametrize("generation", ["abc", "0", "", "-1", "1.5", " 12", None, True, 0])
def test_rejects_bad_generation(store: GcsObjectStore, generation: Any) -> None:
    with pytest.raises(ValueError, match="generation"):
        store.set_metadata(BUCKET, "x.png", generation, {"a": "b"})
    with pytest.raises(ValueError, match="generation"):
        store.delete(BUCKET, "x.png", generation)
    with pytest.raises(ValueError, match="generation"):
        store.move(BUCKET, "x.png", generation, "y.png")


# -- move -----------------------------------------------------------------------------------

def test_move_copies_bytes_type_and_metadata_then_removes_original(
        gcs: StorageEmulator, store: GcsObjectStore) -> None:
    generation = upload(gcs, "in/bad.jpg", content_type="image/jpeg",
                        metadata={"owner": "u1", "verdict": "rejected"})
    store.move(BUCKET, "in/bad.jpg", generation, "quarantine/in/bad.jpg")

    moved = gcs.bucket().get_blob("quarantine/in/bad.jpg")
    assert moved is not None
    assert moved.content_type == "image/jpeg"
    assert moved.metadata == {"owner": "u1", "verdict": "rejected"}
    assert moved.download_as_bytes() == IMAGE
    assert gcs.bucket().get_blob("in/bad.jpg") is None
    assert [b.name for b in gcs.client.list_blobs(BUCKET)] == ["quarantine/in/bad.jpg"]


def test_move_of_gone_object_is_a_noop_and_repeatable(gcs: StorageEmulator,
                                                      store: GcsObjectStore) -> None:
    generation = upload(gcs, "twice.png")
    store.move(BUCKET, "twice.png", generation, "q/twice.png")
    store.move(BUCKET, "twice.png", generation, "q/twice.png")  # a redelivered event
    assert [b.name for b in gcs.client.list_blobs(BUCKET)] == ["q/twice.png"]
    assert gcs.bucket().get_blob("q/twice.png").download_as_bytes() == IMAGE


def test_move_returns_the_copy_s_generation_and_none_when_the_source_is_gone(
        gcs: StorageEmulator, store: GcsObjectStore) -> None:
    generation = upload(gcs, "gen.png")
    copied = store.move(BUCKET, "gen.png", generation, "q/gen.png")
    assert copied == str(gcs.bucket().get_blob("q/gen.png").generation)
    assert store.move(BUCKET, "gen.png", generation, "q/gen.png") is None


def test_move_only_if_absent_never_replaces_a_newer_upload(
        gcs: StorageEmulator, store: GcsObjectStore) -> None:
    held = upload(gcs, "q/cat.png", b"\x89PNG quarantined copy")
    upload(gcs, "cat.png", b"\x89PNG the user's new upload")
    with pytest.raises(TargetExists):
        store.move(BUCKET, "q/cat.png", held, "cat.png", only_if_absent=True)
    assert gcs.bucket().get_blob("cat.png").download_as_bytes() == b"\x89PNG the user's new upload"
    assert gcs.bucket().get_blob("q/cat.png") is not None  # the source stays where it was
    gcs.bucket().blob("cat.png").delete()
    restored = store.move(BUCKET, "q/cat.png", held, "cat.png", only_if_absent=True)
    assert restored == str(gcs.bucket().get_blob("cat.png").generation)
    assert gcs.bucket().get_blob("q/cat.png") is None


def test_stat_gives_the_live_generation_and_metadata(gcs: StorageEmulator,
                                                     store: GcsObjectStore) -> None:
    generation = upload(gcs, "s/a.png", metadata={"k": "v"})
    info = store.stat(BUCKET, "s/a.png")
    assert info is not None
    assert (info.generation, info.metadata, info.size, info.content_type) == (
        generation, {"k": "v"}, len(IMAGE), "image/png")
    assert store.stat(BUCKET, "s/none.png") is None


def test_move_to_same_name_is_refused(gcs: StorageEmulator, store: GcsObjectStore) -> None:
    generation = upload(gcs, "same.png")
    with pytest.raises(ValueError):
        store.move(BUCKET, "same.png", generation, "same.png")
    with pytest.raises(ValueError):
        store.move(BUCKET, "same.png", generation, "")
    assert gcs.bucket().get_blob("same.png") is not None


# -- delete ---------------------------------------------------------------------------------

def test_delete_removes_only_that_object(gcs: StorageEmulator, store: GcsObjectStore) -> None:
    generation = upload(gcs, "del.png")
    upload(gcs, "keep.png")
    store.delete(BUCKET, "del.png", generation)
    assert [b.name for b in gcs.client.list_blobs(BUCKET)] == ["keep.png"]


def test_delete_of_gone_object_is_a_noop(gcs: StorageEmulator, store: GcsObjectStore) -> None:
    generation = upload(gcs, "once.png")
    store.delete(BUCKET, "once.png", generation)
    store.delete(BUCKET, "once.png", generation)
    store.delete("no-such-bucket", "x.png", "5")
    assert list(gcs.client.list_blobs(BUCKET)) == []


# -- client creation ------------------------------------------------------------------------

def test_client_is_created_once_and_lazily(gcs: StorageEmulator) -> None:
    from google.cloud import storage

    made: list[storage.Client] = []

    def factory() -> storage.Client:
        made.append(storage.Client(project="demo-test"))
        return made[-1]

    lazy = GcsObjectStore(factory, retry_deadline_s=2.0)
    assert made == []
    generation = upload(gcs, "lazy.png")
    assert lazy.head(BUCKET, "lazy.png", 8) == PNG_HEAD
    lazy.set_metadata(BUCKET, "lazy.png", generation, {"a": "b"})
    lazy.delete(BUCKET, "lazy.png", generation)
    assert len(made) == 1


def test_explicit_emulator_host_needs_no_env(gcs: StorageEmulator,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    upload(gcs, "explicit.png")
    monkeypatch.delenv("STORAGE_EMULATOR_HOST")
    explicit = GcsObjectStore.create("demo-test", emulator_host=gcs.host)
    assert explicit.head(BUCKET, "explicit.png", 8) == PNG_HEAD


def test_missing_credentials_become_object_store_error(monkeypatch: pytest.MonkeyPatch,
                                                       tmp_path: Path) -> None:
    monkeypatch.delenv("STORAGE_EMULATOR_HOST", raising=False)
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "absent.json"))
    production = GcsObjectStore.create("demo-test")
    with pytest.raises(ObjectStoreError) as caught:
        production.head(BUCKET, "x.png", 8)
    assert caught.value.operation == "connect"
    assert caught.value.retryable is False
    assert "absent.json" not in str(caught.value)


@pytest.mark.parametrize(("kwargs", "project"), [({"timeout_s": 0}, "p"),
                                                 ({"retry_deadline_s": -1}, "p"), ({}, "")])
def test_create_rejects_bad_settings(kwargs: dict[str, float], project: str) -> None:
    with pytest.raises(ValueError):
        GcsObjectStore.create(project, **kwargs)


# -- failures, from a server that answers like Cloud Storage does when it refuses -------------

class StorageErrorServer:
    """Answers Cloud Storage JSON API requests from `respond(method, path, query)`
    and records each request (method, decoded path, query)."""

    def __init__(self, respond: Callable[[str, str, dict[str, list[str]]], tuple[int, Any]]):
        self.requests: list[tuple[str, str, dict[str, list[str]]]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                parts = urlsplit(self.path)
                path, query = unquote(parts.path), parse_qs(parts.query)
                outer.requests.append((self.command, path, query))
                status, body = respond(self.command, path, query)
                payload = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = do_PATCH = do_DELETE = do_PUT = _answer

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> StorageErrorServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def methods(self) -> list[str]:
        return [method for method, _, _ in self.requests]


def _error(code: int, message: str) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "errors": [{"message": message}]}}


def _object(name: str, generation: str = "7", metageneration: str = "3") -> dict[str, Any]:
    return {"kind": "storage#object", "bucket": BUCKET, "name": name,
            "generation": generation, "metageneration": metageneration,
            "contentType": "image/png", "size": "3", "metadata": {"owner": "u1"}}


def _store_for(server: StorageErrorServer) -> GcsObjectStore:
    return GcsObjectStore.create("demo-test", emulator_host=server.url,
                                 retry_deadline_s=1.5, timeout_s=5.0)


def test_forbidden_is_not_retried_and_its_body_is_not_in_the_message() -> None:
    def respond(*_: object) -> tuple[int, Any]:
        return 403, _error(403, "caller sa@secret-project lacks storage.objects.get")

    with StorageErrorServer(respond) as server:
        with pytest.raises(ObjectStoreError) as caught:
            _store_for(server).head(BUCKET, "x.png", 8)
        # The client is synchronous: a retry or a lookup on the side would have been made
        # before it raised.
        assert server.methods() == ["GET"]  # not retried; no bucket lookup on the side
    error = caught.value
    assert (error.operation, error.retryable) == ("head", False)
    assert "Forbidden" in error.message and "HTTP 403" in error.message
    assert "secret-project" not in error.message


def test_unavailable_is_retried_within_the_deadline_then_reported_retryable() -> None:
    with StorageErrorServer(lambda *_: (503, _error(503, "backend down"))) as server:
        started = time.monotonic()
        with pytest.raises(ObjectStoreError) as caught:
            _store_for(server).delete(BUCKET, "x.png", "7")
        elapsed = time.monotonic() - started
        assert len(server.requests) >= 2
    assert caught.value.retryable is True
    assert caught.value.operation == "delete"
    assert "ServiceUnavailable" in caught.value.message
    assert elapsed < 5.0


def test_unreachable_storage_is_retryable() -> None:
    with StorageErrorServer(lambda *_: (200, None)) as server:
        url = server.url
    dead = GcsObjectStore.create("demo-test", emulator_host=url, retry_deadline_s=0.5)
    with pytest.raises(ObjectStoreError) as caught:
        dead.head(BUCKET, "x.png", 8)
    assert caught.value.retryable is True
    assert "ConnectionError" in caught.value.message


def test_writes_target_the_given_generation() -> None:
    """The emulator ignores generations, so the query parameters are checked on the wire."""

    def respond(method: str, path: str, query: dict[str, list[str]]) -> tuple[int, Any]:
        if method == "DELETE":
            return 204, None
        if "/copyTo/" in path:
            return 200, _object("q/x.png", generation="9", metageneration="1")
        return 200, _object("x.png")

    with StorageErrorServer(respond) as server:
        remote = _store_for(server)
        remote.set_metadata(BUCKET, "x.png", "7", {"verdict": "ok"})
        remote.move(BUCKET, "x.png", "7", "q/x.png")
        remote.delete(BUCKET, "other.png", "11")

    (get, patch, copy, delete_moved, delete) = server.requests
    assert get[0] == "GET" and get[2]["generation"] == ["7"]
    assert patch[0] == "PATCH" and patch[1] == f"/storage/v1/b/{BUCKET}/o/x.png"
    assert patch[2]["generation"] == ["7"]
    assert patch[2]["ifGenerationMatch"] == ["7"]
    assert patch[2]["ifMetagenerationMatch"] == ["3"]
    assert copy[0] == "POST"
    assert copy[1] == f"/storage/v1/b/{BUCKET}/o/x.png/copyTo/b/{BUCKET}/o/q/x.png"
    assert copy[2]["sourceGeneration"] == ["7"]
    assert delete_moved[:2] == ("DELETE", f"/storage/v1/b/{BUCKET}/o/x.png")
    assert delete_moved[2]["generation"] == ["7"]
    assert delete[:2] == ("DELETE", f"/storage/v1/b/{BUCKET}/o/other.png")
    assert delete[2]["generation"] == ["11"]


def test_set_metadata_rereads_when_metadata_changed_meanwhile_then_gives_up() -> None:
    def respond(method: str, *_: object) -> tuple[int, Any]:
        if method == "PATCH":
            return 412, _error(412, "conditionNotMet")
        return 200, _object("x.png")

    with StorageErrorServer(respond) as server, pytest.raises(ObjectStoreError) as caught:
        _store_for(server).set_metadata(BUCKET, "x.png", "7", {"verdict": "ok"})
    assert server.methods() == ["GET", "PATCH"] * 3
    assert caught.value.retryable is False
    assert "PreconditionFailed" in caught.value.message


def test_failed_copy_keeps_the_original() -> None:
    forbidden = StorageErrorServer(lambda *_: (403, _error(403, "no")))
    with forbidden as server, pytest.raises(ObjectStoreError) as caught:
        _store_for(server).move(BUCKET, "x.png", "7", "q/x.png")
    assert server.methods() == ["POST"]
    assert caught.value.operation == "move"


# -- CloudEvents through functions-framework and firebase_functions' storage wrapper --------

PROBE_MAIN = '''
from firebase_functions import storage_fn

RECEIVED = []


@storage_fn.on_object_finalized(bucket="b")
def on_finalized(event):
    RECEIVED.append(event)
'''


@pytest.fixture
def probe(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, list[Any]]:
    """A functions-framework app serving a tiny storage trigger; returns (client, received)."""
    import functions_framework

    source = tmp_path / "main.py"
    source.write_text(PROBE_MAIN)
    # create_app registers the source as sys.modules["main"], appends to sys.path and sets
    # FUNCTION_* variables: keep all of that from leaking into other tests.
    monkeypatch.setitem(sys.modules, "main", None)
    monkeypatch.setattr(sys, "path", [*sys.path])
    monkeypatch.setenv("FUNCTION_TARGET", "on_finalized")
    monkeypatch.setenv("FUNCTION_SIGNATURE_TYPE", "cloudevent")
    app = functions_framework.create_app("on_finalized", str(source), "cloudevent")
    return app.test_client(), sys.modules["main"].RECEIVED


@pytest.mark.parametrize("encode", [to_binary_http, to_structured_http])
def test_storage_wrapper_accepts_the_event(probe: tuple[Any, list[Any]],
                                           encode: Callable[..., Any]) -> None:
    from firebase_functions.storage_fn import StorageObjectData

    client, received = probe
    at = datetime(2026, 11, 23, 10, 0, 0, 123456, tzinfo=UTC)
    event = storage_finalized_event(
        "b", "uploads/u1/photo.png", 1763892000123456, content_type="image/png", size=1234,
        metadata={"owner": "u1"}, event_id="evt-1", time=at,
    )
    headers, body = encode(event)
    response = client.post("/", headers=headers, data=body)

    assert response.status_code == 200, response.data
    assert len(received) == 1
    got = received[0]
    assert isinstance(got.data, StorageObjectData)
    assert got.data.name == "uploads/u1/photo.png"
    assert got.data.bucket == "b"
    # On the wire, as from Eventarc, the numbers are strings; the wrapper passes them on.
    assert got.data.generation == "1763892000123456"
    assert got.data.size == "1234"
    assert got.data.content_type == "image/png"
    assert got.data.metadata == {"owner": "u1"}
    assert got.id == "evt-1"
    assert got.type == FINALIZED_TYPE
    assert got.source == "//storage.googleapis.com/projects/_/buckets/b"
    assert got.subject == "objects/uploads/u1/photo.png"
    assert got.time == at


def test_storage_wrapper_rejects_events_missing_what_it_needs(
        probe: tuple[Any, list[Any]]) -> None:
    """The checks above can fail: the wrapper answers 500 without these details."""
    client, received = probe
    no_class = storage_finalized_event("b", "a.png", 5, content_type="image/png", size=1)
    del no_class.data["storageClass"]
    whole_seconds = storage_finalized_event("b", "a.png", 5, content_type="image/png", size=1)
    whole_seconds["time"] = "2026-11-23T10:00:00Z"
    for event in (no_class, whole_seconds):
        headers, body = to_binary_http(event)
        assert client.post("/", headers=headers, data=body).status_code == 500
    assert received == []


def test_event_without_content_type_has_no_such_field() -> None:
    event = storage_finalized_event("b", "a", "12", content_type=None, size=0)
    assert "contentType" not in event.data
    assert event.data["size"] == "0"
    assert event.data["id"] == "b/a/12"


def test_event_time_always_has_microseconds() -> None:
    whole = datetime(2026, 11, 23, 10, 0, 0, tzinfo=UTC)
    assert event_time(whole) == "2026-11-23T10:00:00.000000Z"
    paris = datetime(2026, 11, 23, 11, 0, 0, 5, tzinfo=timezone(timedelta(hours=1)))
    assert event_time(paris) == "2026-11-23T10:00:00.000005Z"
    assert event_time("2026-11-23T10:00:00.123456Z") == "2026-11-23T10:00:00.123456Z"
    assert event_time(None).endswith("Z")


@pytest.mark.parametrize("bad", [datetime(2026, 1, 1), "2026-11-23T10:00:00Z", "yesterday"])
def test_event_time_rejects_naive_or_whole_second_input(bad: Any) -> None:
    with pytest.raises(ValueError):
        event_time(bad)


@pytest.mark.parametrize(("args", "kwargs"), [
    (("", "a", 1), {"content_type": None, "size": 0}),
    (("b", "", 1), {"content_type": None, "size": 0}),
    (("b", "a", "0"), {"content_type": None, "size": 0}),
    (("b", "a", "x1"), {"content_type": None, "size": 0}),
    (("b", "a", 1), {"content_type": None, "size": -1}),
    (("b", "a", 1), {"content_type": None, "size": "10"}),
])
def test_event_rejects_bad_fields(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        storage_finalized_event(*args, **kwargs)


def test_binary_mode_refuses_non_ascii_names_structured_mode_carries_them() -> None:
    event = storage_finalized_event("b", "photos/été.png", 3, content_type="image/png", size=1)
    with pytest.raises(ValueError, match="structured"):
        to_binary_http(event)
    headers, body = to_structured_http(event)
    assert headers["content-type"] == "application/cloudevents+json"
    assert json.loads(body)["data"]["name"] == "photos/été.png"
