"""The local run with its real parts, for the moderation benches: the Firestore emulator,
the Cloud Storage emulator and a Vision server started here (so the bench can read what
Vision billed), and `python -m devtools.local_run` as a separate process pointed at them,
with its own Auth emulator."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "functions"), str(ROOT)]

from devtools import firestore_emulator  # noqa: E402
from devtools.firestore_emulator import free_port  # noqa: E402
from devtools.storage_emulator import running_storage_emulator  # noqa: E402
from devtools.storage_events import storage_finalized_event, to_structured_http  # noqa: E402
from devtools.tokens import mint_id_token  # noqa: E402
from devtools.vision_server import VisionServer  # noqa: E402


@dataclass
class Stack:
    base: str          # the local run's functions: {base}/<name>
    project: str
    bucket: str
    gcs: Any           # the storage emulator handle (gcs.bucket())
    vision: VisionServer
    work: Path

    @property
    def run_info(self) -> dict[str, Any]:
        return json.loads((self.work / "local_run.json").read_text())

    def post(self, url: str, body: bytes, headers: dict[str, str],
             timeout: float = 300) -> tuple[int, bytes]:
        request = urllib.request.Request(url, data=body, headers=headers, method="POST")
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as refused:
            return refused.code, refused.read()

    def call(self, name: str, data: Any, token: str) -> tuple[int, dict[str, Any]]:
        """A callable over the callable protocol: (HTTP status, reply)."""
        status, body = self.post(f"{self.base}/{name}", json.dumps({"data": data}).encode(),
                                 {"Content-Type": "application/json",
                                  "Authorization": f"Bearer {token}"})
        return status, json.loads(body)

    def admin_token(self) -> str:
        return mint_id_token("bench-admin", project_id=self.project, admin=True)

    def token(self, uid: str) -> str:
        return mint_id_token(uid, project_id=self.project)

    def quota_status(self) -> dict[str, Any]:
        status, reply = self.call("getVisionApiQuotaStatus", {}, self.admin_token())
        assert status == 200, reply
        return reply["result"]

    def upload(self, name: str, data: bytes) -> Any:
        blob = self.gcs.bucket().blob(name)
        blob.upload_from_string(data, content_type="image/png")
        blob.reload()
        return blob

    def deliver(self, blob: Any) -> int:
        """Post the object's finalized CloudEvent to the trigger; its HTTP status."""
        event = storage_finalized_event(self.bucket, blob.name, str(blob.generation),
                                        content_type="image/png", size=blob.size)
        headers, body = to_structured_http(event)
        return self.post(f"{self.base}/moderate_uploaded_image", body, headers)[0]


def png(index: int, salt: int = 7) -> bytes:
    """A small PNG of its own for each index (distinct bytes: no cache answers twice)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (16, 16), (index % 256, index // 256 % 256, salt % 256)).save(buffer,
                                                                                   "PNG")
    return buffer.getvalue()


@contextmanager
def local_stack(project: str, extra_env: dict[str, str] | None = None) -> Iterator[Stack]:
    bucket = f"{project}.appspot.com"
    firestore = firestore_emulator.start()
    vision = VisionServer().start()
    work = Path(tempfile.mkdtemp(prefix=f"{project}-"))
    try:
        with running_storage_emulator(bucket, project=project) as gcs:
            port = free_port()
            env = {**os.environ, "GOOGLE_CLOUD_PROJECT": project, "GCLOUD_PROJECT": project,
                   "STORAGE_BUCKET": bucket, "FIRESTORE_EMULATOR_HOST": firestore.host,
                   "STORAGE_EMULATOR_HOST": gcs.host, "VISION_API_ENDPOINT": vision.endpoint,
                   "LOCAL_BLOB_DIR": str(work / "blobs"),
                   "FIREBASE_CONFIG": json.dumps({"projectId": project,
                                                  "storageBucket": bucket}),
                   "PYTHONPATH": f"{ROOT / 'functions'}:{ROOT}", **(extra_env or {})}
            env.pop("FIREBASE_AUTH_EMULATOR_HOST", None)  # the local run starts its own
            process = _start_local_run(port, env, work / "local_run.log")
            try:
                yield Stack(f"http://127.0.0.1:{port}", project, bucket, gcs, vision, work)
            finally:
                process.terminate()
                process.wait(timeout=30)
    finally:
        vision.stop()
        firestore.stop()


def _start_local_run(port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    process = subprocess.Popen(
        [sys.executable, "-m", "devtools.local_run", "--port", str(port), "--run-info",
         str(log.with_suffix(".json")), "--sweep-every", "10"],
        cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1):
                info = log.with_suffix(".json")
                if info.exists() and _auth_ready(json.loads(info.read_text())):
                    return process
        except OSError:
            if process.poll() is not None:
                raise SystemExit(f"the local run exited; see {log}") from None
        time.sleep(0.3)
    process.kill()
    raise SystemExit(f"the local run did not start; see {log}")


def _auth_ready(info: dict[str, Any]) -> bool:
    """The local run's Auth emulator answers (it starts in the background)."""
    host = info.get("auth_emulator")
    if not host:
        return True
    try:
        with urllib.request.urlopen(f"http://{host}/", timeout=1):
            return True
    except urllib.error.HTTPError:
        return True  # it answers
    except OSError:
        return False
