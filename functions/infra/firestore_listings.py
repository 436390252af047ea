"""The console's read models on Firestore: parts with their unit counts (qr/listing.py),
recent count sessions (stocktake/listing.py) and the admin activity
(moderation/activity.py). Reads only; every call bounded in time.

Printed and downloaded units are the part document's own counters (`printed_units`,
`downloaded_units`, kept exact by infra/firestore_qr_repository.py) and it names its first
unit (`first_qr_id`), so a page of parts is one query. A part created before those fields
has none: its units are counted with aggregation queries, which read index entries, not
documents (printed needs the composite index (part_code, print_count) in
firestore.indexes.json), and its first unit is looked up.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, TypeVar

from google.cloud import firestore
from google.cloud.firestore_v1.base_query import FieldFilter

from errors import StoreUnavailable
from infra.firestore_calls import FirestoreCalls
from infra.firestore_qr_repository import COUNTS, DOWNLOADED_UNITS, FIRST_QR_ID, PRINTED_UNITS
from messages import Msg
from qr import stock_levels
from qr.inventory_export import FinishedCount, UnitRow
from qr.listing import PartSummary
from stocktake.listing import SessionSummary

PARTS = "parts"
QR_CODES = "qr_codes"
SESSIONS = "count_sessions"
ACTIONS = "admin_actions"
NOTIFICATIONS = "admin_notifications"
_COUNT_WORKERS = 8
# The inventory export: a first page read as any other (an outage answers 503 at once),
# then one stream within the export function's time (main.py: 300 s).
EXPORT_FIRST_PAGE = 500
EXPORT_STREAM_TIMEOUT_S = 240.0

T = TypeVar("T")


def _has_counters(data: dict[str, Any]) -> bool:
    return all(isinstance(data.get(field), int) for field in (PRINTED_UNITS, DOWNLOADED_UNITS)) \
        and bool(data.get(FIRST_QR_ID))


class FirestoreListings:
    """PartsCatalog, SessionsIndex and ActivityLog in one adapter (they share nothing but
    the client and the way a read is bounded)."""

    def __init__(self, client: firestore.Client, *, rpc_timeout_s: float = 10.0,
                 unavailable_budget_s: float = 5.0) -> None:
        self._db = client
        self._calls = FirestoreCalls(client, rpc_timeout_s=rpc_timeout_s,
                                     unavailable_budget_s=unavailable_budget_s,
                                     max_attempts=1)

    # -- parts ------------------------------------------------------------------------------

    def page(self, after: str | None, limit: int, *, below_minimum: bool = False
             ) -> list[PartSummary]:
        query: Any = self._db.collection(PARTS)
        if below_minimum:
            # Equality and the id order: the automatic single-field index serves it.
            query = query.where(filter=FieldFilter("below_minimum", "==", True))
        query = query.order_by("__name__").limit(limit)
        if after is not None:
            query = query.start_after({"__name__": self._db.collection(PARTS).document(after)})
        parts = self._read(lambda timeout: list(query.stream(retry=None, timeout=timeout)))
        docs = [(snap.id, snap.to_dict() or {}) for snap in parts]
        if all(_has_counters(data) for _, data in docs):
            return [self._summary(doc) for doc in docs]  # nothing to look up
        # Each lookup in a copy of this context, made here: the request's deadline holds there.
        contexts = [contextvars.copy_context() for _ in docs]
        with ThreadPoolExecutor(_COUNT_WORKERS) as pool:
            return list(pool.map(lambda ctx, doc: ctx.run(self._summary, doc), contexts, docs))

    def _summary(self, doc: tuple[str, dict[str, Any]]) -> PartSummary:
        """A part as listed; what a part from before the counters lacks is looked up."""
        code, data = doc
        printed, downloaded = data.get(PRINTED_UNITS), data.get(DOWNLOADED_UNITS)
        level = stock_levels.level_of(data)
        return PartSummary(
            part_code=code, part_name=str(data.get("part_name") or ""),
            units=int(data.get("qr_count") or 0),
            printed=printed if isinstance(printed, int) else self._printed(code),
            downloaded=downloaded if isinstance(downloaded, int) else self._downloaded(code),
            used=int(data.get("used_count") or 0),
            first_qr_id=data.get(FIRST_QR_ID) or self._first_unit(code),
            min_units=level.min_units, available=level.available,
            below_minimum=level.below_minimum)

    def _printed(self, part_code: str) -> int:
        return self._count(self._units(part_code).where(
            filter=FieldFilter("print_count", ">", 0)))

    def _downloaded(self, part_code: str) -> int:
        return self._count(self._units(part_code).where(
            filter=FieldFilter("is_downloaded", "==", True)))

    def _first_unit(self, part_code: str) -> str | None:
        # An equality filter alone is served by the automatic index, in id order.
        query = self._units(part_code).select([]).limit(1)
        snaps = self._read(lambda timeout: list(query.stream(retry=None, timeout=timeout)))
        return snaps[0].id if snaps else None

    def _units(self, part_code: str) -> Any:
        return self._db.collection(QR_CODES).where(
            filter=FieldFilter("part_code", "==", part_code))

    def _count(self, query: Any) -> int:
        def run(timeout: float) -> int:
            (results,) = query.count(alias="n").get(retry=None, timeout=timeout)
            return int(results[0].value)
        return self._read(run)

    # -- the inventory export (qr/inventory_export.py) --------------------------------------

    def units(self) -> Iterator[UnitRow]:
        query = (self._db.collection(QR_CODES)
                 .select(["part_code", "part_name", "print_count", "download_count", "used",
                          "used_at", COUNTS])
                 .order_by("__name__"))
        snaps = self._calls.stream(query, first_page=EXPORT_FIRST_PAGE,
                                   stream_timeout_s=EXPORT_STREAM_TIMEOUT_S)
        try:
            for snap in snaps:
                yield _unit_row(snap.id, snap.to_dict() or {})
        except StoreUnavailable as err:
            raise err.saying(Msg("qr.export.database_down")) from err

    def finished_counts(self) -> list[FinishedCount]:
        query = (self._db.collection(SESSIONS)
                 .where(filter=FieldFilter("state", "==", "finished"))
                 .select(["partCodes", "finishedAt"]))
        snaps = self._read(lambda timeout: list(query.stream(retry=None, timeout=timeout)))
        counts = []
        for snap in snaps:
            data = snap.to_dict() or {}
            codes, at = data.get("partCodes"), data.get("finishedAt")
            if isinstance(at, datetime):
                counts.append(FinishedCount(
                    tuple(str(c) for c in codes) if isinstance(codes, list) else None, at))
        return counts

    # -- count sessions ---------------------------------------------------------------------

    def recent(self, limit: int) -> list[SessionSummary]:
        query = self._db.collection(SESSIONS).order_by(
            "startedAt", direction=firestore.Query.DESCENDING).limit(limit)
        snaps = self._read(lambda timeout: list(query.stream(retry=None, timeout=timeout)))
        out = []
        for snap in snaps:
            data = snap.to_dict() or {}
            out.append(SessionSummary(
                session_id=snap.id, name=str(data.get("name") or ""),
                state=str(data.get("state") or ""), started_by=str(data.get("startedBy") or ""),
                started_at=data.get("startedAt"), expected=int(data.get("expectedCount") or 0),
                totals=data.get("totals")))
        return out

    # -- admin activity ---------------------------------------------------------------------

    def recent_actions(self, limit: int) -> list[dict[str, Any]]:
        return self._newest(ACTIONS, limit)

    def recent_notifications(self, limit: int) -> list[dict[str, Any]]:
        return self._newest(NOTIFICATIONS, limit)

    def _newest(self, collection: str, limit: int) -> list[dict[str, Any]]:
        query = self._db.collection(collection).order_by(
            "at", direction=firestore.Query.DESCENDING).limit(limit)
        snaps = self._read(lambda timeout: list(query.stream(retry=None, timeout=timeout)))
        return [{"id": snap.id, **(snap.to_dict() or {})} for snap in snaps]

    def _read(self, call: Callable[[float], T]) -> T:
        try:
            return self._calls.with_retries(call)
        except StoreUnavailable as err:
            raise err.saying(Msg("listing.database_down")) from err


def _unit_row(qr_id: str, data: dict[str, Any]) -> UnitRow:
    counts = data.get(COUNTS)
    found_by = counts.values() if isinstance(counts, dict) else ()
    seen: list[datetime] = [c["at"] for c in found_by
                            if isinstance(c, dict) and isinstance(c.get("at"), datetime)]
    used_at = data.get("used_at")
    return UnitRow(qr_id=qr_id, part_code=str(data.get("part_code") or ""),
                   part_name=str(data.get("part_name") or ""),
                   print_count=int(data.get("print_count") or 0),
                   download_count=int(data.get("download_count") or 0),
                   used_at=used_at if isinstance(used_at, datetime) else None,
                   used=data.get("used") is True, last_counted=max(seen, default=None))
