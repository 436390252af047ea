"""qr.ids at its exact limits: the longest id with a wrong first character, a wrong second
character behind a punctuation mark, an id made of a dash and a suffix only, and how long a
shown value may be before it is cut (the rules themselves are in test_ids.py)."""

from __future__ import annotations

from typing import Any

import pytest

from errors import InvalidInput
from qr import ids


def refusal(call: Any, value: str) -> tuple[str, dict[str, Any]]:
    with pytest.raises(InvalidInput) as err:
        call(value)
    return err.value.message.code, err.value.message.params


def test_the_longest_id_with_only_its_first_character_wrong() -> None:
    assert refusal(ids.validate_qr_id, "." + "a" * 199) == ("qr.qr_id.bad_start", {})
    assert refusal(ids.validate_qr_id, "-" + "a" * 200) == (
        "qr.qr_id.too_long", {"max_chars": 200, "length": 201})


def test_a_wrong_character_after_a_leading_dash_is_the_one_named() -> None:
    assert refusal(ids.validate_qr_id, "-!ab") == ("qr.qr_id.bad_character", {})
    assert refusal(ids.validate_qr_id, "-a!b") == ("qr.qr_id.bad_character", {})
    assert refusal(ids.validate_qr_id, "_ab") == ("qr.qr_id.bad_start", {})


def test_an_id_without_a_part_code_before_its_dash_is_refused() -> None:
    assert refusal(ids.part_code_of, "-abc") == ("qr.qr_id.no_part_code",
                                                 {"qr_id": "'-abc'"})
    assert ids.part_code_of("a-") == "a"


def test_a_shown_value_is_cut_after_40_characters() -> None:
    assert refusal(ids.part_code_of, "x" * 40) == ("qr.qr_id.no_part_code",
                                                   {"qr_id": repr("x" * 40)})
    assert refusal(ids.part_code_of, "x" * 41) == ("qr.qr_id.no_part_code",
                                                   {"qr_id": repr("x" * 40 + "…")})


def test_the_largest_whole_number_code() -> None:
    assert ids.normalize_part_code(10 ** 64 - 1) == "9" * 64
    assert refusal(ids.normalize_part_code, 10 ** 64) == ("qr.part_code.too_long",
                                                          {"max_chars": 64})
    assert refusal(ids.normalize_part_code, -(10 ** 64)) == ("qr.part_code.too_long",
                                                             {"max_chars": 64})


def test_a_fraction_is_shown_as_it_came() -> None:
    assert refusal(ids.normalize_part_code, 1.5) == ("qr.part_code.decimal", {"value": "1.5"})


def test_a_code_that_starts_wrong_is_shown() -> None:
    assert refusal(ids.normalize_part_code, ".A") == ("qr.part_code.bad_start",
                                                      {"code": "'.A'"})
    code, params = refusal(ids.normalize_part_code, "\u0301a")
    assert (code, params["code"]) == ("qr.part_code.bad_start_named", repr("\u0301a"))
    assert params["character"].code == "char.combining"
