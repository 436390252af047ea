"""One time budget for all the database calls of a request.

A request may call Firestore several times (read a session, then write its scans; read the
settings, then the month ...). Each call is bounded on its own (infra/firestore_calls.py),
but an unreachable database must cost the caller one budget, not one per call: the HTTP
boundary (infra/http_boundary.py) sets the request's deadline here, and every Firestore
call cuts its own to it, or fails at once when it has passed. No SDK is imported here, so
every function can set it at no cost.
"""

from __future__ import annotations

import contextvars
import time
from collections.abc import Iterator
from contextlib import contextmanager

# Every HTTP function, callable and task queue function answers a database outage within
# 15 s (503): the database gets 10 of them, the rest is the platform's and the reply's.
REQUEST_STORE_BUDGET_S = 10.0

_DEADLINE: contextvars.ContextVar[float | None] = contextvars.ContextVar(
    "request_store_deadline", default=None)


@contextmanager
def request_deadline(seconds: float = REQUEST_STORE_BUDGET_S) -> Iterator[None]:
    """Every database call made inside gives up `seconds` from now at the latest (an outer
    deadline stays when it is sooner). Threads started inside inherit it only when they run
    in a copy of this context (contextvars.copy_context)."""
    end = time.monotonic() + seconds
    outer = _DEADLINE.get()
    token = _DEADLINE.set(end if outer is None else min(end, outer))
    try:
        yield
    finally:
        _DEADLINE.reset(token)


def cut_to_request(deadline: float | None) -> float | None:
    """`deadline` (monotonic time, None: none), cut short by the current request's."""
    request = _DEADLINE.get()
    if request is None:
        return deadline
    return request if deadline is None else min(deadline, request)
