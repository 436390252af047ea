"""The audit trail (`admin_actions/{id}`) behind roles.ports.AuditLog, in the shape the
Vision admin changes write too: action, adminUid, adminEmail, target, before, after, at."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from google.cloud import firestore

from identity import Caller
from infra.firestore_calls import FirestoreCalls

ACTIONS_COLLECTION = "admin_actions"


class FirestoreAuditLog:
    def __init__(self, client: firestore.Client, clock: Callable[[], datetime], *,
                 rpc_timeout_s: float = 8.0, unavailable_budget_s: float = 5.0) -> None:
        self._db = client
        self._clock = clock
        self._calls = FirestoreCalls(client, rpc_timeout_s=rpc_timeout_s,
                                     unavailable_budget_s=unavailable_budget_s,
                                     max_attempts=1)

    def record(self, action: str, caller: Caller, *, target: dict[str, Any],
               before: dict[str, Any], after: dict[str, Any]) -> None:
        """One new record (a create: a retry after a lost reply cannot write it twice).
        Raises errors.StoreUnavailable."""
        self._calls.create_all([(self._db.collection(ACTIONS_COLLECTION).document(),
                                 audit_entry(action, caller, target=target, before=before,
                                             after=after, at=self._clock()))])


def audit_entry(action: str, caller: Caller, *, target: dict[str, Any], before: dict[str, Any],
                after: dict[str, Any], at: datetime) -> dict[str, Any]:
    """An `admin_actions` record, for adapters that write one in their own commit."""
    entry: dict[str, Any] = {"action": action, "adminUid": caller.uid, "target": target,
                             "before": before, "after": after, "at": at}
    if caller.email:
        entry["adminEmail"] = caller.email
    return entry
