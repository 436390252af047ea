"""Where "store these QR files" work goes: the StoreQueue port over a task queue.

Production: the Cloud Tasks queue of the `storeQrBatch` task function. Local run and
tests: an in-process queue running the same use case with retries. Either way a record
keeps `stored = False` until its file is really stored, and the sweeper re-enqueues such
records, so nothing is lost even if an enqueue or a worker dies.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol


class TaskQueue(Protocol):
    def enqueue(self, payload: dict[str, Any], delay_s: float = 0.0) -> None: ...


class TaskStoreQueue:
    """qr.ports.StoreQueue: one task per batch of QR ids."""

    def __init__(self, tasks: TaskQueue) -> None:
        self._tasks = tasks

    def enqueue(self, qr_ids: Iterable[str]) -> None:
        batch = list(qr_ids)
        if batch:
            self._tasks.enqueue({"qr_ids": batch})

    def close(self) -> None:
        close = getattr(self._tasks, "close", None)
        if close is not None:
            close()

    def drain(self, timeout_s: float = 60.0) -> bool:
        """Wait for an in-process queue to finish (tests and the local run)."""
        drain = getattr(self._tasks, "drain", None)
        return bool(drain(timeout_s)) if drain is not None else True
