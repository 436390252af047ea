"""A local run killed hard (`kill -9` of `scripts/dev`, i.e. of `python -m devtools.local_run`)
leaves nothing behind: every process it started (the Firestore emulator's java, firebase-tools'
Auth emulator in its own process group, and whatever those started) goes away and every port
the run and its children listened on is free again.

The local run is started as the browser tests start it (tests/browser/harness.py: free ports
for everything, its own project, blob folder and run file), so it never meets a developer's
`scripts/dev` or another test session; its processes are read from /proc.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.browser.harness import SETUP_HINT, NotReady, start_local_run

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="reads /proc (Linux only)")

GONE_WITHIN_S = 30.0  # the watchdogs give SIGTERM 5 s before SIGKILL; ample on a busy machine


@dataclass(frozen=True)
class Proc:
    pid: int
    ppid: int
    pgid: int
    state: str
    started: str  # field 22 of /proc/PID/stat: tells a reused pid apart


def _stat(pid: int) -> Proc | None:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return Proc(pid, int(fields[1]), int(fields[2]), fields[0], fields[19])


def _all_processes() -> dict[int, Proc]:
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (proc := _stat(int(entry))) is not None:
            found[proc.pid] = proc
    return found


def _descendants(pid: int) -> dict[int, Proc]:
    table = _all_processes()
    found: dict[int, Proc] = {}
    todo = [pid]
    while todo:
        parent = todo.pop()
        for proc in table.values():
            if proc.ppid == parent and proc.pid not in found:
                found[proc.pid] = proc
                todo.append(proc.pid)
    return found


def _alive(proc: Proc) -> bool:
    """Still running: the same process (not a reused pid) and not a zombie (a zombie holds
    no port; reaping it is its new parent's business)."""
    now = _stat(proc.pid)
    return now is not None and now.started == proc.started and now.state not in "ZX"


def _describe(pid: int) -> str:
    with contextlib.suppress(OSError):
        return f"{pid}: " + Path(f"/proc/{pid}/cmdline").read_bytes().replace(
            b"\0", b" ").decode(errors="replace")[:200]
    return f"{pid}: (gone)"


def _listening(pids: set[int]) -> set[tuple[str, int]]:
    """The TCP (host, port) pairs the processes listen on: their socket inodes matched
    against /proc/net/tcp and tcp6 (state 0A is LISTEN)."""
    inodes: set[str] = set()
    for pid in pids:
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    target = os.readlink(f"/proc/{pid}/fd/{fd}")
                    if target.startswith("socket:["):
                        inodes.add(target[len("socket:["):-1])
    found: set[tuple[str, int]] = set()
    for table, family in (("tcp", socket.AF_INET), ("tcp6", socket.AF_INET6)):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/net/{table}").read_text().splitlines()[1:]:
                fields = line.split()
                if fields[3] != "0A" or fields[9] not in inodes:
                    continue
                address, port = fields[1].split(":")
                found.add((_host(address, family), int(port, 16)))
    return found


def _host(hex_address: str, family: socket.AddressFamily) -> str:
    raw = bytes.fromhex(hex_address)
    # /proc/net shows the address as 32-bit words in host byte order.
    packed = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4)) \
        if sys.byteorder == "little" else raw
    host = socket.inet_ntop(family, packed)
    return {"0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)


def _port_in_use(host: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        try:
            sock.connect((host, port))
        except ConnectionRefusedError:
            return False
        except OSError:
            return True  # a timeout: something holds it (a stopped process, say)
        return True


def test_kill_9_of_the_local_run_leaves_no_process_and_no_port(tmp_path: Path) -> None:
    from devtools.auth_emulator import cli_installed

    if not cli_installed():
        pytest.fail(f"the pinned Firebase CLI (the Auth emulator) is missing: {SETUP_HINT}",
                    pytrace=False)
    try:
        run = start_local_run(tmp_path)  # returns once functions answer and sign-in works
    except NotReady as err:
        pytest.fail(str(err), pytrace=False)
    assert run.process is not None
    children: dict[int, Proc] = {}
    try:
        children = _descendants(run.process.pid)
        ports = _listening(set(children) | {run.process.pid})
        held = {port for _, port in ports}
        # What the run pinned is among what we found (else this test checks nothing).
        for host in (run.base.removeprefix("http://"), run.firestore, run.auth):
            assert int(host.rsplit(":", 1)[1]) in held, (host, sorted(ports))
        names = {Path(f"/proc/{pid}/comm").read_text().strip()
                 for pid in children if Path(f"/proc/{pid}/comm").exists()}
        assert "java" in names and any("node" in name or "firebase" in name for name in names), \
            names

        os.kill(run.process.pid, signal.SIGKILL)
        run.process.wait(10)

        deadline = time.monotonic() + GONE_WITHIN_S
        while True:
            left = [proc for proc in children.values() if _alive(proc)]
            busy = sorted(port for port in ports if _port_in_use(*port))
            if not left and not busy:
                break
            if time.monotonic() > deadline:
                pytest.fail(f"{GONE_WITHIN_S:.0f} s after kill -9 of the local run, still "
                            f"running:\n  " + "\n  ".join(_describe(p.pid) for p in left) +
                            f"\nstill listening: {busy}\nlocal run log:\n{run.log_tail(20)}",
                            pytrace=False)
            time.sleep(0.2)
    finally:
        # Whatever this test started and is still there (this test failing, say): SIGKILL
        # by pid, only if it is still the very process recorded.
        for proc in children.values():
            if _alive(proc):
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(proc.pid, signal.SIGKILL)
        run.stop()
