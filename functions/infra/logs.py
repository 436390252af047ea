"""Log lines Cloud Logging understands, and that a person can read in the local run.

In Cloud Functions every line written to stdout as one JSON object becomes a structured
entry: `severity` sets the level, `message` the text, and the other keys become fields
(jsonPayload) to filter on: the fields of log_fields.py (bucket, object, event_id, qr_id,
month...) and the logger's name. An exception's traceback goes into the message, where
Error Reporting finds it. Locally the same fields follow the message as `key=value`.
"""

from __future__ import annotations

import json
import logging
import sys
from typing import TextIO

from log_fields import current_fields

_HANDLER_MARK = "_inventory_moderation_handler"


class CloudLoggingFormatter(logging.Formatter):
    """One JSON object per line, in the shape Cloud Logging's agent parses."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        if record.exc_info:
            message = f"{message}\n{self.formatException(record.exc_info)}"
        entry = {**current_fields(), "severity": record.levelname, "message": message,
                 "logger": record.name}
        return json.dumps(entry, ensure_ascii=False, default=str)


class ReadableFormatter(logging.Formatter):
    """`LEVEL logger: message  [key=value ...]` for a terminal."""

    def __init__(self) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = current_fields()
        if not fields:
            return line
        first, _, rest = line.partition("\n")
        extra = " ".join(f"{k}={v}" for k, v in sorted(fields.items()))
        return f"{first}  [{extra}]" + (f"\n{rest}" if rest else "")


def configure_logging(*, structured: bool, stream: TextIO | None = None,
                      level: int = logging.INFO, force: bool = False) -> None:
    """Send the root logger's lines to `stream` (stdout) in the chosen format.

    Leaves logging alone when someone already configured it (pytest, an embedding
    program) unless `force`; safe to call again (main.py is imported once per function by
    functions-framework)."""
    root = logging.getLogger()
    ours = [h for h in root.handlers if getattr(h, _HANDLER_MARK, False)]
    if ours or (root.handlers and not force):
        return
    handler = logging.StreamHandler(stream or sys.stdout)
    handler.setFormatter(CloudLoggingFormatter() if structured else ReadableFormatter())
    setattr(handler, _HANDLER_MARK, True)
    if force:
        for old in list(root.handlers):
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
