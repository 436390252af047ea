"""What the QR core needs from the outside world, as small protocols.

Adapters live in `infra/`; tests use the real adapters against local servers
(Firestore emulator, b2sdk RawSimulator, a local folder).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol


class BlobStoreError(Exception):
    """The blob store could not do what was asked (down, refused, timed out).

    Transient by nature: whoever stores QR files retries later; nothing is lost because
    the record keeps `stored = False` until a put succeeds.
    """


@dataclass(frozen=True)
class StoredBlob:
    key: str
    sha1: str  # hex SHA-1 of the bytes, as B2 checked it
    size: int


class BlobStore(Protocol):
    def put(self, key: str, data: bytes, content_type: str) -> StoredBlob:
        """Store `data` under `key` (a new version if it exists). Raises BlobStoreError."""
        ...

    def get(self, key: str) -> bytes | None:
        """The newest version's bytes, or None when there is no such file."""
        ...

    def delete_prefix(self, prefix: str) -> int:
        """Delete every version of every file under `prefix`; return how many files
        (distinct keys) were removed. Raises BlobStoreError."""
        ...

    def iter_keys(self, prefix: str) -> Iterator[str]:
        """Keys (newest versions) under `prefix`."""
        ...


class StoreQueue(Protocol):
    """Durable hand-off of "store these QR ids' PNGs" work (a Cloud Tasks queue in
    production, an in-process worker locally)."""

    def enqueue(self, qr_ids: Iterable[str]) -> None: ...
