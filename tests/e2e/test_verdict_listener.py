"""A client waits for its verdict the way the Firebase JS SDK lets it: a listener on its own
verdict document opened before the upload receives the verdict the trigger writes, and
another user's listener is refused whether the document exists or not."""

from __future__ import annotations

import os
import select
import subprocess
import time
from pathlib import Path

import pytest

from tests.support.moderation import deliver, png_bytes, upload

RULES_TESTS = Path(__file__).resolve().parents[1] / "rules"
# The emulator keeps rules per project: loading them here leaves the other tests' project
# (which has none) alone.
PROJECT = "demo-verdicts"


@pytest.fixture
def verdicts_project(env, monkeypatch):
    """The moderation functions writing to a project of this test's own."""
    import composition

    for name in ("GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT"):
        monkeypatch.setenv(name, PROJECT)
    composition.reset()
    return env


def listener(uid: str, name: str, owner: str | None = None) -> subprocess.Popen[str]:
    if not (RULES_TESTS / "node_modules").is_dir():
        pytest.fail("tests/rules/node_modules is missing: run scripts/setup")
    return subprocess.Popen(
        ["node", "listen_for_verdict.mjs", PROJECT, uid, name,
         owner or uid],
        cwd=RULES_TESTS, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ})


def next_line(process: subprocess.Popen[str], timeout_s: float = 30.0) -> str:
    assert process.stdout is not None
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        ready, _, _ = select.select([process.stdout], [], [], deadline - time.monotonic())
        if ready:
            return process.stdout.readline().strip()
    raise AssertionError("the listener said nothing")


def test_a_listener_opened_before_the_upload_receives_the_verdict(verdicts_project, call,
                                                                 vision):
    import json

    name = "users/lena/holiday.png"
    process = listener("lena", name)
    try:
        assert next_line(process) == "listening"  # up, with no document yet
        deliver(call, upload(verdicts_project, name, png_bytes("blue")))
        verdict = json.loads(next_line(process))
        assert (verdict["status"], verdict["name"], verdict["uploaderUid"]) == (
            "approved", name, "lena")
        assert verdict["recordKey"] and verdict["generation"]
        assert process.wait(10) == 0
    finally:
        process.kill()


def test_another_users_listener_is_refused(verdicts_project, call, vision):
    process = listener("mallory", "users/lena/holiday.png", owner="lena")
    try:
        assert next_line(process) == "refused: permission-denied"
    finally:
        process.kill()
