"""The Firebase Auth emulator (firebase-tools, pinned in tests/deploy/package.json), run
offline for the role tests and the local bootstrap of roles.

firebase_admin talks to it for user management (create, look up, set custom claims,
list) as soon as FIREBASE_AUTH_EMULATOR_HOST points at it, and accepts the unsigned
tokens it issues. Started in a throwaway folder with every port pinned and the UI off,
in a session of its own that `stop()` ends as a whole (the CLI leaves children behind).

Tied to the life of the process that starts it (`tied_to_this_process`, also used for the
Firestore emulator's java): if that process dies without stopping it (`kill -9` of the
local run or of pytest), a watchdog ends the emulator's whole process group and frees its
ports.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
FIREBASE_BIN = REPO / "tests" / "deploy" / "node_modules" / ".bin" / "firebase"
READY_LINE = "All emulators ready!"


def tied_to_this_process(command: Sequence[str]) -> list[str]:
    """`command` as a command line whose process ends when the calling process ends, however
    that ends (`kill -9` included), together with what it started: its descendants, and its
    whole process group when it leads one (Popen(..., start_new_session=True)).

    The process Popen starts is the command itself (same pid: signals, wait() and the return
    code are the command's): this module, run as a script, forks a watchdog and execs the
    command (`_watch`). Linux only (pidfds, /proc); elsewhere `command` is returned as is.

    Why not PR_SET_PDEATHSIG on the child: it fires when the *thread* that forked the child
    ends, not the process (the local run starts the Auth emulator from a short-lived thread,
    which would kill it the moment it is up); it reaches the direct child only, not what
    the Firebase CLI starts; and setting it needs preexec_fn, unsafe in a threaded process.
    """
    if not sys.platform.startswith("linux"):
        return list(command)
    return [sys.executable, "-I", "-S", str(Path(__file__).resolve()), _WATCH_FLAG,
            str(os.getpid()), "--", *command]


_WATCH_FLAG = "--watch-for"
_GRACE_S = 5.0  # between SIGTERM and SIGKILL once the caller is gone


def _pidfd(pid: int) -> int | None:
    """A pidfd (readable once the process has ended, zombie included), or None where the
    kernel has none (before 5.3): then /proc and getppid() are polled instead."""
    try:
        return os.pidfd_open(pid)
    except (AttributeError, OSError):
        return None


def _stat(pid: int) -> tuple[int, int, str, str] | None:
    """(parent pid, process group, state, start time) from /proc/PID/stat."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return int(fields[1]), int(fields[2]), fields[0], fields[19]
    except (OSError, IndexError, ValueError):
        return None


def _watch(caller: int, command: list[str]) -> None:
    """Run `command` in this very process, with a watchdog beside it (a child of the
    command, in its process group) that waits for the first of: the command ends (its
    owner stopped it, or it crashed): the watchdog exits; `caller` ends (the process that
    started us, however it ended): the watchdog ends the command and what it started
    (`_end_tree`), then exits.

    The watchdog ignores SIGINT, SIGTERM and SIGHUP (Ctrl-C to the terminal's process group,
    the owner's killpg, a closed terminal): it outlives neither the command nor the caller."""
    caller_fd = _pidfd(caller)
    if os.getppid() != caller:  # the caller has died already (checked after opening the pidfd)
        sys.exit(1)
    command_pid = os.getpid()
    if os.fork():
        if caller_fd is not None:
            os.close(caller_fd)
        try:
            os.execvp(command[0], command)
        except OSError as error:
            sys.stderr.write(f"cannot run {command[0]}: {error}\n")
            os._exit(127)
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, signal.SIG_IGN)
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, 0)
    os.dup2(null, 1)
    command_fd = _pidfd(command_pid)
    fds = [fd for fd in (caller_fd, command_fd) if fd is not None]
    while True:
        ready = select.select(fds, [], [], None if len(fds) == 2 else 0.5)[0]
        if command_fd in ready or os.getppid() != command_pid:  # reparented once it ends
            sys.exit(0)
        command_stat = _stat(command_pid)
        if caller_fd in ready or command_stat is None or command_stat[0] != caller:
            _end_tree(command_pid, command_fd)
            sys.exit(0)


def _end_tree(command_pid: int, command_fd: int | None) -> None:
    """SIGTERM to the command, its descendants and, when it leads one, its process group;
    SIGKILL after _GRACE_S to what is left. Run by the watchdog (a child of the command)."""
    me = os.getpid()
    group = os.getpgid(0) == command_pid

    def processes() -> dict[int, tuple[int, int, str, str]]:
        return {int(entry): stat for entry in os.listdir("/proc")
                if entry.isdigit() and (stat := _stat(int(entry))) is not None}

    table = processes()
    tree = {command_pid}
    while more := {pid for pid, (parent, *_) in table.items() if parent in tree} - tree:
        tree |= more
    # Recorded with their start times: once the command is gone they are orphans, and a
    # pid may be reused.
    recorded = {pid: table[pid][3] for pid in tree if pid in table}

    def left() -> list[int]:
        now = processes()
        return [pid for pid, (_, pgid, state, start) in now.items()
                if pid != me and state not in "ZX"
                and (recorded.get(pid) == start or (group and pgid == command_pid))]

    def send(pid: int, number: int) -> None:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            if pid == command_pid and command_fd is not None:
                signal.pidfd_send_signal(command_fd, number)  # never a reused pid
            else:
                os.kill(pid, number)

    alive = left()
    for pid in alive:
        send(pid, signal.SIGTERM)
    for number in (None, signal.SIGKILL):
        deadline = time.monotonic() + _GRACE_S
        while alive and time.monotonic() < deadline:
            if number is not None:
                for pid in alive:
                    send(pid, number)
            time.sleep(0.1)
            alive = left()


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
                 claims: dict[str, bool], password: str | None = None,
                 email_verified: bool = True) -> None:
    """Create an account with custom claims (and a password, for email/password sign-in)
    through the emulator's own admin API (the emulator takes "Bearer owner" as the
    project owner)."""
    base = (f"http://{emulator_host}/identitytoolkit.googleapis.com/v1/projects/"
            f"{project_id}/accounts")
    account: dict[str, object] = {"localId": uid, "email": email,
                                  "emailVerified": email_verified}
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
            tied_to_this_process([str(FIREBASE_BIN), "emulators:start", "--only", "auth",
                                  "--project", project_id]),
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


if __name__ == "__main__" and len(sys.argv) > 3 and sys.argv[1] == _WATCH_FLAG \
        and sys.argv[3] == "--":
    _watch(int(sys.argv[2]), sys.argv[4:])
