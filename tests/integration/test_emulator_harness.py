"""The harness itself: each test starts on an empty emulator database."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("round_", [1, 2])
def test_database_is_wiped_between_tests(firestore_client, round_: int) -> None:
    docs = list(firestore_client.collection("harness").stream())
    assert docs == []
    firestore_client.collection("harness").document("d").set({"round": round_})
    assert firestore_client.collection("harness").document("d").get().to_dict() == {
        "round": round_
    }
