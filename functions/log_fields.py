"""Fields that every log line written while handling one thing should carry (bucket,
object, event id, qr_id, month...), so Cloud Logging can filter on them.

The core sets them with `with log_fields(bucket=..., object=...)` around the work for one
event or request; the log formatter (infra/logs.py) adds them to each line. A context
variable, so concurrent requests on one instance never mix their fields.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_FIELDS: ContextVar[dict[str, str]] = ContextVar("log_fields", default={})  # noqa: B039


@contextmanager
def log_fields(**fields: object) -> Iterator[None]:
    """Add `fields` (None values left out) to every log line written inside the block."""
    merged = {**_FIELDS.get(), **{k: str(v) for k, v in fields.items() if v is not None}}
    token = _FIELDS.set(merged)
    try:
        yield
    finally:
        _FIELDS.reset(token)


def current_fields() -> dict[str, str]:
    return dict(_FIELDS.get())
