"""Cloud Storage "object finalized" CloudEvents, shaped like the ones Eventarc delivers.

    event = storage_finalized_event("uploads", "img/a.png", 1700000000000001,
                                    content_type="image/png", size=1234)
    headers, body = to_binary_http(event)
    flask_client.post("/", headers=headers, data=body)

The data carries every field firebase_functions' storage wrapper reads without a default
(bucket, generation, id, metageneration, name, size, storageClass) plus the usual ones;
numbers are strings, as on the wire. The time always has fractional seconds: the wrapper
parses it with "%Y-%m-%dT%H:%M:%S.%f%z" and answers 500 otherwise.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from typing import Any

from cloudevents.conversion import to_binary, to_structured
from cloudevents.http import CloudEvent

FINALIZED_TYPE = "google.cloud.storage.object.v1.finalized"
_GENERATION = re.compile(r"[1-9][0-9]{0,19}")
_RFC3339_FRACTIONAL = "%Y-%m-%dT%H:%M:%S.%f%z"


def storage_finalized_event(
    bucket: str,
    name: str,
    generation: int | str,
    *,
    content_type: str | None,
    size: int,
    metadata: dict[str, str] | None = None,
    event_id: str | None = None,
    time: datetime | str | None = None,
) -> CloudEvent:
    """A `google.cloud.storage.object.v1.finalized` CloudEvent for one object generation."""
    if not bucket or not name:
        raise ValueError("bucket and name are required")
    generation_text = str(generation)
    if isinstance(generation, bool) or not _GENERATION.fullmatch(generation_text):
        raise ValueError(f"generation must be a positive decimal integer, got {generation!r}")
    if isinstance(size, bool) or not isinstance(size, int) or size < 0:
        raise ValueError(f"size must be a non-negative integer, got {size!r}")
    stamp = event_time(time)
    data: dict[str, Any] = {
        "kind": "storage#object",
        "id": f"{bucket}/{name}/{generation_text}",
        "selfLink": f"https://www.googleapis.com/storage/v1/b/{bucket}/o/{name}",
        "name": name,
        "bucket": bucket,
        "generation": generation_text,
        "metageneration": "1",
        "contentType": content_type,
        "timeCreated": stamp,
        "updated": stamp,
        "storageClass": "STANDARD",
        "timeStorageClassUpdated": stamp,
        "size": str(size),
        "metadata": dict(metadata or {}),
    }
    if content_type is None:
        del data["contentType"]  # an upload without a type has no such field at all
    attributes = {
        "id": event_id or uuid.uuid4().hex,
        "type": FINALIZED_TYPE,
        "source": f"//storage.googleapis.com/projects/_/buckets/{bucket}",
        "subject": f"objects/{name}",
        "time": stamp,
        "specversion": "1.0",
        "datacontenttype": "application/json",
    }
    return CloudEvent(attributes, data)


def event_time(value: datetime | str | None = None) -> str:
    """RFC 3339 in UTC with microseconds, e.g. 2026-11-23T10:00:00.123456Z (now if None)."""
    if value is None:
        value = datetime.now(UTC)
    elif isinstance(value, str):
        try:
            value = datetime.strptime(value, _RFC3339_FRACTIONAL)
        except ValueError as exc:
            raise ValueError(
                f"time must be RFC 3339 with fractional seconds, got {value!r}"
            ) from exc
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("time must be timezone-aware")
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def to_structured_http(event: CloudEvent) -> tuple[dict[str, str], bytes]:
    """Structured mode: the whole event as one JSON body (application/cloudevents+json)."""
    headers, body = to_structured(event)
    return dict(headers), _as_bytes(body)


def to_binary_http(event: CloudEvent) -> tuple[dict[str, str], bytes]:
    """Binary mode, as Eventarc delivers: ce-* headers and the data as the JSON body.

    Header values must be ASCII: the cloudevents SDK neither percent-encodes nor decodes
    them, so an object name outside ASCII needs structured mode instead.
    """
    headers, body = to_binary(event)
    for key, value in headers.items():
        if not str(value).isascii():
            raise ValueError(f"header {key} is not ASCII; use to_structured_http")
    return dict(headers), _as_bytes(body)


def _as_bytes(body: bytes | str | None) -> bytes:
    if body is None:
        return b""
    return body.encode("utf-8") if isinstance(body, str) else body
