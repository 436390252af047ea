"""Helpers for the moderation tests that run through the functions framework: images,
uploads to the storage emulator, finalized events, records and usage."""

from __future__ import annotations

import io
import os
from typing import Any

from PIL import Image

from devtools.storage_events import storage_finalized_event, to_structured_http

BUCKET = os.environ["STORAGE_BUCKET"]


def png_bytes(color: str = "red", size: int = 8) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), color).save(buffer, "PNG")
    return buffer.getvalue()


def upload(gcs: Any, name: str, data: bytes, content_type: str = "image/png",
           metadata: dict | None = None) -> Any:
    blob = gcs.bucket().blob(name)
    blob.metadata = metadata
    blob.upload_from_string(data, content_type=content_type)
    blob.reload()
    return blob


def deliver(call: Any, blob: Any, *, function: str = "moderate_uploaded_image",
            event_id: str | None = None, size: int | None = None) -> Any:
    event = storage_finalized_event(BUCKET, blob.name, str(blob.generation),
                                    content_type=blob.content_type, size=size or blob.size,
                                    metadata=blob.metadata, event_id=event_id)
    headers, body = to_structured_http(event)
    reply = call(function, "POST", headers=headers, data=body)
    assert reply.status_code == 200, reply.get_data(as_text=True)
    return reply


def moderation_records(firestore_client: Any) -> list[dict]:
    return [d.to_dict() for d in firestore_client.collection("image_moderation").stream()]


def usage(firestore_client: Any) -> int:
    """Units counted, added up from the allotment shards as the quota status does."""
    import composition

    ledger = composition.vision_ledger()
    return sum(ledger.month_usage(d.id)[0]
               for d in firestore_client.collection("vision_api_quota").stream())


def callable_(call: Any, name: str, data: Any, token: str | None = None) -> Any:
    return call(name, "POST", token=token, json={"data": data})


def result_of(reply: Any) -> Any:
    """The `result` of a callable's 200 reply (the reply's text when it is not one)."""
    assert reply.status_code == 200, reply.get_data(as_text=True)
    return reply.get_json()["result"]


def error_of(reply: Any) -> Any:
    """The `error` of a callable's refusal (4xx or 5xx)."""
    assert reply.status_code >= 400, reply.get_data(as_text=True)
    return reply.get_json()["error"]
