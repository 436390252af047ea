"""Where deferred work goes: Cloud Tasks in production, a worker pool in the local run.

Production: a Cloud Tasks queue in front of a task queue function (firebase-functions
`tasks_fn.on_task_dispatched`); Cloud Tasks persists each task, delays it when asked and
retries it with the back-off declared on the function. Local run and tests:
`InProcessTaskQueue` does the same in this process (delays, retries with exponential
back-off, a few workers), so the same use cases run in both places. Either way the work
is also recorded in Firestore, and a scheduled sweep re-enqueues what a queue lost.
"""

from __future__ import annotations

import heapq
import itertools
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)


class CloudTasksQueue:
    """Enqueue onto the Cloud Tasks queue of a task queue function."""

    def __init__(self, function_name: str, region: str, project_id: str) -> None:
        self._resource = f"projects/{project_id}/locations/{region}/functions/{function_name}"

    def enqueue(self, payload: dict[str, Any], delay_s: float = 0.0) -> None:
        from firebase_admin import functions

        options = (functions.TaskOptions(schedule_delay_seconds=max(1, round(delay_s)))
                   if delay_s > 0 else None)
        functions.task_queue(self._resource).enqueue(payload, options)


class InProcessTaskQueue:
    """Cloud Tasks' behaviour in one process: delayed tasks, retried with back-off."""

    def __init__(self, handler: Callable[[dict[str, Any]], object], *, name: str,
                 workers: int = 1, max_attempts: int = 5, min_backoff_s: float = 0.2,
                 max_backoff_s: float = 10.0) -> None:
        if workers < 1 or max_attempts < 1 or min_backoff_s < 0 or max_backoff_s < 0:
            raise ValueError("workers and max_attempts must be >= 1, back-offs >= 0")
        self._handler = handler
        self._name = name
        self._workers = workers
        self._max_attempts = max_attempts
        self._min_backoff_s = min_backoff_s
        self._max_backoff_s = max_backoff_s
        self._due: list[tuple[float, int, dict[str, Any], int]] = []
        self._order = itertools.count()
        self._running = 0
        self._cond = threading.Condition()
        self._threads: list[threading.Thread] = []
        self._closed = False

    def enqueue(self, payload: dict[str, Any], delay_s: float = 0.0) -> None:
        self._push(payload, 1, delay_s)

    def drain(self, timeout_s: float = 60.0) -> bool:
        """Wait until no task is waiting or running (tests and the local run)."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            while self._due or self._running:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._cond.wait(min(remaining, 0.05))
        return True

    def close(self) -> None:
        """Drop what is waiting and stop the workers after their current task (tests build
        a fresh queue per case; a leftover task must not run against the next one)."""
        with self._cond:
            self._closed = True
            self._due.clear()
            self._cond.notify_all()

    def wait_closed(self, timeout_s: float = 10.0) -> bool:
        """After close: wait until every worker has stopped (its last task done)."""
        deadline = time.monotonic() + timeout_s
        with self._cond:
            threads = list(self._threads)
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(thread.is_alive() for thread in threads)

    def pending(self) -> int:
        with self._cond:
            return len(self._due) + self._running

    def _push(self, payload: dict[str, Any], attempt: int, delay_s: float) -> None:
        with self._cond:
            if self._closed:
                return
            heapq.heappush(self._due, (time.monotonic() + max(0.0, delay_s),
                                       next(self._order), payload, attempt))
            self._threads = [t for t in self._threads if t.is_alive()]
            while len(self._threads) < self._workers:
                thread = threading.Thread(target=self._work, daemon=True,
                                          name=f"{self._name}-{len(self._threads)}")
                self._threads.append(thread)
                thread.start()
            self._cond.notify_all()

    def _next(self) -> tuple[dict[str, Any], int] | None:
        with self._cond:
            while True:
                if self._closed:
                    return None
                if self._due and self._due[0][0] <= time.monotonic():
                    _, _, payload, attempt = heapq.heappop(self._due)
                    self._running += 1
                    return payload, attempt
                wait = self._due[0][0] - time.monotonic() if self._due else None
                self._cond.wait(wait)

    def _work(self) -> None:
        while True:
            task = self._next()
            if task is None:
                return
            payload, attempt = task
            try:
                self._handler(payload)
            except Exception as err:
                if attempt < self._max_attempts:
                    backoff = min(self._max_backoff_s,
                                  self._min_backoff_s * 2 ** (attempt - 1))
                    log.warning("%s task failed (attempt %d): %s; retrying in %.1f s",
                                self._name, attempt, err, backoff)
                    self._push(payload, attempt + 1, backoff)
                else:
                    log.error("%s task failed %d times; the sweep will pick it up",
                              self._name, attempt)
            finally:
                with self._cond:
                    self._running -= 1
                    self._cond.notify_all()
