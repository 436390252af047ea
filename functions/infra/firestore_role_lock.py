"""One role change at a time, across instances (roles.ports.RoleLock): a lease on
`system_config/roles_lock` ({owner, until}), taken and given back in optimistic
transactions. A holder that dies leaves a lease that runs out after `lease_s`; a caller
waits at most `wait_s` for it, then is told the database is busy (503, try again)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from google.cloud import firestore

from errors import StoreBusy
from infra.firestore_calls import Doc, FirestoreCalls, Write

LOCK_PATH = "system_config/roles_lock"
_POLL_S = 0.1


class FirestoreRoleLock:
    def __init__(self, client: firestore.Client, clock: Callable[[], datetime], *,
                 lease_s: float = 30.0, wait_s: float = 8.0) -> None:
        self._ref = client.document(LOCK_PATH)
        self._clock = clock
        self._lease = timedelta(seconds=lease_s)
        self._wait_s = wait_s
        self._calls = FirestoreCalls(client, rpc_timeout_s=5.0, unavailable_budget_s=5.0,
                                     max_attempts=20)

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        owner = uuid.uuid4().hex
        self._take(owner)
        try:
            yield
        finally:
            self._give_back(owner)

    def _take(self, owner: str) -> None:
        deadline = time.monotonic() + self._wait_s

        def plan(docs: list[Doc]) -> tuple[list[Write], bool]:
            (lock,) = docs
            now = self._clock()
            until = (lock.data or {}).get("until")
            if isinstance(until, datetime) and until > now and \
                    (lock.data or {}).get("owner") != owner:
                return [], False
            return [(lock, {"owner": owner, "until": now + self._lease, "takenAt": now})], True

        while not self._calls.optimistic([self._ref], plan, deadline=deadline):
            if time.monotonic() >= deadline:
                raise StoreBusy(detail="Another role change holds the lock.")
            time.sleep(_POLL_S)

    def _give_back(self, owner: str) -> None:
        def plan(docs: list[Doc]) -> tuple[list[Write], None]:
            (lock,) = docs
            mine = (lock.data or {}).get("owner") == owner
            return ([(lock, None)] if mine else []), None

        self._calls.optimistic([self._ref], plan)
