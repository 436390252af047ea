"""A unit's life, oldest first: created, stored, printed, downloaded, counted, used.

What the record holds decides it. Once-only steps are its own fields (created_at,
stored_at, used_at ...). Repeatable ones are events appended as they happen (`events`:
printed with the layout, downloaded) and the counts that found the unit (`counts`:
{session: {at, by}}). A unit made before events were kept has only its last print and
download time and how many there were: those show as one event that says how many times
(`recorded: false`), at the last time when nothing newer was itemised.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from qr.ports import UnitFile

_ORDER = {"created": 0, "stored": 1, "printed": 2, "downloaded": 3, "counted": 4, "used": 5}
_EARLIEST = datetime.min.replace(tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)


def unit_life(unit: UnitFile) -> dict[str, Any]:
    record, fields = unit.record, unit.fields
    events: list[dict[str, Any]] = []
    if _time(fields.get("created_at")):
        events.append(_event("created", fields.get("created_at"), fields.get("created_by")))
    if record.stored and _time(fields.get("stored_at")):
        events.append(_event("stored", fields.get("stored_at")))
    recorded = [e for e in fields.get("events") or [] if isinstance(e, Mapping)
                and e.get("kind") in ("printed", "downloaded") and _time(e.get("at"))]
    for entry in recorded:
        extra = {"layout": entry.get("layout")} if entry["kind"] == "printed" else {}
        events.append(_event(str(entry["kind"]), entry["at"], entry.get("by"), **extra))
    events += _untold("printed", record.print_count, fields.get("printed_at"), recorded)
    events += _untold("downloaded", record.download_count, fields.get("downloaded_at"),
                      recorded)
    counts = fields.get("counts")
    for session_id, seen in (counts.items() if isinstance(counts, Mapping) else ()):
        if isinstance(seen, Mapping) and _time(seen.get("at")):
            events.append(_event("counted", seen["at"], seen.get("by"),
                                 session_id=session_id,
                                 session_name=unit.session_names.get(session_id)))
    if record.used:
        events.append(_event("used", fields.get("used_at"), fields.get("used_by"),
                             reason=fields.get("used_reason")))
    created = _time(fields.get("created_at")) or _EARLIEST
    events.sort(key=lambda e: (_sort_time(e, created), _ORDER[e["kind"]]))
    return {"qr_id": record.qr_id, "part_code": record.part_code,
            "part_name": record.part_name, "used": record.used,
            "events": [{**e, "at": _iso(e["at"])} for e in events]}


def _untold(kind: str, total: int, last_at: Any, recorded: list[Mapping[str, Any]]
            ) -> list[dict[str, Any]]:
    """What an old record counted but never itemised, as one event."""
    itemised = sum(1 for e in recorded if e.get("kind") == kind)
    missing = total - itemised
    if missing <= 0:
        return []
    # The last time is theirs only when none of the itemised ones is newer.
    at = _time(last_at) if not itemised else None
    return [_event(kind, at, None, recorded=False, times=missing)]


def _sort_time(event: dict[str, Any], created: datetime) -> datetime:
    at = _time(event["at"])
    if at is not None:
        return at
    # Not itemised: after the unit was made and before anything itemised; a use whose time
    # is unknown goes last.
    return _LATEST if event["kind"] == "used" else created


def _event(kind: str, at: Any, by: Any = None, **details: Any) -> dict[str, Any]:
    return {"kind": kind, "at": at, "by": by if isinstance(by, str) else None, **details}


def _time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return None


def _iso(value: Any) -> str | None:
    at = _time(value)
    return at.isoformat() if at else None
