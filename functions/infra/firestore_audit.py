"""The audit trail (`admin_actions/{id}`) behind roles.ports.AuditLog, in the shape the
Vision admin changes write too: action, adminUid, adminEmail, target, before, after, at."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from google.api_core import exceptions as gexc
from google.cloud import firestore

from identity import Caller
from roles.ports import AuditUnavailable

ACTIONS_COLLECTION = "admin_actions"


class FirestoreAuditLog:
    def __init__(self, client: firestore.Client, clock: Callable[[], datetime], *,
                 timeout_s: float = 10.0) -> None:
        self._db = client
        self._clock = clock
        self._timeout_s = timeout_s

    def record(self, action: str, caller: Caller, *, target: dict[str, Any],
               before: dict[str, Any], after: dict[str, Any]) -> None:
        entry: dict[str, Any] = {"action": action, "adminUid": caller.uid, "target": target,
                                 "before": before, "after": after, "at": self._clock()}
        if caller.email:
            entry["adminEmail"] = caller.email
        try:
            self._db.collection(ACTIONS_COLLECTION).document().set(
                entry, retry=None, timeout=self._timeout_s)
        except gexc.GoogleAPICallError as err:
            raise AuditUnavailable(f"admin_actions refused the record "
                                   f"({type(err).__name__}).") from err
