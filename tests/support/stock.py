"""Labels made through upload_parts for an e2e test, read back by part."""

from __future__ import annotations

from typing import Any


def stock_up(call: Any, token: str, drain: Any, firestore_client: Any,
             parts: list[dict[str, Any]]) -> dict[str, list[str]]:
    """Upload `parts`, store the PNGs (drain the queue), and return each part's QR ids,
    sorted: {part_code: [qr_id, ...]}."""
    reply = call("upload_parts", "POST", token=token, json={"parts": parts})
    assert reply.status_code == 201, reply.get_data(as_text=True)
    drain()
    by_part: dict[str, list[str]] = {}
    for doc in firestore_client.collection("qr_codes").stream():
        by_part.setdefault(doc.to_dict()["part_code"], []).append(doc.id)
    return {code: sorted(qr_ids) for code, qr_ids in by_part.items()}
