"""The in-process task queue behaves like Cloud Tasks where the use cases can tell: tasks
wait for their delay, a failing task is retried with growing back-off, and `close` drops
what is left."""

from __future__ import annotations

import threading
import time

import pytest

from infra.task_queues import InProcessTaskQueue


def test_a_task_waits_for_its_delay() -> None:
    ran: list[float] = []
    queue = InProcessTaskQueue(lambda _p: ran.append(time.monotonic()), name="t")
    started = time.monotonic()
    queue.enqueue({"n": 1}, delay_s=0.3)
    assert queue.drain(5)
    assert ran and ran[0] - started >= 0.29


def test_later_tasks_do_not_block_earlier_ones() -> None:
    order: list[int] = []
    queue = InProcessTaskQueue(lambda p: order.append(p["n"]), name="t")
    queue.enqueue({"n": 2}, delay_s=0.4)
    queue.enqueue({"n": 1}, delay_s=0.0)
    assert queue.drain(5)
    assert order == [1, 2]


def test_a_failing_task_is_retried_with_growing_back_off_until_it_succeeds() -> None:
    attempts: list[float] = []

    def handler(_payload: dict) -> None:
        attempts.append(time.monotonic())
        if len(attempts) < 3:
            raise RuntimeError("not yet")

    queue = InProcessTaskQueue(handler, name="t", min_backoff_s=0.1, max_backoff_s=1.0)
    queue.enqueue({})
    assert queue.drain(5)
    assert len(attempts) == 3
    first_gap, second_gap = attempts[1] - attempts[0], attempts[2] - attempts[1]
    assert first_gap >= 0.09 and second_gap >= 0.19  # 0.1 s, then 0.2 s


def test_a_task_is_given_up_after_its_attempts() -> None:
    calls = []

    def handler(_payload: dict) -> None:
        calls.append(1)
        raise RuntimeError("never")

    queue = InProcessTaskQueue(handler, name="t", max_attempts=3, min_backoff_s=0.01)
    queue.enqueue({})
    assert queue.drain(5)
    assert len(calls) == 3


def test_drain_waits_for_running_tasks_and_close_drops_waiting_ones() -> None:
    release = threading.Event()
    ran: list[int] = []

    def handler(payload: dict) -> None:
        release.wait(5)
        ran.append(payload["n"])

    queue = InProcessTaskQueue(handler, name="t", workers=1)
    queue.enqueue({"n": 1})
    queue.enqueue({"n": 2}, delay_s=0.5)
    assert not queue.drain(0.2)  # task 1 is still running
    queue.close()
    assert queue.pending() == 1  # task 1 runs on; task 2 is gone
    release.set()
    assert queue.wait_closed(5)  # every worker has stopped: nothing can run any more
    assert ran == [1]  # task 2 was dropped
    queue.enqueue({"n": 3})  # a closed queue takes nothing more
    assert queue.pending() == 0


@pytest.mark.parametrize("kwargs", [{"workers": 0}, {"max_attempts": 0},
                                    {"min_backoff_s": -1}])
def test_nonsense_settings_are_refused(kwargs: dict) -> None:
    with pytest.raises(ValueError):
        InProcessTaskQueue(lambda _p: None, name="t", **kwargs)
