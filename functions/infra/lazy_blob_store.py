"""A blob store that connects on first use and again after a failed connect.

B2 signs in over the network. Doing that while the QR use case is built would turn a B2
outage into a failure of every QR function, including views that can render on the fly;
behind this wrapper a failed sign-in is just a BlobStoreError of the one operation.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

from qr.ports import BlobStore, StoredBlob


class LazyBlobStore:
    def __init__(self, connect: Callable[[], BlobStore]) -> None:
        self._connect = connect
        self._store: BlobStore | None = None
        self._lock = threading.Lock()

    def _target(self) -> BlobStore:
        with self._lock:
            if self._store is None:
                self._store = self._connect()  # BlobStoreError propagates; retried next call
            return self._store

    def put(self, key: str, data: bytes, content_type: str) -> StoredBlob:
        return self._target().put(key, data, content_type)

    def get(self, key: str) -> bytes | None:
        return self._target().get(key)

    def delete_prefix(self, prefix: str) -> int:
        return self._target().delete_prefix(prefix)

    def iter_keys(self, prefix: str) -> Iterator[str]:
        return self._target().iter_keys(prefix)
