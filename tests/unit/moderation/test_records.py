"""The path an uploader computes to wait for its verdict (moderation/records.py)."""

from __future__ import annotations

import pytest

from moderation.records import object_key, valid_document_id


def test_the_key_is_the_sha256_of_the_name_in_hex_as_any_client_computes_it() -> None:
    # printf 'users/lena/holiday.png' | sha256sum (and the README's JavaScript) agree.
    assert object_key("users/lena/holiday.png") == (
        # pragma: allowlist nextline secret
        "41ab55ab07248c4939265343482a070b72b74c409e7d51b9527b727cb19c66fe")
    # UTF-8, as TextEncoder encodes: printf 'ç' | sha256sum
    assert object_key("ç") == (
        # pragma: allowlist nextline secret
        "8bfa829b8119a6f39b91fd8decec63830b556e4d88a9da29334d7b0558829f2d")


@pytest.mark.parametrize(("text", "valid"), [
    ("alice", True), ("a", True), ("a.b@example.com", True), ("ünal", True), ("x" * 1500, True),
    ("", False), (".", False), ("..", False), ("a/b", False), ("__reserved__", False),
    ("x" * 1501, False), ("ü" * 751, False),
])
def test_which_uids_can_name_a_document(text: str, valid: bool) -> None:
    assert valid_document_id(text) is valid
