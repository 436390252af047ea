"""The pinned Firebase CLI (tests/deploy/package.json) and its Functions emulator, run
offline: the emulator discovers the Python functions exactly as `firebase deploy` does
(it runs firebase_functions' serving.py from `<source>/venv` and reads /__/functions.yaml).

The run is hermetic:
- a throwaway project folder holds firebase.json (every port pinned) and `functions/`, a
  folder of symlinks to the repo's functions/ entries plus `venv` -> this interpreter's
  venv. The CLI needs `<source>/venv`, and it writes `.env.local` into the source folder;
  neither may appear in the shared working tree (mypy scans functions/, and the local run
  reads .env.local);
- a unique demo- project id, no credentials, its own config and temp folders;
- its own session (setsid), stopped as a whole; anything left that carries the run's marker
  variable (the discovery server is started detached, in a group of its own) is killed by
  pid.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from devtools.auth_emulator import free_ports

DEPLOY_DIR = Path(__file__).resolve().parent
REPO = DEPLOY_DIR.parents[1]
FUNCTIONS_DIR = REPO / "functions"
FIREBASE_BIN = DEPLOY_DIR / "node_modules" / ".bin" / "firebase"
READY_LINE = "All emulators ready!"
START_TIMEOUT_S = 90.0
STOP_GRACE_S = 10.0
MARKER_VARIABLE = "DEPLOY_DISCOVERY_RUN"
# What the emulator hands our code must come from it alone: no project, emulator host,
# credential or path of the test session (conftest.py sets several) may leak in.
_DROPPED_VARIABLES = ("GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT", "FIREBASE_CONFIG",
                      "FIREBASE_TOKEN", "GOOGLE_APPLICATION_CREDENTIALS", "K_SERVICE",
                      "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "DEBUG")
_EMULATORS_WITH_PORTS = ("functions", "hub", "logging", "eventarc", "tasks")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")
# A debug-log entry starts "[<timestamp>] " (debug) or "[info] ", "[error] " (other levels).
_LOG_ENTRY = re.compile(r"^\[(\d{4}-\d\d-\d\dT|[a-z]+\] )")
MANIFEST_MARK = "Got response from /__/functions.yaml "


def pinned_version() -> str:
    """The firebase-tools version tests/deploy/package.json pins (exact, no range)."""
    package = json.loads((DEPLOY_DIR / "package.json").read_text())
    return str(package["devDependencies"]["firebase-tools"])


def locked_version() -> str:
    lock = json.loads((DEPLOY_DIR / "package-lock.json").read_text())
    return str(lock["packages"]["node_modules/firebase-tools"]["version"])


def installed_version() -> str | None:
    package = DEPLOY_DIR / "node_modules" / "firebase-tools" / "package.json"
    return json.loads(package.read_text())["version"] if package.is_file() else None


def functions_venv() -> Path:
    """The venv the emulator runs the functions in: the one running these tests (it holds
    functions/requirements.txt, pinned)."""
    prefix = Path(sys.prefix)
    if prefix == Path(sys.base_prefix) or not (prefix / "bin" / "activate").is_file():
        prefix = REPO / ".venv"
    if not (prefix / "bin" / "python3.11").exists():
        raise RuntimeError(f"no Python 3.11 venv at {prefix}: run scripts/setup")
    return prefix


@dataclass(frozen=True)
class EmulatorRun:
    """A finished start of the emulator: its console output and the manifest it received."""

    project_id: str
    region: str
    console: str  # the console output, colour codes removed
    manifest: dict[str, Any] | None  # functions.yaml as the CLI got it, from its debug log
    seconds_to_ready: float
    log_path: Path

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.console.splitlines()[-lines:])


def firebase_json(ports: dict[str, int]) -> dict[str, Any]:
    """The repo's functions entry (same runtime, ignore list), every emulator port pinned,
    the UI off."""
    repo_config = json.loads((REPO / "firebase.json").read_text())
    emulators: dict[str, Any] = {name: {"host": "127.0.0.1", "port": port}
                                 for name, port in ports.items()}
    emulators["ui"] = {"enabled": False}
    emulators["singleProjectMode"] = True
    return {"functions": [{**entry, "source": "functions"}
                          for entry in repo_config["functions"]],
            "emulators": emulators}


def build_project(root: Path, ports: dict[str, int], venv: Path) -> Path:
    """The throwaway project folder: firebase.json and a symlinked source folder."""
    project = root / "project"
    source = project / "functions"
    source.mkdir(parents=True)
    for entry in sorted(FUNCTIONS_DIR.iterdir()):
        # Dot files (.env*, .secret.local) stay out: the CLI would write through the link.
        if entry.name.startswith(".") or entry.name in {"venv", "__pycache__"}:
            continue
        (source / entry.name).symlink_to(entry)
    (source / "venv").symlink_to(venv)
    (project / "firebase.json").write_text(json.dumps(firebase_json(ports), indent=2))
    return project


def emulator_env(root: Path, marker: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if key not in _DROPPED_VARIABLES and not key.endswith("_EMULATOR_HOST")}
    for name in ("config", "tmp"):
        (root / name).mkdir(exist_ok=True)
    env.update({
        # Its own configstore: no signed-in account, no state shared with another run.
        "XDG_CONFIG_HOME": str(root / "config"),
        # The hub's locator file goes to os.tmpdir(); keep it in the run's folder.
        "TMPDIR": str(root / "tmp"),
        # The debug log holds the functions.yaml the CLI received (the console does not).
        "FIREBASE_DEBUG_PATH": str(root / "firebase-debug.log"),
        "NO_COLOR": "1",
        MARKER_VARIABLE: marker,
    })
    return env


def read_manifest(debug_log: str) -> dict[str, Any] | None:
    """The YAML document logged after "Got response from /__/functions.yaml", up to the
    next log entry."""
    start = debug_log.find(MANIFEST_MARK)
    if start < 0:
        return None
    lines: list[str] = []
    for line in debug_log[start + len(MANIFEST_MARK):].splitlines():
        if _LOG_ENTRY.match(line):
            break
        lines.append(line)
    document = yaml.safe_load("\n".join(lines))
    return document if isinstance(document, dict) else None


def _processes_with_marker(marker: str) -> list[int]:
    """Pids whose environment carries this run's marker: only the run's own descendants."""
    needle = f"{MARKER_VARIABLE}={marker}".encode()
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit() or int(proc.name) == os.getpid():
            continue
        with contextlib.suppress(OSError):
            if needle in (proc / "environ").read_bytes().split(b"\0"):
                found.append(int(proc.name))
    return found


def stop(process: subprocess.Popen[bytes], marker: str) -> list[int]:
    """SIGTERM the session (the CLI shuts its emulators down), SIGKILL what is left of it,
    then kill by pid any process of the run outside it. Returns the pids that survived."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(STOP_GRACE_S)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    for pid in _processes_with_marker(marker):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(5)
    deadline = time.monotonic() + 5
    while (left := _processes_with_marker(marker)) and time.monotonic() < deadline:
        time.sleep(0.1)
    return left


def _read(path: Path) -> str:
    return _ANSI.sub("", path.read_text(errors="replace")) if path.exists() else ""


def _wait_until_ready(process: subprocess.Popen[bytes], log_path: Path,
                      timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if READY_LINE in _read(log_path) or process.poll() is not None:
            return
        time.sleep(0.2)


def run_discovery(root: Path, region: str = "us-central1",
                  timeout_s: float = START_TIMEOUT_S) -> EmulatorRun:
    """Start `firebase emulators:start --only functions`, wait until it is ready (or gone),
    snapshot its output, stop it and every process it started.

    Raises RuntimeError (with the log's tail) when it does not get ready in time or a
    process survives the stop. A port taken between choosing it and the CLI binding it
    (another process's outgoing connection, say) gets one more try on fresh ports."""
    run = _start_once(root / "attempt-1", region, timeout_s)
    if run is None:
        run = _start_once(root / "attempt-2", region, timeout_s)
    if run is None:
        raise RuntimeError(f"ports were taken twice; see {root}")
    return run


def _start_once(root: Path, region: str, timeout_s: float) -> EmulatorRun | None:
    root.mkdir(parents=True)
    project_id = f"demo-discovery-{secrets.token_hex(4)}"
    ports = dict(zip(_EMULATORS_WITH_PORTS, free_ports(len(_EMULATORS_WITH_PORTS)),
                     strict=True))
    project = build_project(root, ports, functions_venv())
    log_path = root / "emulator.log"
    started = time.monotonic()
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(FIREBASE_BIN), "emulators:start", "--only", "functions",
             "--project", project_id],
            cwd=project, env=emulator_env(root, project_id), stdin=subprocess.DEVNULL,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_until_ready(process, log_path, timeout_s)
        elapsed = time.monotonic() - started
        exit_code = process.poll()
        # Snapshot before stopping: the shutdown adds lines, and the CLI deletes its debug
        # log when it exits cleanly.
        console = _read(log_path)
        debug_log = _read(root / "firebase-debug.log")
        (root / "firebase-debug.copy.log").write_text(debug_log)
    finally:
        survivors = stop(process, project_id)
    if survivors:
        raise RuntimeError(f"processes of the emulator run survived SIGKILL: {survivors}")
    run = EmulatorRun(project_id, region, console, read_manifest(debug_log), elapsed,
                      log_path)
    if READY_LINE not in console:
        if "port taken" in console:
            return None
        state = (f"exited with {exit_code}" if exit_code is not None
                 else f"was not ready within {timeout_s:.0f} s")
        raise RuntimeError(f"the Functions emulator {state}; log {log_path}:\n"
                           f"{_read(log_path)[-4000:]}")
    return run


# -- reading the console output --------------------------------------------------------------

# Known lines that carry a warning marker or word and say nothing about our functions.
BENIGN_LINES = (
    # Offline, the CLI cannot fetch its message of the day.
    "Unable to fetch the CLI MOTD and remote config",
    # `--only functions` starts no emulator with a UI.
    "The Emulator UI is not starting because none of the running emulators have a UI",
    # firebase_functions' discovery server (serving.py) is a Flask development server.
    "WARNING: This is a development server.",
)
# ⚠ and ⬢ are the CLI's warning and error markers; the words catch what our code or Python
# print (a traceback, ModuleNotFoundError, a logged warning) and lines such as "Error adding
# Task Queue function".
_PROBLEM = re.compile(r"^\s*[⚠⬢]|\b(\w*error|\w*exception|warning|warn|traceback|fatal|failed)\b",
                      re.IGNORECASE)


def problem_lines(console: str) -> list[str]:
    return [line for line in console.splitlines()
            if _PROBLEM.search(line) and not any(ok in line for ok in BENIGN_LINES)]


def loaded_names(console: str) -> list[str] | None:
    """The names in "Loaded functions definitions from source: a, b, c." (None: no line)."""
    found = re.search(r"Loaded functions definitions from source: (.*)\.$", console, re.M)
    return [name.strip() for name in found.group(1).split(",")] if found else None


def function_outcomes(run: EmulatorRun) -> dict[str, str]:
    """{name: what the emulator did with it}, from "functions[<region>-<name>]: ..." lines:
    "<kind> initialized", "ignored: no <service> emulator", or the message itself."""
    outcomes: dict[str, str] = {}
    pattern = re.compile(rf"functions\[{re.escape(run.region)}-(?P<name>[^\]]+)\]: (?P<msg>.+)")
    for line in run.console.splitlines():
        found = pattern.search(line)
        if found is None:
            continue
        message = found["msg"].strip()
        initialized = re.match(r"(\w+) function initialized\b", message)
        ignored = re.match(r"function ignored because the (\w+) emulator does not exist", message)
        outcomes[found["name"]] = (f"{initialized[1]} initialized" if initialized
                                   else f"ignored: no {ignored[1]} emulator" if ignored
                                   else message)
    return outcomes


def created_queues(run: EmulatorRun) -> list[str]:
    """Function names of "tasks: Created queue with key: queue:<project>-<region>-<name>"."""
    prefix = re.escape(f"queue:{run.project_id}-{run.region}-")
    return re.findall(rf"tasks: Created queue with key: {prefix}(\S+)", run.console)
