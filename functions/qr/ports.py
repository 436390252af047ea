"""What the QR core needs from the outside world, as small protocols.

Adapters live in `infra/`; tests use the real adapters against local servers
(Firestore emulator, b2sdk RawSimulator, a local folder).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from identity import Caller


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


@dataclass(frozen=True)
class PartRequest:
    """One part of an upload: how many physical units should have a QR label."""

    part_code: str
    part_name: str
    quantity: int
    # The part's minimum (qr/stock_levels.py) when the list sets one; None leaves it as it is.
    min_units: int | None = None


@dataclass(frozen=True)
class PartOutcome:
    part_code: str
    part_name: str
    requested: int
    existing: int  # units that had a label before this upload
    added_ids: tuple[str, ...]
    renamed_from: str | None = None
    minimum_from: int | None = None  # set with minimum_changed
    minimum_changed: bool = False


@dataclass(frozen=True)
class PartState:
    """A part as it stands (for a dry run: what an upload would change)."""

    part_code: str
    part_name: str
    units: int
    min_units: int | None


@dataclass(frozen=True)
class MinimumOutcome:
    """What setting a part's minimum did."""

    part_code: str
    min_before: int | None
    min_units: int | None
    available: int
    below_minimum: bool
    alert_raised: bool


@dataclass(frozen=True)
class UnitFile:
    """Everything a unit's record holds about its life (qr/unit_history.py reads it)."""

    record: QrRecord
    fields: Mapping[str, Any]  # the stored document: times, who, the events it recorded
    session_names: Mapping[str, str] = field(default_factory=dict)  # counts it was in


@dataclass(frozen=True)
class QrRecord:
    qr_id: str
    part_code: str
    part_name: str
    payload: str
    blob_key: str
    stored: bool
    sha1: str | None
    is_downloaded: bool
    download_count: int
    print_count: int = 0
    # Taken from stock (mark_used): the unit is gone from the shelves, so a count leaves it
    # out of what it expects to find. Records from before this field read as not used.
    used: bool = False


@dataclass(frozen=True)
class UsedOutcome:
    """What marking units used did. `unknown` non-empty means nothing was written."""

    marked: tuple[str, ...] = ()  # newly marked by this call
    already_used: tuple[str, ...] = ()  # used before (their first reason and time kept)
    unknown: tuple[str, ...] = ()
    used_counts: Mapping[str, int] = field(default_factory=dict)  # part -> used_count after


class QrRepository(Protocol):
    def add_missing_units(self, parts: list[PartRequest], new_id: Callable[[str], str],
                          created_by: str) -> list[PartOutcome]:
        """Smart add, atomically per part: give each part `quantity` units in total, creating
        only the missing ones; never delete, never duplicate (safe under concurrent uploads)."""
        ...

    def get(self, qr_id: str) -> QrRecord | None: ...

    def get_many(self, qr_ids: list[str]) -> list[QrRecord]:
        """Records that exist, in the order asked."""
        ...

    def list_part(self, part_code: str, limit: int) -> list[QrRecord]: ...

    def mark_stored(self, blobs: dict[str, StoredBlob]) -> int:
        """Record that these ids' files are stored (one write batch); records that no
        longer exist are skipped. Returns how many were marked."""
        ...

    def mark_downloaded(self, records: list[QrRecord], by: str) -> None:
        """Record that these units were downloaded (is_downloaded, downloaded_at,
        download_count, and a `downloaded` event); the records as the caller read them."""
        ...

    def mark_printed(self, records: list[QrRecord], by: str, layout: str) -> None:
        """Record that these labels went into a printed sheet (printed_at, print_count, and
        a `printed` event with the layout)."""
        ...

    def mark_used(self, qr_ids: list[str], used_by: str, reason: str) -> UsedOutcome:
        """Mark units taken from stock (used, used_at, used_by, used_reason) and raise their
        parts' `used_count` by the units newly marked, in the same transaction(s), so the
        totals always agree with the units. A unit already used is left as it is. When any
        id does not exist nothing is written and the outcome lists them in `unknown`."""
        ...

    def unstored_ids(self, limit: int) -> list[str]: ...

    def part_states(self, part_codes: list[str]) -> dict[str, PartState]:
        """The parts that exist among `part_codes` (reads only)."""
        ...

    def set_minimum(self, part_code: str, min_units: int | None,
                    by: Caller) -> MinimumOutcome | None:
        """Set (None: remove) a part's minimum, with its low-stock transition and the audit
        record (action "set_part_minimum", before and after) in the same commit. None: no
        such part."""
        ...

    def unit_file(self, qr_id: str) -> UnitFile | None: ...

    def delete_all(self) -> tuple[int, int]:
        """Delete every QR record and part; return (qr records, parts) removed."""
        ...
