"""FirestoreCalls.stream on the emulator: every document once, in id order, a first page
read as any bounded read; a database that stops answering mid-stream ends it with
StoreUnavailable (after the resumes it allows), never a hang or an SDK error."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from typing import Any

import pytest

from devtools import firestore_emulator
from errors import StoreUnavailable
from infra.firestore_calls import FirestoreCalls

PROJECT = "demo-stream"


def seed(client: Any, count: int) -> list[str]:
    ids = [f"u-{n:05d}" for n in range(count)]
    for start in range(0, count, 500):
        batch = client.batch()
        for qr_id in ids[start:start + 500]:
            batch.set(client.collection("units").document(qr_id), {"n": int(qr_id[2:])})
        batch.commit()
    return ids


@pytest.fixture
def own_emulator(tmp_path: Any) -> Iterator[Any]:
    instance = firestore_emulator.start(log_path=tmp_path / "emulator.log")
    try:
        yield instance
    finally:
        assert instance.process is not None
        instance.process.send_signal(signal.SIGCONT)
        instance.stop()


def client_of(instance: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    from google.cloud import firestore

    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", instance.host)
    return firestore.Client(project=PROJECT)


@pytest.mark.parametrize("count", [0, 7, 500, 1_234])
def test_every_document_once_in_id_order(own_emulator: Any, monkeypatch: pytest.MonkeyPatch,
                                         count: int) -> None:
    client = client_of(own_emulator, monkeypatch)
    ids = seed(client, count)
    calls = FirestoreCalls(client, rpc_timeout_s=5.0, unavailable_budget_s=2.0,
                           max_attempts=1)
    query = client.collection("units").order_by("__name__")
    got = [snap.id for snap in calls.stream(query, first_page=500, stream_timeout_s=30.0)]
    assert got == ids


def test_a_database_that_stops_mid_stream_ends_it_with_store_unavailable(
        own_emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    client = client_of(own_emulator, monkeypatch)
    seed(client, 2_000)
    calls = FirestoreCalls(client, rpc_timeout_s=5.0, unavailable_budget_s=2.0,
                           max_attempts=1)
    stream = calls.stream(client.collection("units").order_by("__name__"), first_page=500,
                          stream_timeout_s=1.0, resumes=1)
    first = [next(stream).id for _ in range(500)]  # the first page, read before the pause
    assert first[-1] == "u-00499"
    own_emulator.process.send_signal(signal.SIGSTOP)
    started = time.monotonic()
    with pytest.raises(StoreUnavailable):
        for _ in stream:
            pass
    assert time.monotonic() - started < 10.0


def test_an_unreachable_database_fails_on_the_first_page(
        own_emulator: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    client = client_of(own_emulator, monkeypatch)
    seed(client, 10)
    own_emulator.process.send_signal(signal.SIGSTOP)
    calls = FirestoreCalls(client, rpc_timeout_s=2.0, unavailable_budget_s=2.0,
                           max_attempts=1)
    started = time.monotonic()
    with pytest.raises(StoreUnavailable):
        next(calls.stream(client.collection("units").order_by("__name__"), first_page=5,
                          stream_timeout_s=60.0))
    assert time.monotonic() - started < 8.0
