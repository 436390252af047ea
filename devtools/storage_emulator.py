"""gcp-storage-emulator, in-process, for tests and the local run.

    with running_storage_emulator("uploads") as gcs:
        gcs.client.bucket(gcs.bucket_name).blob("a.png").upload_from_string(b"...")
        ...  # code under test builds its own storage.Client: STORAGE_EMULATOR_HOST points here

The emulator keeps everything in memory, listens on 127.0.0.1 and a free port, and
ignores generation preconditions (see ARCHITECTURE.md).
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import quote

import google.cloud.storage as storage
from gcp_storage_emulator import server as emulator_server
from gcp_storage_emulator.server import create_server
from google.auth.credentials import AnonymousCredentials

ENV_VAR = "STORAGE_EMULATOR_HOST"
TEST_PROJECT = "demo-test"
_START_ATTEMPTS = 3
_START_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class StorageEmulator:
    host: str  # "http://127.0.0.1:PORT", the value of STORAGE_EMULATOR_HOST while running
    client: storage.Client  # for tests to upload fixtures and inspect results
    bucket_name: str
    server: object  # gcp_storage_emulator.server.Server (has .wipe(keep_buckets=...))

    def bucket(self) -> storage.Bucket:
        return self.client.bucket(self.bucket_name)


def _headers_as_cloud_storage_sends_them() -> None:
    """Cloud Storage sends a custom metadata value that is not ASCII percent-encoded in its
    x-goog-meta-* header; the emulator writes it raw, and a value no latin-1 can hold (a
    Turkish moderation message: "reddedildi") makes its HTTP server drop the connection of
    every download of that object. Its response headers are encoded as Cloud Storage's."""
    response = emulator_server.Response
    if getattr(response, "_headers_encoded", False):
        return
    original = response.__setitem__

    def setitem(self: object, key: str, value: object) -> None:
        if isinstance(value, str):
            try:
                value.encode("latin-1")
            except UnicodeEncodeError:
                value = quote(value, safe=" !\"#$&'()*+,/:;<=>?@[]^_`{|}~")
        original(self, key, value)

    response.__setitem__ = setitem
    response._headers_encoded = True


_headers_as_cloud_storage_sends_them()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_server(bucket: str, port: int | None = None) -> tuple[object, int]:
    # The port is free when we look and taken when the server binds only if another
    # process grabs it in between: rare, so a couple of fresh tries are enough.
    attempts = 1 if port else _START_ATTEMPTS
    for _ in range(attempts):
        chosen = port or _free_port()
        server = create_server("127.0.0.1", chosen, in_memory=True, default_bucket=bucket)
        if _started(server):
            return server, chosen
    raise RuntimeError(f"storage emulator did not start after {attempts} attempts")


def _started(server: object) -> bool:
    """Server.start() without its hang: it waits, unbounded, for an event that the server
    thread sets only after binding, so a failed bind would block forever."""
    api = server._api  # type: ignore[attr-defined]
    api.daemon = True  # never keep the test process alive
    api.start()
    return bool(api.is_running.wait(_START_TIMEOUT_S))


@contextmanager
def running_storage_emulator(bucket: str, *, project: str = TEST_PROJECT) -> Iterator[
        StorageEmulator]:
    """Run the emulator with `bucket` created; STORAGE_EMULATOR_HOST is set while active."""
    if not bucket:
        raise ValueError("bucket is required")
    # The emulator logs every request at INFO; keep test output about the test.
    logging.getLogger("gcp_storage_emulator").setLevel(logging.WARNING)
    server, port = _start_server(bucket)
    host = f"http://127.0.0.1:{port}"
    previous = os.environ.get(ENV_VAR)
    os.environ[ENV_VAR] = host
    try:
        client = storage.Client(project=project, credentials=AnonymousCredentials())
        yield StorageEmulator(host=host, client=client, bucket_name=bucket, server=server)
    finally:
        if previous is None:
            os.environ.pop(ENV_VAR, None)
        else:
            os.environ[ENV_VAR] = previous
        server.stop()  # type: ignore[attr-defined]


@dataclass(frozen=True)
class StartedEmulator:
    host: str
    server: object


def start_storage_emulator(bucket: str, port: int | None = None) -> StartedEmulator:
    """The local run's Cloud Storage: in memory, on `port` (a free one by default),
    running until exit."""
    logging.getLogger("gcp_storage_emulator").setLevel(logging.WARNING)
    server, port = _start_server(bucket, port)
    return StartedEmulator(host=f"http://127.0.0.1:{port}", server=server)
