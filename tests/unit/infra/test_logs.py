"""Log lines: one JSON entry per line for Cloud Logging (severity, message, fields), a
readable line locally, and the fields of the work in hand on every line."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

from infra.logs import CloudLoggingFormatter, ReadableFormatter, configure_logging
from log_fields import current_fields, log_fields

REPO = Path(__file__).resolve().parents[3]


def record(message: str, level: int = logging.INFO, exc_info: object = None
           ) -> logging.LogRecord:
    return logging.LogRecord("moderation.uploaded_images", level, __file__, 1, message, (),
                             exc_info)  # type: ignore[arg-type]


def test_a_json_line_has_severity_message_logger_and_the_fields_in_hand() -> None:
    with log_fields(bucket="b", object="uploads/ş.png", event_id="e1", qr_id=None):
        line = CloudLoggingFormatter().format(record("Vision gave no verdict", logging.WARNING))
    assert "\n" not in line
    assert json.loads(line) == {"severity": "WARNING", "message": "Vision gave no verdict",
                                "logger": "moderation.uploaded_images", "bucket": "b",
                                "object": "uploads/ş.png", "event_id": "e1"}


def test_an_exception_s_traceback_goes_into_the_message() -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        line = CloudLoggingFormatter().format(record("failed", logging.ERROR, sys.exc_info()))
    entry = json.loads(line)
    assert entry["severity"] == "ERROR"
    assert entry["message"].startswith("failed\nTraceback")
    assert "RuntimeError: boom" in entry["message"]


def test_a_readable_line_puts_the_fields_after_the_message() -> None:
    formatter = ReadableFormatter()
    assert formatter.format(record("plain")) == "INFO moderation.uploaded_images: plain"
    with log_fields(qr_id="BOLT-8-abc", part_code="BOLT-8"):
        assert formatter.format(record("stored")) == (
            "INFO moderation.uploaded_images: stored  [part_code=BOLT-8 qr_id=BOLT-8-abc]")


def test_fields_nest_and_do_not_leak_between_threads() -> None:
    seen: dict[str, dict[str, str]] = {}

    def other() -> None:
        seen["other"] = current_fields()

    with log_fields(bucket="b"):
        with log_fields(object="o"):
            seen["inner"] = current_fields()
            thread = threading.Thread(target=other)
            thread.start()
            thread.join()
        seen["outer"] = current_fields()
    assert seen == {"inner": {"bucket": "b", "object": "o"}, "outer": {"bucket": "b"},
                    "other": {}}
    assert current_fields() == {}


def test_configure_logging_leaves_a_configured_logger_alone_unless_forced() -> None:
    root = logging.getLogger()
    before = list(root.handlers)
    stream = io.StringIO()
    try:
        configure_logging(structured=True, stream=stream)  # pytest already configured it
        assert root.handlers == before
        configure_logging(structured=True, stream=stream, force=True)
        configure_logging(structured=True, stream=stream, force=True)  # idempotent
        assert len(root.handlers) == 1
        logging.getLogger("x").info("hello")
        assert json.loads(stream.getvalue()) == {"severity": "INFO", "message": "hello",
                                                 "logger": "x"}
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in before:
            root.addHandler(handler)


def test_main_writes_json_lines_when_asked() -> None:
    code = ("import logging, main\n"
            "from log_fields import log_fields\n"
            "with log_fields(bucket='b', month='2026_11'):\n"
            "    logging.getLogger('moderation.rechecks').warning('queued %d', 3)\n")
    env = {**os.environ, "LOG_FORMAT": "json", "PYTHONPATH": f"{REPO / 'functions'}:{REPO}"}
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=REPO, capture_output=True,
                         text=True, timeout=60, check=True)
    lines = [json.loads(line) for line in out.stdout.splitlines() if line.startswith("{")]
    assert {"severity": "WARNING", "message": "queued 3", "logger": "moderation.rechecks",
            "bucket": "b", "month": "2026_11"} in lines
