"""cloudbuild.yaml, read as Cloud Build reads it: the deploy step makes functions/venv with
Python 3.11 in the same step (and image) that runs `firebase deploy`, with the Firebase CLI
that tests/deploy pins, after a step that runs scripts/test."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.deploy import firebase_cli as cli

CLOUDBUILD = Path(__file__).resolve().parents[2] / "cloudbuild.yaml"
PINNED_FIREBASE = "tests/deploy/node_modules/.bin/firebase"
# Substitutions Cloud Build always provides; any other $NAME in args fails the build (or,
# meant for the shell, is silently replaced): shell variables must be written $$NAME.
BUILT_IN_SUBSTITUTIONS = {"PROJECT_ID", "PROJECT_NUMBER", "BUILD_ID", "LOCATION",
                          "TRIGGER_NAME", "COMMIT_SHA", "SHORT_SHA", "REVISION_ID",
                          "REPO_NAME", "REPO_FULL_NAME", "BRANCH_NAME", "TAG_NAME",
                          "REF_NAME", "TRIGGER_BUILD_CONFIG_PATH", "SERVICE_ACCOUNT_EMAIL",
                          "SERVICE_ACCOUNT"}


def steps() -> list[dict[str, Any]]:
    return list(yaml.safe_load(CLOUDBUILD.read_text())["steps"])


def commands(step: dict[str, Any]) -> list[str]:
    """The shell commands of a step (`script:`, or `args` of a `bash -c`), one per line,
    continuation lines joined and comments dropped."""
    text = step.get("script") or "\n".join(str(arg) for arg in step.get("args", []))
    text = re.sub(r"\\\n\s*", " ", text)
    lines = (re.sub(r"(^|\s)#.*$", "", line).strip() for line in text.splitlines())
    return [line for line in lines if line]


def first_index(lines: list[str], pattern: str) -> int | None:
    return next((i for i, line in enumerate(lines) if re.search(pattern, line)), None)


def step_running(pattern: str) -> tuple[int, dict[str, Any]]:
    found = [(i, step) for i, step in enumerate(steps())
             if first_index(commands(step), pattern) is not None]
    assert len(found) == 1, f"expected one step running {pattern!r}, found {len(found)}"
    return found[0]


def deploy_step() -> tuple[int, dict[str, Any]]:
    return step_running(r"\bfirebase deploy\b")


def test_the_deploy_step_makes_functions_venv_with_python_311_before_deploying() -> None:
    _, step = deploy_step()
    lines = commands(step)
    venv = first_index(lines, r"\bpython3\.11 -m venv functions/venv\b")
    install = first_index(lines, r"^functions/venv/bin/(python -m )?pip install .*"
                                 r"-r functions/requirements\.txt\b")
    deploy = first_index(lines, r"\bfirebase deploy\b")
    assert venv is not None, "the deploy step does not run `python3.11 -m venv functions/venv`"
    assert install is not None, "the deploy step does not install functions/requirements.txt " \
                                "into functions/venv"
    assert deploy is not None
    assert venv < install < deploy


def test_the_deploy_image_has_python_311_and_gets_node_20_or_later() -> None:
    _, step = deploy_step()
    image = str(step["name"])
    installs = " ".join(line for line in commands(step) if line.startswith("apt-get install"))
    assert image.startswith("python:3.11") or "python3.11" in installs, \
        f"the deploy step's image {image} has no python3.11 and does not install it"
    script = "\n".join(commands(step))
    node_major = re.match(r"node:(\d+)", image) or (
        re.search(r"deb\.nodesource\.com/node_(\d+)\.x", script) if "nodejs" in installs
        else None)
    assert node_major is not None, "the deploy step neither uses a node image nor installs " \
                                   "Node.js from NodeSource"
    assert int(node_major[1]) >= 20, "Firebase CLI 15 needs Node.js 20 or later"


def test_no_other_step_builds_functions_venv() -> None:
    index, _ = deploy_step()
    builders = [step.get("id", i) for i, step in enumerate(steps())
                if i != index and "functions/venv" in "\n".join(commands(step))]
    assert builders == [], "functions/venv must be made where `firebase deploy` runs"


def test_the_deploy_uses_the_pinned_firebase_cli() -> None:
    _, step = deploy_step()
    lines = commands(step)
    install = first_index(lines, r"^npm ci (.* )?--prefix tests/deploy\b|"
                                 r"^\(?cd tests/deploy && npm ci\b")
    deploy = first_index(lines, rf"^{re.escape(PINNED_FIREBASE)} deploy\b")
    assert install is not None, "the deploy step does not `npm ci --prefix tests/deploy`"
    assert deploy is not None, f"the deploy step does not run {PINNED_FIREBASE} deploy"
    assert install < deploy


def test_any_firebase_tools_version_named_is_the_pinned_one() -> None:
    text = CLOUDBUILD.read_text()
    named = set(re.findall(r"firebase-tools@([\w.^~-]+)", text))
    assert named <= {cli.pinned_version()}, \
        f"cloudbuild.yaml names firebase-tools {named}; tests pin {cli.pinned_version()}"
    assert not re.search(r"npm (i|install) (-g|--global)\b.*firebase-tools", text)


def test_the_pin_is_exact_and_locked() -> None:
    # A range would let `npm ci` in the build and the tested install disagree after an edit.
    assert re.fullmatch(r"\d+\.\d+\.\d+", cli.pinned_version())
    assert cli.locked_version() == cli.pinned_version()


def test_scripts_test_runs_before_the_deploy() -> None:
    test_index, _ = step_running(r"(^|&&\s*|;\s*)(\./)?scripts/test\b")
    deploy_index, deploy = deploy_step()
    assert test_index < deploy_index
    # Steps run in order unless waitFor says otherwise; "-" would start the deploy at once.
    assert "-" not in deploy.get("waitFor", [])


@pytest.mark.parametrize("step_id", [step.get("id", str(i)) for i, step in enumerate(steps())])
def test_args_use_only_built_in_substitutions(step_id: str) -> None:
    step = next(s for i, s in enumerate(steps()) if s.get("id", str(i)) == step_id)
    text = "\n".join(str(arg) for arg in step.get("args", [])).replace("$$", "")
    names = set(re.findall(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)", text))
    assert names <= BUILT_IN_SUBSTITUTIONS, f"unescaped $ in step {step_id}: {names}"
