"""Fixtures shared by the unit tests."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest


@pytest.fixture
def server_in_tokyo(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A server whose local time is not UTC: rules that must count by UTC (or by the
    configured zone) may not lean on the process's own."""
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()
