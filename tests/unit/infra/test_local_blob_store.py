"""LocalBlobStore on a real temporary folder."""

from __future__ import annotations

import hashlib
import os
import threading
from pathlib import Path

import pytest

from infra.local_blob_store import LocalBlobStore
from qr.ports import BlobStoreError, StoredBlob

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4


@pytest.fixture
def store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


def test_put_then_get_round_trips(store: LocalBlobStore) -> None:
    stored = store.put("qr_codes/P-1.png", PNG, "image/png")

    assert stored == StoredBlob("qr_codes/P-1.png", hashlib.sha1(PNG).hexdigest(), len(PNG))
    assert store.get("qr_codes/P-1.png") == PNG
    assert (store.root / "qr_codes" / "P-1.png").read_bytes() == PNG


def test_get_of_a_missing_key_is_none(store: LocalBlobStore) -> None:
    assert store.get("qr_codes/P-1.png") is None  # not even the folder exists
    store.put("qr_codes/P-1.png", PNG, "image/png")
    assert store.get("qr_codes/P-2.png") is None
    assert store.get("qr_codes/P-1.png/deeper") is None  # a file where a folder would be


def test_put_replaces_atomically_and_leaves_no_temporary_file(store: LocalBlobStore) -> None:
    store.put("qr_codes/P-1.png", b"old", "image/png")
    before = os.stat(store.root / "qr_codes" / "P-1.png").st_ino

    stored = store.put("qr_codes/P-1.png", b"new bytes", "image/png")

    path = store.root / "qr_codes" / "P-1.png"
    assert path.read_bytes() == b"new bytes"
    assert stored.size == len(b"new bytes")
    # A new inode renamed over the old one: readers holding the old file keep old bytes.
    assert os.stat(path).st_ino != before
    assert sorted(p.name for p in (store.root / "qr_codes").iterdir()) == ["P-1.png"]


def test_readers_never_see_a_partial_file(store: LocalBlobStore) -> None:
    old, new = b"A" * 200_000, b"B" * 300_000
    store.put("qr_codes/P-1.png", old, "image/png")
    seen: set[bytes | None] = set()
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            seen.add(store.get("qr_codes/P-1.png"))

    reader = threading.Thread(target=read)
    reader.start()
    try:
        for n in range(30):
            store.put("qr_codes/P-1.png", new if n % 2 == 0 else old, "image/png")
    finally:
        stop.set()
        reader.join()
    assert seen <= {old, new}


def test_a_failed_write_keeps_the_old_file_and_no_temporary(store: LocalBlobStore) -> None:
    store.put("qr_codes/P-1.png", b"old", "image/png")
    (store.root / "qr_codes" / "P-2.png").mkdir()  # a folder where the file should go

    with pytest.raises(BlobStoreError):
        store.put("qr_codes/P-2.png", b"new", "image/png")

    assert store.get("qr_codes/P-1.png") == b"old"
    assert sorted(p.name for p in (store.root / "qr_codes").iterdir()) == ["P-1.png", "P-2.png"]


@pytest.mark.parametrize("key", [
    "/etc/passwd", "../outside.png", "qr_codes/../../outside.png", "qr_codes/..",
    "qr_codes\\P-1.png", "qr_codes/./P-1.png", "qr_codes//P-1.png", "qr_codes/", "",
    "qr_codes/.hidden", "qr_codes/P-1.png\x00",
])
def test_keys_that_could_escape_the_root_are_rejected(store: LocalBlobStore, key: str,
                                                     tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        store.put(key, PNG, "image/png")
    with pytest.raises(ValueError):
        store.get(key)
    assert not (tmp_path / "outside.png").exists()


def test_a_symlink_leading_outside_the_root_is_rejected(store: LocalBlobStore,
                                                        tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    store.root.mkdir()
    (store.root / "qr_codes").symlink_to(outside)

    with pytest.raises(ValueError):
        store.put("qr_codes/P-1.png", PNG, "image/png")
    assert list(outside.iterdir()) == []


@pytest.mark.parametrize("prefix", ["../", "/etc/", "a\\b", "qr_codes//"])
def test_prefixes_that_could_escape_the_root_are_rejected(store: LocalBlobStore,
                                                          prefix: str) -> None:
    with pytest.raises(ValueError):
        list(store.iter_keys(prefix))
    with pytest.raises(ValueError):
        store.delete_prefix(prefix)


def test_delete_prefix_removes_files_under_it_and_counts_them(store: LocalBlobStore) -> None:
    for key in ("qr_codes/A-1.png", "qr_codes/A-2.png", "qr_codes/sub/B-1.png",
                "qr_codes_old/A-1.png", "exports/all.zip"):
        store.put(key, PNG, "image/png")

    assert store.delete_prefix("qr_codes/") == 3

    assert list(store.iter_keys("")) == ["exports/all.zip", "qr_codes_old/A-1.png"]
    assert not (store.root / "qr_codes").exists()  # emptied folders are tidied
    assert store.delete_prefix("qr_codes/") == 0


def test_delete_prefix_is_a_plain_text_prefix(store: LocalBlobStore) -> None:
    for key in ("qr_codes/AB-1.png", "qr_codes/AB-2.png", "qr_codes/AC-1.png"):
        store.put(key, PNG, "image/png")

    assert store.delete_prefix("qr_codes/AB") == 2
    assert list(store.iter_keys("qr_codes/")) == ["qr_codes/AC-1.png"]


def test_delete_prefix_refuses_an_empty_prefix(store: LocalBlobStore) -> None:
    store.put("qr_codes/A-1.png", PNG, "image/png")

    with pytest.raises(ValueError):
        store.delete_prefix("")
    assert store.get("qr_codes/A-1.png") == PNG


def test_iter_keys_is_sorted_and_skips_temporary_files(store: LocalBlobStore) -> None:
    for key in ("qr_codes/B-1.png", "qr_codes/A-2.png", "qr_codes/A-1.png", "other/x.png"):
        store.put(key, PNG, "image/png")
    (store.root / "qr_codes" / ".tmp-abc123").write_bytes(b"half")  # a write in flight

    assert list(store.iter_keys("qr_codes/")) == [
        "qr_codes/A-1.png", "qr_codes/A-2.png", "qr_codes/B-1.png"]
    assert list(store.iter_keys("qr_codes/A")) == ["qr_codes/A-1.png", "qr_codes/A-2.png"]
    assert list(store.iter_keys("")) == [
        "other/x.png", "qr_codes/A-1.png", "qr_codes/A-2.png", "qr_codes/B-1.png"]
    assert list(store.iter_keys("missing/")) == []
