"""Where "store these QR files" work goes.

Production: a Cloud Tasks queue in front of the `store_qr_batch` task function (Cloud Tasks
persists the task and retries it with back-off). Local run and tests: a worker thread that
runs the same use case with retries. Either way a record keeps `stored = False` until its
file is really stored, and the sweeper re-enqueues such records, so nothing is lost even
if an enqueue or a worker dies.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable

log = logging.getLogger(__name__)


class CloudTasksStoreQueue:
    def __init__(self, function_name: str, region: str, project_id: str) -> None:
        self._resource = f"projects/{project_id}/locations/{region}/functions/{function_name}"

    def enqueue(self, qr_ids: Iterable[str]) -> None:
        from firebase_admin import functions

        functions.task_queue(self._resource).enqueue({"qr_ids": list(qr_ids)})


class InProcessStoreQueue:
    """One daemon worker; failed batches are retried with back-off, then left to the sweeper."""

    def __init__(self, handler: Callable[[list[str]], object], *, max_attempts: int = 5,
                 backoff_s: float = 0.2) -> None:
        self._handler = handler
        self._max_attempts = max_attempts
        self._backoff_s = backoff_s
        self._queue: queue.Queue[tuple[list[str], int]] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def enqueue(self, qr_ids: Iterable[str]) -> None:
        batch = list(qr_ids)
        if not batch:
            return
        self._ensure_worker()
        self._queue.put((batch, 1))

    def drain(self, timeout_s: float = 60.0) -> bool:
        """Wait until every queued batch has been handled (tests and the local run)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._queue.unfinished_tasks == 0:
                return True
            time.sleep(0.02)
        return False

    def _ensure_worker(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._work, name="qr-store-worker",
                                                daemon=True)
                self._thread.start()

    def _work(self) -> None:
        while True:
            batch, attempt = self._queue.get()
            try:
                self._handler(batch)
            except Exception as err:
                if attempt < self._max_attempts:
                    log.warning("storing %d QR files failed (attempt %d): %s; retrying",
                                len(batch), attempt, err)
                    time.sleep(self._backoff_s * 2 ** (attempt - 1))
                    self._queue.put((batch, attempt + 1))
                else:
                    log.error("storing %d QR files failed %d times; the sweeper will retry",
                              len(batch), attempt)
            finally:
                self._queue.task_done()
