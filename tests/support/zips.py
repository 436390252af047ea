"""Zip files that lie, for the upload parsers' tests."""

from __future__ import annotations


def declare_size(content: bytes, member: str, declared: int) -> bytes:
    """Rewrite a member's uncompressed size in the central directory (what zipfile trusts)
    without touching its data: a zip that lies about how big a member is."""
    data = bytearray(content)
    at = data.find(b"PK\x01\x02")
    while at != -1:
        name_len = int.from_bytes(data[at + 28:at + 30], "little")
        if data[at + 46:at + 46 + name_len] == member.encode():
            data[at + 24:at + 28] = declared.to_bytes(4, "little")
            return bytes(data)
        at = data.find(b"PK\x01\x02", at + 4)
    raise AssertionError(f"{member} not in the zip")
