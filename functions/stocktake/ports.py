"""What stock-taking needs from the outside world: the units to count, and a store for
count sessions, their expected units and their scans. No SDK types here."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol

SessionState = Literal["open", "finishing", "finished", "cancelled"]
ScanResult = Literal["accepted", "duplicate", "unexpected"]
# Why a scan was unexpected: no such label, a label of a part outside the session's
# scope (or made after it started), a unit already taken from stock.
UNEXPECTED_REASONS = ("unknown", "out_of_scope", "used")


@dataclass(frozen=True)
class Scan:
    qr_id: str
    client_scan_id: str         # the phone's own id for the scan: resends are recognised
    scanned_at: datetime | None  # the phone's clock; may arrive out of order


@dataclass(frozen=True)
class Session:
    id: str
    name: str
    note: str | None
    part_codes: tuple[str, ...] | None  # None: every part
    state: SessionState
    started_by: str
    started_at: datetime
    expected_count: int
    finished_at: datetime | None = None
    totals: dict[str, Any] | None = None
    # How many gate records the session has (stocktake/sessions.py, "Finishing is final");
    # 0 for a session started before there were gates.
    gates: int = 0
    # Kept since the gates: the units expected per part and the parts' names (for the live
    # counts), and once finished, each part's counts.
    expected_by_part: dict[str, int] | None = None
    part_names: dict[str, str] | None = None
    part_counts: dict[str, dict[str, int]] | None = None


@dataclass
class Unit:
    """A unit of the session: expected ones exist from the start; an unexpected one
    appears when it is first scanned (so a second scan of it is a duplicate)."""

    qr_id: str
    part_code: str | None
    expected: bool
    found: bool = False
    reason: str | None = None        # for an unexpected unit
    scan: str | None = None          # the client_scan_id that found it
    found_by: str | None = None
    found_at: datetime | None = None
    scanned_at: datetime | None = None


@dataclass(frozen=True)
class StoredScan:
    client_scan_id: str
    qr_id: str
    result: ScanResult
    reason: str | None
    undone: bool = False


# Live counts a commit adds to its gate: {part key: {"found" | "unexpected": change}}.
Tally = Mapping[str, Mapping[str, int]]


@dataclass(frozen=True)
class RecentScan:
    client_scan_id: str
    qr_id: str
    result: ScanResult
    reason: str | None
    by: str
    received_at: datetime


@dataclass(frozen=True)
class LabelInfo:
    """What the label records say about a scanned id."""

    part_code: str
    used: bool


@dataclass
class ScanView:
    """One consistent read of what a batch of scans touches. `versions` is the store's
    own (opaque) record of what it read, for a commit on condition nothing changed;
    `gate`, the gate record a commit of this view needs (None: no gate)."""

    scans: dict[str, StoredScan]
    units: dict[str, Unit]
    labels: dict[str, LabelInfo]
    versions: Any = field(default=None, repr=False)
    gate: int | None = None


class CountStore(Protocol):
    def units_to_count(self, part_codes: tuple[str, ...] | None) -> dict[str, list[str]]:
        """{part_code: qr_ids} of the units not marked used, of these parts (all: None)."""
        ...

    def create_session(self, fields: dict[str, Any], expected: dict[str, list[str]],
                       gates: int) -> str:
        """Store the expected units and `gates` gate records, then the session (open);
        returns its id."""
        ...

    def get_session(self, session_id: str) -> Session | None: ...

    def set_state(self, session_id: str, from_states: tuple[SessionState, ...],
                  fields: dict[str, Any]) -> bool:
        """Write `fields` (a new `state` among them) only if the session is in one of
        `from_states`; False otherwise."""
        ...

    def scan_view(self, session_id: str, client_scan_ids: list[str],
                  qr_ids: list[str], gate: int | None = None) -> ScanView: ...

    def commit_scans(self, session_id: str, view: ScanView,
                     scans: Mapping[str, dict[str, Any]],
                     units: Mapping[str, dict[str, Any] | None], tally: Tally) -> bool:
        """Create the scan records and write the units (None deletes one), on condition
        that nothing `view` read has changed and that the view's gate still exists (it
        is written too, adding `tally` to its counts, so the commit and the gate's
        removal are ordered); False when either fails."""
        ...

    def gate_tallies(self, session_id: str, gates: int) -> dict[str, dict[str, int]]:
        """The counts of every gate still there, added up: {part key: {kind: count}}."""
        ...

    def recent_scans(self, session_id: str, since: datetime | None,
                     limit: int) -> list[RecentScan]:
        """The newest scans received after `since` (all: None), newest first."""
        ...

    def close_gates(self, session_id: str, gates: int) -> None:
        """Remove every gate record of the session in one commit: from then on no commit
        of scans lands."""
        ...

    def all_units(self, session_id: str) -> list[Unit]: ...

    def part_names(self, part_codes: list[str]) -> dict[str, str]: ...

    def save_results(self, session_id: str, fields: dict[str, Any],
                     parts: dict[str, dict[str, Any]]) -> None:
        """The finished session's per-part results, then the session itself."""
        ...
