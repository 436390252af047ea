"""The budget alerts' records in Firestore (moderation/budget_alerts.py, BudgetAlertRecords).

Documents:
  budget_alerts/{key}                   one per (budget, cost interval, action, share) that
                                        acted: the alert's facts, result, at. Server-only
                                        (no rule matches it: clients never read it).
  admin_notifications/budget-{key}      kind "vision_budget": what admins are told.

Both are created in one atomic batch of creates, so the first delivery of an alert writes
them and any other (a repeat, or a twin arriving at the same moment) gets AlreadyExists
and writes nothing: idempotent without a lock. Every call is bounded (infra/firestore_calls:
explicit RPC timeouts, no SDK retries, a few seconds of retries of transient errors) and
raises StoreUnavailable when Firestore cannot be reached.
"""

from __future__ import annotations

import random
import time
from typing import Any

from google.cloud import firestore

from errors import StoreBusy
from infra.firestore_calls import FirestoreCalls
from infra.firestore_vision_ledger import NOTIFICATIONS_COLLECTION

BUDGET_ALERTS_COLLECTION = "budget_alerts"


class FirestoreBudgetAlerts:
    def __init__(self, client: firestore.Client, *, rpc_timeout_s: float = 10.0,
                 unavailable_budget_s: float = 5.0, max_attempts: int = 5) -> None:
        self._calls = FirestoreCalls(client, rpc_timeout_s=rpc_timeout_s,
                                     unavailable_budget_s=unavailable_budget_s,
                                     max_attempts=max_attempts)
        self._db = client
        self._budget_s = unavailable_budget_s + rpc_timeout_s
        self._max_attempts = max_attempts

    def _record_ref(self, key: str) -> firestore.DocumentReference:
        return self._db.collection(BUDGET_ALERTS_COLLECTION).document(key)

    def _notice_ref(self, key: str) -> firestore.DocumentReference:
        return self._db.collection(NOTIFICATIONS_COLLECTION).document(f"budget-{key}")

    def seen(self, key: str) -> bool:
        (record,) = self._calls.read_view([self._record_ref(key)])
        return record.exists

    def record_once(self, key: str, record: dict[str, Any], notice: dict[str, Any]) -> bool:
        deadline = time.monotonic() + self._budget_s
        for attempt in range(self._max_attempts):
            if self._calls.create_all([(self._record_ref(key), record),
                                       (self._notice_ref(key), notice)], deadline=deadline):
                return True
            # Not created: someone else did (the usual case), or the emulator aborted the
            # batch under contention; only the record itself tells which.
            if self.seen(key):
                return False
            time.sleep(random.uniform(0, min(0.5, 0.05 * 2 ** attempt)))
        raise StoreBusy(detail="Could not record the budget alert (repeated contention).")
