"""devtools.tokens: the project a token is minted for, and where it came from."""

from __future__ import annotations

import base64
import json
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools import tokens
from devtools.tokens import mint_id_token, resolve_project

REPO = Path(__file__).resolve().parents[2]


def payload(token: str) -> dict:
    segment = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def write_run(path: Path, project: str, base: str = "http://127.0.0.1:1") -> Path:
    path.write_text(json.dumps({"base": base, "project": project, "bucket": "b"}))
    return path


@pytest.fixture
def listening() -> Iterator[str]:
    """A base URL where something accepts connections, standing in for a live run."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        yield f"http://127.0.0.1:{server.getsockname()[1]}"


def test_the_local_runs_project_comes_first(tmp_path):
    run = write_run(tmp_path / "run.json", "demo-from-run")
    project, source = resolve_project(None, run_info=run,
                                      env={"GOOGLE_CLOUD_PROJECT": "demo-from-env"})
    assert project == "demo-from-run"
    assert str(run) in source and "does not answer" in source


def test_a_live_run_is_named_as_such(tmp_path, listening):
    run = write_run(tmp_path / "run.json", "demo-live", base=listening)
    project, source = resolve_project(None, run_info=run, env={})
    assert project == "demo-live"
    assert source == f"{run}, the local run at {listening}"


def test_without_a_run_the_environment_then_the_default(tmp_path):
    missing = tmp_path / "none.json"
    assert resolve_project(None, run_info=missing, env={"GOOGLE_CLOUD_PROJECT": "demo-env"}
                           )[0] == "demo-env"
    project, source = resolve_project(None, run_info=missing, env={})
    assert project == "demo-inventory" and "default" in source


def test_project_overrides_everything(tmp_path):
    run = write_run(tmp_path / "run.json", "demo-from-run")
    assert resolve_project("demo-x", run_info=run, env={"GOOGLE_CLOUD_PROJECT": "demo-y"}
                           ) == ("demo-x", "--project")


def test_a_damaged_run_file_is_ignored_with_a_word(tmp_path, capsys):
    run = tmp_path / "run.json"
    run.write_text("{half written")
    assert resolve_project(None, run_info=run, env={})[0] == "demo-inventory"
    assert f"ignoring {run}" in capsys.readouterr().err


def test_stdout_is_only_the_token_and_stderr_says_where_the_project_came_from(
        tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "demo-env")
    run = write_run(tmp_path / "run.json", "demo-from-run")
    tokens.main(["alice", "--admin", "--run-info", str(run)])
    out, err = capsys.readouterr()
    claims = payload(out.strip())
    assert out.count("\n") == 1 and out.count(".") == 2
    assert claims["aud"] == "demo-from-run" and claims["sub"] == "alice"
    assert claims["admin"] is True
    assert err.startswith("tokens: project demo-from-run (from ") and str(run) in err


def test_the_command_line_as_the_readme_runs_it(tmp_path):
    """`TOKEN=$(python -m devtools.tokens alice)` captures just the token."""
    run = write_run(tmp_path / "run.json", "demo-cli")
    done = subprocess.run([sys.executable, "-m", "devtools.tokens", "alice", "--run-info",
                           str(run)], cwd=REPO, capture_output=True, text=True, check=True)
    assert payload(done.stdout.strip())["aud"] == "demo-cli"
    assert "demo-cli" in done.stderr


def test_the_python_api_is_unchanged(monkeypatch):
    # Tests mint for the project they set up, never for a developer's running local run.
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "demo-api")
    assert payload(mint_id_token("u"))["aud"] == "demo-api"
    claims = payload(mint_id_token("u", project_id="demo-p", email="u@example.com"))
    assert claims["aud"] == "demo-p"
    assert claims["iss"] == "https://securetoken.google.com/demo-p"
    assert claims["email"] == "u@example.com" and "admin" not in claims
