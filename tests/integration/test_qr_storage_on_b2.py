"""Nothing is lost: the QR use cases on the Firestore emulator and b2sdk's simulator, with
B2 answering 503 for a while, then down, then back."""

from __future__ import annotations

import hashlib

import pytest
from b2sdk.v2 import B2HttpApiConfig

from errors import Unavailable
from identity import Caller
from infra.b2_blob_store import B2BlobStore, B2RetryPolicy, bounded_b2_api
from infra.firestore_qr_repository import FirestoreQrRepository
from infra.lazy_blob_store import LazyBlobStore
from qr import render
from qr.ports import BlobStoreError
from qr.service import CLEAR_CONFIRMATION, QrLabels
from tests.support.b2_simulator import BUCKET, FlakySimulator

STAFF = Caller("staff-1", has_staff_claim=True)
ADMIN = Caller("admin-1", is_admin=True)


class RecordingQueue:
    """The StoreQueue port, holding batches until the test runs them (as Cloud Tasks
    would hold them between attempts)."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def enqueue(self, qr_ids) -> None:
        self.batches.append(list(qr_ids))


@pytest.fixture
def b2():
    policy = B2RetryPolicy(max_attempts=3, timeout_s=5.0, sleep=lambda _s: None)
    api = bounded_b2_api(policy, api_config=B2HttpApiConfig(_raw_api_class=FlakySimulator))
    sim = api.session.raw_api
    account_id, master_key = sim.create_account()
    api.authorize_account("production", account_id, master_key)
    bucket = api.create_bucket(BUCKET, "allPrivate")
    return sim, bucket, B2BlobStore(bucket, timeout_s=policy.timeout_s)


def stored_flags(firestore_client) -> dict[str, bool]:
    return {d.id: d.to_dict()["stored"] for d in firestore_client.collection("qr_codes").stream()}


def b2_files(bucket) -> dict[str, str]:
    return {v.file_name: v.content_sha1 for v, _ in bucket.ls(latest_only=False, recursive=True)}


def test_busy_then_down_then_back_loses_nothing(firestore_client, b2):
    sim, bucket, store = b2
    queue = RecordingQueue()
    labels = QrLabels(FirestoreQrRepository(firestore_client), store, queue, batch_size=2)
    reply = labels.upload_parts(STAFF, body={"parts": [
        {"part_code": "B2-1", "part_name": "Vida", "quantity": 3}]})
    ids = reply["qr_ids"]
    assert [len(b) for b in queue.batches] == [2, 1]

    sim.busy_uploads = 1_000  # every upload answers 503 for now
    with pytest.raises(Unavailable):
        labels.store_files(queue.batches[0])
    sim.busy_uploads = 0
    sim.down = True  # then the network to B2 dies
    with pytest.raises(Unavailable):
        labels.store_files(queue.batches[1])
    assert stored_flags(firestore_client) == dict.fromkeys(ids, False)
    # Meanwhile people still see their labels, rendered on the fly.
    assert labels.image(STAFF, ids[0]).png == render.render_png(ids[0])

    sim.down = False  # B2 is back: the task queue's retry (or the sweeper) finishes the job
    queue.batches.clear()
    assert labels.requeue_unstored() == 3
    for batch in queue.batches:
        labels.store_files(batch)
    assert stored_flags(firestore_client) == dict.fromkeys(ids, True)
    files = b2_files(bucket)
    assert set(files) == {f"qr_codes/{i}.png" for i in ids}
    for qr_id in ids:
        assert files[f"qr_codes/{qr_id}.png"] == hashlib.sha1(render.render_png(qr_id)).hexdigest()
    # Stored files are served from B2 and stay byte-identical to a fresh render.
    assert labels.download(STAFF, ids[1]).png == render.render_png(ids[1])

    # A retried batch that was already done writes nothing new.
    report = labels.store_files(ids)
    assert (report.stored, report.already_stored) == (0, 3)
    assert len(b2_files(bucket)) == 3


def test_clear_removes_every_version_in_b2_and_every_record(firestore_client, b2):
    _sim, bucket, store = b2
    labels = QrLabels(FirestoreQrRepository(firestore_client), store, RecordingQueue())
    ids = labels.upload_parts(STAFF, body={"parts": [
        {"part_code": "CLR-1", "part_name": "x", "quantity": 2}]})["qr_ids"]
    labels.store_files(ids)
    store.put(f"qr_codes/{ids[0]}.png", b"an older version", "image/png")  # 2 versions
    store.put("elsewhere/keep.txt", b"not ours", "text/plain")
    result = labels.clear_all(ADMIN, {"confirm": CLEAR_CONFIRMATION})
    assert result == {"deleted_records": 2, "deleted_parts": 1, "deleted_files": 2}
    assert set(b2_files(bucket)) == {"elsewhere/keep.txt"}
    assert stored_flags(firestore_client) == {}


def test_lazy_store_retries_a_failed_sign_in(tmp_path):
    from infra.local_blob_store import LocalBlobStore

    attempts = []

    def connect():
        attempts.append(1)
        if len(attempts) == 1:
            raise BlobStoreError("B2 sign-in failed")
        return LocalBlobStore(tmp_path)

    lazy = LazyBlobStore(connect)
    with pytest.raises(BlobStoreError):
        lazy.get("qr_codes/a.png")
    assert lazy.put("qr_codes/a.png", b"png", "image/png").sha1 == hashlib.sha1(b"png").hexdigest()
    assert lazy.get("qr_codes/a.png") == b"png"
    assert len(attempts) == 2
