"""Try moderation by hand against the local run: upload an image to the local Cloud
Storage stand-in and deliver the `object.finalized` CloudEvent that Cloud Storage would.

    .venv/bin/python -m devtools.send_image photo.jpg [--name uploads/alice/photo.jpg]

The local Vision server answers VERY_UNLIKELY unless the name or bytes contain "unsafe".
Prints where the object ended up and its moderation metadata.
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import os
import urllib.request
from pathlib import Path

from devtools.local_run import RUN_INFO


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("file", type=Path)
    parser.add_argument("--name", help="object name (default uploads/<file name>)")
    parser.add_argument("--content-type", help="default: guessed from the file name")
    args = parser.parse_args()
    if not RUN_INFO.exists():
        raise SystemExit("Start the local run first: scripts/dev")
    run = json.loads(RUN_INFO.read_text())
    os.environ["STORAGE_EMULATOR_HOST"] = run["storage_emulator"]

    import google.cloud.storage as storage
    from google.auth.credentials import AnonymousCredentials

    from devtools.storage_events import storage_finalized_event, to_structured_http

    name = args.name or f"uploads/{args.file.name}"
    content_type = args.content_type or mimetypes.guess_type(args.file.name)[0] \
        or "application/octet-stream"
    bucket = storage.Client(project=run["project"], credentials=AnonymousCredentials()
                            ).bucket(run["bucket"])
    blob = bucket.blob(name)
    blob.upload_from_filename(str(args.file), content_type=content_type)
    blob.reload()
    event = storage_finalized_event(run["bucket"], name, str(blob.generation),
                                    content_type=content_type, size=blob.size)
    headers, body = to_structured_http(event)
    request = urllib.request.Request(f"{run['base']}/moderate_uploaded_image", data=body,
                                     headers=headers, method="POST")
    with urllib.request.urlopen(request, timeout=60) as response:
        print(f"moderate_uploaded_image: HTTP {response.status}")
    for candidate in (name, f"quarantine/{name}"):
        found = bucket.get_blob(candidate)
        if found is not None:
            print(f"gs://{run['bucket']}/{candidate}")
            print(json.dumps(found.metadata or {}, indent=2, ensure_ascii=False))
            return
    print("the object was deleted (reject action 'delete')")


if __name__ == "__main__":
    main()
