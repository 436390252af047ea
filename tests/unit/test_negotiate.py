"""messages.negotiate at its edges: the ranges that are not ranges, subtags, q-values as
RFC 9110 writes them (and as it does not), and the limits on what is read of a header or a
locale field. The everyday cases are in test_messages.py."""

from __future__ import annotations

import pytest

from messages.negotiate import language_from_accept_language, language_from_locale


@pytest.mark.parametrize(("header", "language"), [
    # A range that is not one is skipped, whatever its q-value.
    ("tr_TR, en;q=0.5", "en"), ("t r, en;q=0.5", "en"), ("tr-, en;q=0.5", "en"),
    ("tr-TR-, en;q=0.5", "en"), ("-tr, en;q=0.5", "en"), ("trtrtrtrt, en;q=0.5", "en"),
    ("tr-abcdefghi, en;q=0.5", "en"), ("tr-TR*, en;q=0.5", "en"), ("**, tr;q=0.5", "tr"),
    # Subtags: only the primary one names the language.
    ("tr-Latn-TR", "tr"), ("tr-Latn-TR;q=0.9, en;q=0.8", "tr"), ("en-Latn-US, tr", "en"),
    ("TR-latn", "tr"), ("tr-12345678", "tr"),
])
def test_ranges(header: str, language: str) -> None:
    assert language_from_accept_language(header) == language


@pytest.mark.parametrize(("header", "language"), [
    ("tr;Q=0.5, en", "en"), ("en;Q=0.5, tr;Q=0.6", "tr"),  # Q is q
    ("tr;q=1, en", "tr"), ("tr;q=1.000, en", "tr"), ("tr;q=1., en", "tr"),  # 1 ties: first
    ("en;q=0.001, tr;q=0.0001", "en"),  # four decimals is no q-value: tr is skipped
    ("tr;q=0.001, en;q=0", "tr"), ("tr;q=1.001, en;q=0.1", "en"), ("tr;q=.5, en;q=0.1", "en"),
    ("tr;q=-0.5, en;q=0.1", "en"), ("tr; q = 0.5 , en;q=0.4", "tr"),
    ("tr;q=0.5;q=0.3, en;q=0.4", "en"),  # the last q counts
    ("tr;;q=0.5, en", "en"),  # an empty parameter is skipped, the q after it still counts
    ("tr;level=1;q=0.5, en", "en"),  # another parameter is skipped, the q after it counts
    ("tr;q, en;q=0.5", "tr"), ("tr;qq=0.1, en;q=0.5", "tr"),  # no q-value at all: q=1
    ("tr;level=abc, en;q=0.5", "tr"),
    ("tr;q==0.5, en;q=0.4", "en"),  # "=0.5" is no q-value: tr is skipped
    ("en;q=0, tr;q=0.5", "tr"), ("en;q=x, tr;q=0.5", "tr"),  # skipped, and the next counts
])
def test_q_values(header: str, language: str) -> None:
    assert language_from_accept_language(header) == language


def test_only_the_first_1024_characters_of_a_header_are_read() -> None:
    filler = "x" * 1021 + ","  # one range that is not one, then "tr" at 1022 and 1023
    assert language_from_accept_language(filler + "tr-x") == "tr"  # "-x" is cut off
    assert language_from_accept_language(filler + "tr") == "tr"
    assert language_from_accept_language("x" * 1022 + ",tr") == "en"  # "t" only


def test_only_the_first_32_ranges_are_read() -> None:
    assert language_from_accept_language(", ".join(["de"] * 31 + ["tr"])) == "tr"
    assert language_from_accept_language(", ".join(["de"] * 32 + ["tr"])) == "en"


@pytest.mark.parametrize(("locale", "language"), [
    ("tr" + "-abcdefgh" * 2 + "-abcdefg" * 2, None),  # 36 characters: too long
    ("tr" + "-abcdefgh" + "-abcdefg" * 3, "tr"),  # 35
    (" " * 33 + "tr", "tr"),  # 35 with the spaces, which do not count once it is read
    ("tr-Latn-TR", "tr"), ("tr_Latn_TR", "tr"), ("tur", None), ("en-abcdefghi", None),
    ("t", None), ("trtr", None), ("tr TR", None), ("tr-TR-", None),
])
def test_locale_fields(locale: str, language: str | None) -> None:
    assert language_from_locale(locale) == language
