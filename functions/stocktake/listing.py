"""The recent count sessions a person picks from in the console. Read-only; staff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from identity import Caller, require_staff
from paging import page_input

DEFAULT_PAGE = 20
MOST_PER_PAGE = 50


@dataclass(frozen=True)
class SessionSummary:
    session_id: str
    name: str
    state: str
    started_by: str
    started_at: datetime | None
    expected: int
    totals: dict[str, int] | None  # set once finished


class SessionsIndex(Protocol):
    def recent(self, limit: int) -> list[SessionSummary]:
        """The most recently started sessions, newest first."""
        ...


class SessionsListing:
    def __init__(self, index: SessionsIndex) -> None:
        self._index = index

    def list_sessions(self, caller: Caller | None, data: Any) -> dict[str, Any]:
        require_staff(caller)
        limit, _ = page_input(data, default=DEFAULT_PAGE, most=MOST_PER_PAGE)
        return {"sessions": [{
            "session_id": s.session_id, "name": s.name, "state": s.state,
            "started_by": s.started_by,
            "started_at": s.started_at.isoformat() if s.started_at else None,
            "expected": s.expected, "totals": s.totals,
        } for s in self._index.recent(limit)]}
