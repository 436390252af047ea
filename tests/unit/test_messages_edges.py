"""messages at its edges: a value missing from a Turkish text, chain() of one part or none,
and a Msg's repr (the everyday cases are in test_messages.py)."""

from __future__ import annotations

import pytest

from messages import Msg, chain, render


def test_a_missing_value_keeps_its_field_in_every_language() -> None:
    assert render(Msg("qr.part_code.too_long"), "tr") == \
        "part_code en fazla {max_chars} karakter olabilir"
    assert render(Msg("common.or", first="a"), "tr") == "a veya {second}"


def test_chain_of_one_part_is_that_part() -> None:
    approved = Msg("moderation.status.approved")
    assert chain("common.or", [approved]) is approved
    word = chain("common.or", ["kırmızı"])
    assert isinstance(word, Msg) and word.code == "common.verbatim"
    assert render(chain("common.or", ["a", approved]), "tr") == \
        "a veya Görsel moderasyondan geçti."


def test_chain_of_nothing_is_a_mistake() -> None:
    with pytest.raises(ValueError, match=r"^chain\(\) needs at least one part$"):
        chain("common.or", [])


def test_a_msg_shows_its_code_and_its_english() -> None:
    assert repr(Msg("common.or", first="a", second="b")) == "Msg('common.or': 'a or b')"
