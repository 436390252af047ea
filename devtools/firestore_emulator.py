"""Start, wipe and stop the official Firestore emulator (the gcloud component, Java 17).

Used by the local run and by the test suite, so both talk to the same real emulator.
Started as a plain `java` process rather than through `gcloud emulators firestore start`:
it is faster, and stopping gcloud's wrapper would leave its java child running. The java
process ends with the process that started it, even on `kill -9` of that one
(devtools.auth_emulator.tied_to_this_process); `process` is the java process itself.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from devtools.auth_emulator import tied_to_this_process

_JAR_RELATIVE = "platform/cloud-firestore-emulator/cloud-firestore-emulator.jar"
_MAIN_CLASS = "com.google.cloud.datastore.emulator.firestore.CloudFirestore"


class EmulatorError(RuntimeError):
    pass


def find_jar() -> Path:
    """Locate the emulator jar of the installed Google Cloud SDK."""
    candidates: list[Path] = []
    if env_root := os.environ.get("CLOUDSDK_ROOT_DIR"):
        candidates.append(Path(env_root))
    candidates += [Path("/usr/lib/google-cloud-sdk"), Path("/usr/share/google-cloud-sdk")]
    gcloud = shutil.which("gcloud")
    if gcloud:
        # /usr/bin/gcloud -> <sdk>/bin/gcloud
        candidates.append(Path(gcloud).resolve().parent.parent)
    for root in candidates:
        jar = root / _JAR_RELATIVE
        if jar.is_file():
            return jar
    if gcloud:
        out = subprocess.run(
            [gcloud, "info", "--format=value(installation.sdk_root)"],
            capture_output=True, text=True, check=False,
        ).stdout.strip()
        if out and (Path(out) / _JAR_RELATIVE).is_file():
            return Path(out) / _JAR_RELATIVE
    raise EmulatorError(
        "The Firestore emulator is not installed. Install the Debian package "
        "google-cloud-cli-firestore-emulator (or `gcloud components install "
        "cloud-firestore-emulator`) and Java 17."
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class FirestoreEmulator:
    host: str
    process: subprocess.Popen[bytes] | None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}"

    def clear(self, project_id: str) -> None:
        """Delete every document of the project's default database."""
        url = f"{self.base_url}/emulator/v1/projects/{project_id}/databases/(default)/documents"
        request = urllib.request.Request(url, method="DELETE")
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)


def _is_up(host: str) -> bool:
    try:
        with urllib.request.urlopen(f"http://{host}/", timeout=1) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def start(port: int | None = None, *, log_path: Path | None = None,
          timeout_s: float = 60.0) -> FirestoreEmulator:
    """Start a fresh emulator on 127.0.0.1:`port` (a free one by default) and wait for it."""
    jar = find_jar()
    java = shutil.which("java")
    if java is None:
        raise EmulatorError("Java 17 is needed by the Firestore emulator and was not found.")
    port = port or free_port()
    host = f"127.0.0.1:{port}"
    log = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
    process = subprocess.Popen(
        tied_to_this_process([java, "-Xms64m", "-Xmx1g", "-cp", str(jar), _MAIN_CLASS, "start",
                              "--host=127.0.0.1", f"--port={port}"]),
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EmulatorError(f"The Firestore emulator exited with code {process.returncode}.")
        if _is_up(host):
            return FirestoreEmulator(host=host, process=process)
        time.sleep(0.1)
    process.kill()
    raise EmulatorError(f"The Firestore emulator did not open {host} within {timeout_s:.0f} s.")


def attach_or_start(*, log_path: Path | None = None) -> FirestoreEmulator:
    """Reuse the emulator FIRESTORE_EMULATOR_HOST points at, or start one."""
    existing = os.environ.get("FIRESTORE_EMULATOR_HOST")
    if existing and _is_up(existing):
        return FirestoreEmulator(host=existing, process=None)
    return start(log_path=log_path)
