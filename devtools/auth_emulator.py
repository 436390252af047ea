"""The Firebase Auth emulator (firebase-tools, pinned in tests/deploy/package.json), run
offline for the role tests and the local bootstrap of roles.

firebase_admin talks to it for user management (create, look up, set custom claims,
list) as soon as FIREBASE_AUTH_EMULATOR_HOST points at it, and accepts the unsigned
tokens it issues. Started in a throwaway folder with every port pinned and the UI off,
in a session of its own that `stop()` ends as a whole (the CLI leaves children behind).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
FIREBASE_BIN = REPO / "tests" / "deploy" / "node_modules" / ".bin" / "firebase"
READY_LINE = "All emulators ready!"


@dataclass
class AuthEmulator:
    host: str  # "127.0.0.1:PORT", the value of FIREBASE_AUTH_EMULATOR_HOST
    project_id: str
    process: subprocess.Popen[bytes]
    folder: Path

    def clear(self) -> None:
        """Delete every account of the project."""
        url = f"http://{self.host}/emulator/v1/projects/{self.project_id}/accounts"
        with urllib.request.urlopen(urllib.request.Request(url, method="DELETE"),
                                    timeout=10) as reply:
            reply.read()

    def stop(self) -> None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(5)


def seed_account(emulator_host: str, project_id: str, *, uid: str, email: str,
                 claims: dict[str, bool], password: str | None = None) -> None:
    """Create an account with custom claims (and a password, for email/password sign-in)
    through the emulator's own admin API (the emulator takes "Bearer owner" as the
    project owner)."""
    base = (f"http://{emulator_host}/identitytoolkit.googleapis.com/v1/projects/"
            f"{project_id}/accounts")
    account: dict[str, object] = {"localId": uid, "email": email, "emailVerified": True}
    if password is not None:
        account["password"] = password
    # Created first, then given its claims: the create call ignores customAttributes.
    for url, body in ((base, account),
                      (f"{base}:update", {"localId": uid,
                                          "customAttributes": json.dumps(claims)})):
        request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json",
                                                  "Authorization": "Bearer owner"})
        with urllib.request.urlopen(request, timeout=10) as reply:
            reply.read()


def free_ports(count: int) -> list[int]:
    """Distinct ports the kernel has just handed out (held together, so none repeats)."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]


def cli_installed() -> bool:
    return FIREBASE_BIN.exists()


def sign_in_with_password(emulator_host: str, email: str, password: str) -> dict[str, Any]:
    """The Auth emulator's signInWithPassword (what the web console's sign-in calls): the
    reply holds idToken, refreshToken, localId. Raises urllib.error.HTTPError when refused."""
    url = (f"http://{emulator_host}/identitytoolkit.googleapis.com/v1/"
           "accounts:signInWithPassword?key=demo-key")
    body = {"email": email, "password": password, "returnSecureToken": True}
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as reply:
        result: dict[str, Any] = json.loads(reply.read())
    return result


def start_auth_emulator(project_id: str, *, port: int | None = None,
                        timeout_s: float = 60.0) -> AuthEmulator:
    if not cli_installed():
        raise RuntimeError("the pinned Firebase CLI is not installed: run scripts/setup")
    folder = Path(tempfile.mkdtemp(prefix="auth-emulator-"))
    auth_port, hub_port, logging_port = free_ports(3)
    auth_port = port or auth_port
    (folder / "firebase.json").write_text(json.dumps({"emulators": {
        "auth": {"host": "127.0.0.1", "port": auth_port},
        "hub": {"host": "127.0.0.1", "port": hub_port},
        "logging": {"host": "127.0.0.1", "port": logging_port},
        "ui": {"enabled": False}, "singleProjectMode": True}}))
    for name in ("config", "tmp"):
        (folder / name).mkdir()
    env = {key: value for key, value in os.environ.items()
           if not key.endswith("_EMULATOR_HOST") and key not in (
               "GOOGLE_APPLICATION_CREDENTIALS", "FIREBASE_TOKEN")}
    env.update({"XDG_CONFIG_HOME": str(folder / "config"), "TMPDIR": str(folder / "tmp"),
                "NO_COLOR": "1"})
    log_path = folder / "emulator.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(FIREBASE_BIN), "emulators:start", "--only", "auth", "--project", project_id],
            cwd=folder, env=env, stdin=subprocess.DEVNULL, stdout=log,
            stderr=subprocess.STDOUT, start_new_session=True)
    emulator = AuthEmulator(f"127.0.0.1:{auth_port}", project_id, process, folder)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        text = log_path.read_text(errors="replace")
        if READY_LINE in text:
            return emulator
        if process.poll() is not None:
            break
        time.sleep(0.2)
    emulator.stop()
    tail = "\n".join(log_path.read_text(errors="replace").splitlines()[-30:])
    raise RuntimeError(f"the Auth emulator did not start:\n{tail}")
