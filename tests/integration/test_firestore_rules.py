"""Firestore security rules, checked against the session's Firestore emulator.

The rules themselves are exercised by tests/rules/*.test.mjs with the Firebase JS SDK a client
app uses (node's test runner, @firebase/rules-unit-testing, project "demo-rules"). This module
runs that suite, and checks the two facts the rest of the test suite relies on: rules are
loaded per project in the emulator, and the server's google-cloud-firestore client (the
functions' Admin-style access) is not subject to them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
RULES_FILE = REPO_ROOT / "firestore.rules"
RULES_TESTS = REPO_ROOT / "tests" / "rules"
NODE_TIMEOUT_S = 300

# Distinct from the node suite's "demo-rules" and the Python tests' "demo-test".
BYPASS_PROJECT = "demo-rules-bypass"
QUOTA_DOC = "vision_api_quota/2026_11"

pytestmark = pytest.mark.emulator


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail("Node.js (20 or later) is needed for the security-rules tests and was not "
                    "found on PATH; install it, then run scripts/setup.")
    return node


def _rules_test_files() -> list[str]:
    if not (RULES_TESTS / "node_modules").is_dir():
        pytest.fail("tests/rules/node_modules is missing: run scripts/setup "
                    "(it runs `npm ci` in tests/rules).")
    files = sorted(str(p.relative_to(REPO_ROOT)) for p in RULES_TESTS.glob("*.test.mjs"))
    assert files, "no tests/rules/*.test.mjs found"
    return files


def test_security_rules_suite_passes(emulator: object) -> None:
    node = _node()
    files = _rules_test_files()
    env = {**os.environ, "FIRESTORE_EMULATOR_HOST": emulator.host}  # type: ignore[attr-defined]
    # Files, not the folder: node 21+ treats a folder argument as a module to import.
    try:
        result = subprocess.run(
            [node, "--test", *files], cwd=REPO_ROOT, env=env, capture_output=True,
            text=True, timeout=NODE_TIMEOUT_S, check=False,
        )
    except subprocess.TimeoutExpired as exc:
        pytest.fail(f"the rules tests did not finish within {NODE_TIMEOUT_S} s:\n{exc.stdout}")
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"node --test failed ({result.returncode}):\n{output}"
    # A suite that silently ran nothing would also exit 0.
    assert "# fail 0" in output
    assert "# pass 0" not in output


# -- what the rest of the suite relies on -------------------------------------------------


def _emulator_request(host: str, method: str, path: str, body: dict | None = None) -> int:
    """An HTTP call with no Authorization header: to the rules, a signed-out client."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        f"http://{host}{path}", data=data, method=method,
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _document_path(project: str, document: str) -> str:
    return f"/v1/projects/{project}/databases/(default)/documents/{document}"


@pytest.fixture
def rules_project(emulator: object) -> Iterator[str]:
    host = emulator.host  # type: ignore[attr-defined]
    status = _emulator_request(
        host, "PUT", f"/emulator/v1/projects/{BYPASS_PROJECT}:securityRules",
        {"rules": {"files": [{"name": "firestore.rules", "content": RULES_FILE.read_text()}]}},
    )
    assert status == 200, f"loading the rules failed with HTTP {status}"
    emulator.clear(BYPASS_PROJECT)  # type: ignore[attr-defined]
    yield BYPASS_PROJECT
    emulator.clear(BYPASS_PROJECT)  # type: ignore[attr-defined]


def test_rules_bind_a_signed_out_client_only_in_their_project(
    emulator: object, rules_project: str
) -> None:
    host = emulator.host  # type: ignore[attr-defined]
    reset = {"fields": {"usageCount": {"integerValue": "0"}}}

    # In the project the rules were loaded into, a signed-out client is refused...
    assert _emulator_request(host, "GET", _document_path(rules_project, QUOTA_DOC)) == 403
    assert _emulator_request(host, "PATCH", _document_path(rules_project, QUOTA_DOC),
                             reset) == 403

    # ...while the Python tests' project has no rules loaded: the same read is let through
    # (404: allowed, and nothing there). Read-only, so it disturbs no other test.
    other = os.environ["GOOGLE_CLOUD_PROJECT"]
    assert other != rules_project
    assert _emulator_request(host, "GET", _document_path(other, "_rules_probe/none")) == 404


def test_server_client_bypasses_the_rules(emulator: object, rules_project: str) -> None:
    from google.cloud import firestore

    # google-cloud-firestore sends "Authorization: Bearer owner" to the emulator, as the
    # Admin SDK's service account is trusted in production: the rules do not apply to it.
    client = firestore.Client(project=rules_project)
    quota = client.document(QUOTA_DOC)
    quota.set({"monthKey": "2026_11", "usageCount": 950, "limit": 1000})
    quota.update({"usageCount": firestore.Increment(1)})
    assert quota.get().to_dict()["usageCount"] == 951
    client.document("image_analysis/0f3a9c").set({"verdict": "allowed"})
    assert client.document("image_analysis/0f3a9c").get().exists
    quota.delete()
    assert not quota.get().exists

    # The same document stays closed to a signed-out client while it exists.
    quota.set({"usageCount": 1})
    assert _emulator_request(emulator.host, "GET",  # type: ignore[attr-defined]
                             _document_path(rules_project, QUOTA_DOC)) == 403
