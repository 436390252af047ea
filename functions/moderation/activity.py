"""What admins read in the console: the audit trail of changes (`admin_actions`) and the
notices the system left them (`admin_notifications`), newest first. Read-only; admins."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from identity import Caller, require_admin
from paging import page_input

DEFAULT_PAGE = 30
MOST_PER_PAGE = 100


class ActivityLog(Protocol):
    def recent_actions(self, limit: int) -> list[dict[str, Any]]:
        """Audit records newest first, each with its document `id`."""
        ...

    def recent_notifications(self, limit: int) -> list[dict[str, Any]]:
        """Notices newest first, each with its document `id`."""
        ...


class AdminActivity:
    def __init__(self, log: ActivityLog) -> None:
        self._log = log

    def list_activity(self, caller: Caller | None, data: Any) -> dict[str, Any]:
        require_admin(caller)
        limit, _ = page_input(data, default=DEFAULT_PAGE, most=MOST_PER_PAGE)
        return {"actions": [plain_json(a) for a in self._log.recent_actions(limit)],
                "notifications": [plain_json(n) for n in self._log.recent_notifications(limit)]}


def plain_json(value: Any) -> Any:
    """Records as JSON: times become ISO 8601 text, wherever they are nested."""
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): plain_json(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain_json(v) for v in value]
    return value
