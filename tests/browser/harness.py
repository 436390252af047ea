"""The browser tests' local run and Chromium (the fixtures are in conftest.py).

The local run is `python -m devtools.local_run` as a subprocess in a process group of its own,
on free ports for everything (console and functions, Firestore emulator, Auth emulator,
Vision, Cloud Storage), with its own project, blob folder and run file, so it never meets a
developer's `scripts/dev` or another test session.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
DIST = REPO / "web" / "dist"
SCREENSHOTS = REPO / "test-output" / "screenshots"
PROJECT = "demo-console"
BUCKET = f"{PROJECT}.appspot.com"
START_TIMEOUT_S = 120.0
SETUP_HINT = "run scripts/setup (it installs Chromium from Debian and Playwright, builds web/)"

# Debian's packages: chromium-headless-shell (the binary, not the /usr/bin wrapper script),
# else the full browser in headless mode.
HEADLESS_SHELLS = (Path("/usr/lib/chromium/chromium-headless-shell"),
                   Path("/usr/bin/chromium-headless-shell"))
FULL_CHROMIUM = Path("/usr/bin/chromium")
# Root needs --no-sandbox; the rest keep Chromium off the services it would call
# (this machine's closed network refuses those connections).
# The last two give pages a camera (a generated test pattern) without a prompt, for the
# counting page's camera scanning.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--use-fake-device-for-media-stream",
                 "--use-fake-ui-for-media-stream"]

# Variables the local run must not inherit from the test process (tests/conftest.py points
# them at the test session's own emulators and project).
_NOT_INHERITED = ("GOOGLE_CLOUD_PROJECT", "GCLOUD_PROJECT", "FIREBASE_CONFIG", "STORAGE_BUCKET",
                  "LOCAL_BLOB_DIR", "VISION_API_ENDPOINT", "K_SERVICE", "FUNCTION_REGION",
                  "QR_STORE_MODE", "B2_APPLICATION_KEY_ID", "B2_APPLICATION_KEY",
                  "B2_BUCKET_NAME", "PORT")


class NotReady(RuntimeError):
    pass


@dataclass(frozen=True)
class Account:
    uid: str
    email: str
    password: str
    claims: dict[str, bool]


def accounts() -> dict[str, Account]:
    """The accounts every local run seeds: alice (staff), root (admin), mona and mel
    (moderators), member (no role)."""
    from devtools.local_run import SEEDED_ACCOUNTS, SEEDED_PASSWORD

    return {uid: Account(uid, email, SEEDED_PASSWORD, claims)
            for uid, email, claims in SEEDED_ACCOUNTS}


@dataclass
class LocalRun:
    base: str  # http://127.0.0.1:PORT (console and functions)
    port: int
    project: str
    bucket: str
    region: str
    firestore: str  # 127.0.0.1:PORT
    auth: str  # 127.0.0.1:PORT
    log: Path
    storage: str = ""  # http://127.0.0.1:PORT (the Cloud Storage emulator)
    process: subprocess.Popen[bytes] | None = None
    # Process groups seen below the local run once it was ready (the Auth emulator has its
    # own): still stopped if the local run itself dies first and its children are orphaned.
    groups: frozenset[tuple[int, str]] = frozenset()  # (group id, its leader's start time)

    @property
    def functions_base(self) -> str:
        return f"{self.base}/{self.project}/{self.region}"

    def log_tail(self, lines: int = 60) -> str:
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:])

    def sign_in_token(self, who: str) -> str:
        """A real ID token from this run's Auth emulator (email + password sign-in)."""
        from devtools.auth_emulator import sign_in_with_password

        account = accounts()[who]
        return str(sign_in_with_password(self.auth, account.email, account.password)["idToken"])

    def post(self, name: str, body: bytes, *, token: str,
             content_type: str = "application/json",
             language: str | None = None) -> tuple[int, dict[str, Any]]:
        """POST to a function at the emulator path, as the console does: (status, JSON)."""
        headers = {"Authorization": f"Bearer {token}", "Content-Type": content_type}
        if language is not None:
            headers["Accept-Language"] = language
        request = urllib.request.Request(f"{self.functions_base}/{name}", data=body,
                                         method="POST", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=30) as reply:
                return reply.status, json.loads(reply.read())
        except urllib.error.HTTPError as refused:
            return refused.code, json.loads(refused.read())

    def upload_parts(self, token: str, parts: list[dict[str, Any]]) -> dict[str, Any]:
        """upload_parts with a JSON parts list; its reply (201 required)."""
        status, reply = self.post("upload_parts", json.dumps({"parts": parts}).encode(),
                                  token=token)
        assert status == 201, reply
        return reply

    def call(self, name: str, data: Any, token: str) -> tuple[int, dict[str, Any]]:
        """A callable over the callable protocol: (status, reply body)."""
        return self.post(name, json.dumps({"data": data}).encode(), token=token)

    def target(self) -> Any:
        """devtools.send_image's RunTarget for this run."""
        from devtools.send_image import RunTarget

        return RunTarget(base=self.base, project=self.project, bucket=self.bucket,
                         storage_emulator=self.storage)

    def send_image(self, name: str, data: bytes, content_type: str = "image/png") -> Any:
        """Upload an image to this run's Cloud Storage and deliver its finalized event to
        moderate_uploaded_image (devtools.send_image): where it ended up."""
        from devtools.send_image import send_image

        sent = send_image(self.target(), data, name, content_type)
        assert sent.status == 200, sent
        return sent

    def stored_object(self, name: str) -> Any:
        """The object `name` in this run's bucket (its google-cloud-storage Blob), or None."""
        return self.target().bucket_handle().get_blob(name)

    def wipe_firestore(self) -> None:
        url = (f"http://{self.firestore}/emulator/v1/projects/{self.project}"
               "/databases/(default)/documents")
        with urllib.request.urlopen(urllib.request.Request(url, method="DELETE"),
                                    timeout=10) as reply:
            reply.read()

    def stop(self) -> None:
        if self.process is not None:
            stop_process_tree(self.process, also=self.groups)


def start_local_run(work: Path, extra_env: dict[str, str] | None = None) -> LocalRun:
    """Start the local run (with `extra_env` on top of ours) and wait until the functions
    answer and the seeded accounts sign in; on any failure everything started is stopped
    and NotReady names the log."""
    from devtools.auth_emulator import free_ports

    port, firestore, auth, vision, storage = free_ports(5)
    env = {key: value for key, value in os.environ.items()
           if key not in _NOT_INHERITED and not key.endswith("_EMULATOR_HOST")}
    env.update({"GOOGLE_CLOUD_PROJECT": PROJECT, "LOCAL_BLOB_DIR": str(work / "blobs"),
                "PYTHONPATH": f"{REPO / 'functions'}:{REPO}", "PYTHONUNBUFFERED": "1",
                **(extra_env or {})})
    log = work / "local_run.log"
    command = [sys.executable, "-m", "devtools.local_run", "--port", str(port),
               "--firestore-port", str(firestore), "--auth-port", str(auth),
               "--vision-port", str(vision), "--storage-port", str(storage),
               "--run-info", str(work / "run.json"), "--sweep-every", "3600"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdin=subprocess.DEVNULL,
                                   stdout=out, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    run = LocalRun(base=f"http://127.0.0.1:{port}", port=port, project=PROJECT, bucket=BUCKET,
                   region="us-central1", firestore=f"127.0.0.1:{firestore}",
                   auth=f"127.0.0.1:{auth}", log=log, storage=f"http://127.0.0.1:{storage}",
                   process=process)
    try:
        _wait_until_ready(run, process)
        run.groups = frozenset((group, _started_at(group) or "")
                               for group in _process_groups_below(process.pid))
    except BaseException:
        run.stop()
        raise
    return run


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as reply:
            return reply.status == 200
    except OSError:
        return False


def _wait_until_ready(run: LocalRun, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    served = signed_in = False
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise NotReady(f"the local run exited with {process.returncode}; its log "
                           f"({run.log}):\n{run.log_tail()}")
        served = served or _answers(f"{run.base}/__/functions")
        if served and not signed_in:
            with contextlib.suppress(OSError):
                run.sign_in_token("member")  # seeded last: all the accounts are there
                signed_in = True
        if served and signed_in:
            return
        time.sleep(0.25)
    raise NotReady(f"the local run was not ready within {START_TIMEOUT_S:.0f} s (functions "
                   f"{'up' if served else 'down'}, sign-in {'works' if signed_in else 'refused'}"
                   f"); its log ({run.log}):\n{run.log_tail()}")


def _process_groups_below(pid: int) -> set[int]:
    """The process groups of `pid` and of all its descendants, read from /proc (the Auth
    emulator runs in a group of its own)."""
    parents: dict[int, int] = {}
    groups: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            child = int(stat.parent.name)
            parents[child], groups[child] = int(fields[1]), int(fields[2])
    found: set[int] = set()
    todo = [pid]
    while todo:
        current = todo.pop()
        if current in groups:
            found.add(groups[current])
        todo += [child for child, parent in parents.items() if parent == current]
    return found


def _started_at(pid: int) -> str | None:
    """When the process started (field 22 of /proc/PID/stat): tells a reused pid apart."""
    try:
        return (Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[19])
    except (OSError, IndexError):
        return None


def stop_process_tree(process: subprocess.Popen[bytes], grace_s: float = 30.0,
                      also: frozenset[tuple[int, str]] = frozenset()) -> None:
    """SIGTERM (the local run stops its emulators itself), then SIGKILL to every process
    group it or its children made that is still there, and to the groups in `also` whose
    leader is still the process recorded (not a reused pid)."""
    groups = _process_groups_below(process.pid) | {process.pid}
    groups |= {group for group, started in also if started and _started_at(group) == started}
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(grace_s)
    for group in groups:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(group, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(5)


def chromium_launch_options() -> dict[str, Any] | None:
    """executable_path and args for Debian's Chromium, or None when it is not installed."""
    for shell in HEADLESS_SHELLS:
        if shell.is_file() and os.access(shell, os.X_OK):
            return {"executable_path": str(shell), "args": CHROMIUM_ARGS}
    if FULL_CHROMIUM.is_file():
        return {"executable_path": str(FULL_CHROMIUM), "args": [*CHROMIUM_ARGS, "--headless"]}
    return None


def screenshot_path(test_name: str) -> Path:
    """test-output/screenshots/<test name>.png (parameters kept, e.g. test_x[tr-TR].png)."""
    return SCREENSHOTS / (re.sub(r"[^\w.\-\[\]]+", "_", test_name) + ".png")


def fill(template: str, **values: Any) -> str:
    """A catalog text with its {placeholders} filled, as the app's t() does."""
    return re.sub(r"\{(\w+)\}", lambda m: str(values.get(m.group(1), m.group(0))), template)


def web_built() -> bool:
    return (DIST / "index.html").is_file()
