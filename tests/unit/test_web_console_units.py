"""The web console's own unit tests (web/test/*.test.mjs: the scan queue, the catalogs'
keys and placeholders), run with Node's test runner so the README's test command runs them."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_the_web_consoles_node_tests_pass() -> None:
    files = sorted((REPO / "web" / "test").glob("*.test.mjs"))
    assert files, "no web/test/*.test.mjs found"
    run = subprocess.run(["node", "--test", *map(str, files)], cwd=REPO / "web",
                         capture_output=True, text=True, timeout=120)
    report = run.stdout + run.stderr
    assert run.returncode == 0, report
    passed = re.search(r"^# pass (\d+)$", report, re.MULTILINE)
    assert passed and int(passed.group(1)) > 0, report
