"""The functions as the Firebase CLI sees them: the pinned firebase-tools' Functions emulator
loads functions/main.py with the discovery `firebase deploy` uses (offline, demo project),
and must report every function of main.py, with its trigger kind, and no error or warning.

One emulator start serves the module (about 3-5 s on a warm machine; the timeout is 90 s).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from tests.deploy import declared_functions as declared
from tests.deploy import firebase_cli as cli

# What the emulator does with each kind. Scheduled and Pub/Sub-triggered functions need the
# Pub/Sub emulator, which is a Java download that cannot run offline: the CLI still
# discovers and validates them (the manifest test below; a Pub/Sub trigger's topic param
# is resolved there), then says, on an info line, that it ignores them; anything else is
# a failure.
OUTCOME_BY_KIND = {
    declared.HTTP: "http initialized",
    declared.CALLABLE: "http initialized",
    declared.TASK_QUEUE: "http initialized",
    declared.STORAGE_EVENT: "storage initialized",
    declared.SCHEDULED: "ignored: no pubsub emulator",
    declared.PUBSUB_MESSAGE: "ignored: no pubsub emulator",
}
# Cloud Tasks queue ids (the task function's name): letters, digits and hyphens only.
QUEUE_ID = re.compile(r"[A-Za-z0-9-]{1,100}")


def _require_cli() -> None:
    if shutil.which("node") is None:
        pytest.fail("Node.js 20+ is needed to run the Firebase CLI and was not found on PATH")
    if not cli.FIREBASE_BIN.exists():
        pytest.fail(f"{cli.FIREBASE_BIN} is missing: run scripts/setup "
                    "(it runs `npm ci` in tests/deploy)")


@pytest.fixture(scope="module")
def main_kinds() -> dict[str, str]:
    return declared.kinds_from_main()


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> cli.EmulatorRun:
    """One start of the emulator, already stopped (with all its processes) when returned."""
    _require_cli()
    try:
        return cli.run_discovery(Path(tmp_path_factory.mktemp("deploy-discovery")))
    except RuntimeError as exc:
        pytest.fail(str(exc))


def _context(run: cli.EmulatorRun) -> str:
    return (f"\n--- emulator output ({run.log_path}), last lines, ready after "
            f"{run.seconds_to_ready:.1f} s ---\n{run.tail()}")


# -- what main.py declares, three ways ------------------------------------------------------

def test_readme_functions_table_lists_main_py(main_kinds: dict[str, str]) -> None:
    readme = declared.kinds_from_readme(declared.README.read_text())
    assert readme == main_kinds, "README's Functions table and functions/main.py differ"


def test_signature_types_agree_with_the_endpoints(main_kinds: dict[str, str]) -> None:
    from devtools.function_apps import function_signatures

    signatures = function_signatures()
    assert sorted(signatures) == sorted(main_kinds)
    assert {name: kind for name, kind in main_kinds.items()
            if not declared.signature_agrees(kind, signatures[name])} == {}


def test_task_queue_names_are_valid_queue_ids(main_kinds: dict[str, str]) -> None:
    queues = [name for name, kind in main_kinds.items() if kind == declared.TASK_QUEUE]
    assert queues, "main.py declares no task queue function"
    assert [name for name in queues if not QUEUE_ID.fullmatch(name)] == []


# -- what the Firebase CLI makes of it -------------------------------------------------------

def test_the_cli_is_the_pinned_version() -> None:
    _require_cli()
    assert cli.installed_version() == cli.pinned_version() == cli.locked_version(), \
        "tests/deploy/node_modules is stale: run scripts/setup"


def test_no_error_or_warning_in_the_emulator_output(run: cli.EmulatorRun) -> None:
    assert cli.problem_lines(run.console) == [], _context(run)


def test_the_cli_discovered_every_function_with_its_kind(
        run: cli.EmulatorRun, main_kinds: dict[str, str]) -> None:
    assert run.manifest is not None, "no functions.yaml in the CLI's debug log" + _context(run)
    assert declared.kinds_from_manifest(run.manifest) == main_kinds, _context(run)


def test_the_emulator_loaded_every_function(
        run: cli.EmulatorRun, main_kinds: dict[str, str]) -> None:
    loaded = cli.loaded_names(run.console)
    assert loaded is not None, "no \"Loaded functions definitions\" line" + _context(run)
    assert sorted(loaded) == sorted(main_kinds), _context(run)


def test_each_function_was_set_up_for_its_kind(
        run: cli.EmulatorRun, main_kinds: dict[str, str]) -> None:
    expected = {name: OUTCOME_BY_KIND.get(kind, f"no outcome known for {kind}")
                for name, kind in main_kinds.items()}
    assert cli.function_outcomes(run) == expected, _context(run)


def test_a_queue_was_created_for_each_task_queue_function(
        run: cli.EmulatorRun, main_kinds: dict[str, str]) -> None:
    expected = sorted(name for name, kind in main_kinds.items() if kind == declared.TASK_QUEUE)
    assert sorted(cli.created_queues(run)) == expected, _context(run)


def test_the_budget_trigger_takes_its_topic_from_a_param_and_is_retried(
        run: cli.EmulatorRun) -> None:
    """The topic reaches the CLI as the param's CEL text, which it resolves at deploy (a
    Param object there would reach it as a dict it cannot parse), and failures are
    retried; both params are declared with their defaults."""
    assert run.manifest is not None, "no functions.yaml in the CLI's debug log" + _context(run)
    trigger = run.manifest["endpoints"]["on_vision_budget_alert"]["eventTrigger"]
    assert trigger["eventType"] == declared.PUBSUB_PUBLISHED
    assert trigger["eventFilters"] == {"topic": "{{ params.VISION_BUDGET_TOPIC }}"}
    assert trigger["retry"] is True
    defaults = {param["name"]: param.get("default") for param in run.manifest["params"]}
    assert defaults["VISION_BUDGET_TOPIC"] == "vision-budget-alerts"
    assert defaults["VISION_BUDGET_DISABLE_AT"] == "1.0"
