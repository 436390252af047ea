"""Try moderation by hand against the local run: upload an image to the local Cloud
Storage stand-in and deliver the `object.finalized` CloudEvent that Cloud Storage would.

    .venv/bin/python -m devtools.send_image photo.jpg [--name users/alice/photo.jpg]

The local Vision server answers VERY_UNLIKELY unless the name or bytes contain "unsafe".
Prints where the object ended up and its moderation metadata.

From Python (the browser tests seed the review queue this way):

    from devtools.send_image import RunTarget, send_image
    sent = send_image(RunTarget.from_run_info(json.loads(Path(".local/run.json").read_text())),
                      png, "users/member/unsafe-1.png", "image/png")
    sent.location  # "quarantine/users/member/unsafe-1.png", the name itself, or None
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devtools.local_run import RUN_INFO

QUARANTINE_PREFIX = "quarantine/"


@dataclass(frozen=True)
class RunTarget:
    """Where a local run is: its functions, project, bucket and storage emulator."""

    base: str              # http://127.0.0.1:PORT (the functions at /<name>)
    project: str
    bucket: str
    storage_emulator: str  # http://127.0.0.1:PORT

    @classmethod
    def from_run_info(cls, run: dict[str, Any]) -> RunTarget:
        """From the run file devtools.local_run writes (.local/run.json by default)."""
        if not run.get("storage_emulator"):
            raise ValueError("the run file names no storage emulator")
        return cls(base=str(run["base"]), project=str(run["project"]),
                   bucket=str(run["bucket"]), storage_emulator=str(run["storage_emulator"]))

    def bucket_handle(self) -> Any:
        """The run's bucket through google-cloud-storage, pointed at its emulator (without
        touching this process's STORAGE_EMULATOR_HOST)."""
        import google.cloud.storage as storage
        from google.auth.credentials import AnonymousCredentials

        client = storage.Client(project=self.project, credentials=AnonymousCredentials(),
                                client_options={"api_endpoint": self.storage_emulator})
        return client.bucket(self.bucket)


@dataclass(frozen=True)
class Sent:
    """One image sent through moderation."""

    name: str                   # where it was uploaded
    generation: str             # the uploaded generation
    status: int                 # moderate_uploaded_image's HTTP status
    location: str | None        # where it is now: name, quarantine/name, None (deleted)
    metadata: dict[str, str]    # its custom metadata there ({} when deleted)


def send_image(target: RunTarget, data: bytes, name: str, content_type: str, *,
               timeout_s: float = 60.0) -> Sent:
    """Upload `data` as `name` to the run's storage emulator, deliver its finalized
    CloudEvent to moderate_uploaded_image and wait for the answer; where it ended up."""
    from devtools.storage_events import storage_finalized_event, to_structured_http

    bucket = target.bucket_handle()
    blob = bucket.blob(name)
    blob.upload_from_string(data, content_type=content_type)
    blob.reload()
    event = storage_finalized_event(target.bucket, name, str(blob.generation),
                                    content_type=content_type, size=int(blob.size or 0))
    headers, body = to_structured_http(event)
    request = urllib.request.Request(f"{target.base}/moderate_uploaded_image", data=body,
                                     headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=timeout_s) as response:
        status = response.status
    for candidate in (name, f"{QUARANTINE_PREFIX}{name}"):
        found = bucket.get_blob(candidate)
        if found is not None:
            return Sent(name, str(blob.generation), status, candidate,
                        dict(found.metadata or {}))
    return Sent(name, str(blob.generation), status, None, {})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", type=Path)
    parser.add_argument("--name", help="object name (default uploads/<file name>)")
    parser.add_argument("--content-type", help="default: guessed from the file name")
    parser.add_argument("--run-info", type=Path, default=RUN_INFO,
                        help="the local run's run file (default .local/run.json)")
    args = parser.parse_args()
    if not args.run_info.exists():
        raise SystemExit("Start the local run first: scripts/dev")
    target = RunTarget.from_run_info(json.loads(args.run_info.read_text()))
    name = args.name or f"uploads/{args.file.name}"
    content_type = args.content_type or mimetypes.guess_type(args.file.name)[0] \
        or "application/octet-stream"
    sent = send_image(target, args.file.read_bytes(), name, content_type)
    print(f"moderate_uploaded_image: HTTP {sent.status}")
    if sent.location is None:
        print("the object was deleted (reject action 'delete')")
        return
    print(f"gs://{target.bucket}/{sent.location}")
    print(json.dumps(sent.metadata, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
