"""What messages/__init__.py logs when a message cannot be made as asked: a code missing
from the catalog, a value that cannot be formatted (the person still gets a text)."""

from __future__ import annotations

import logging

import pytest

from messages import Msg, render


class Unprintable:
    def __format__(self, spec: str) -> str:
        raise TypeError("no text for this value")


def errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records
            if r.name == "messages" and r.levelno == logging.ERROR]


def test_an_unknown_code_is_logged_and_shown_as_it_is(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        assert Msg("no.such.code") == "no.such.code"
    assert errors(caplog) == ["no message with code 'no.such.code'"]


def test_a_value_that_cannot_be_formatted_gives_the_english_template(
        caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.ERROR):
        message = Msg("qr.part_code.too_long", max_chars=Unprintable())
        turkish = render(message, "tr")
    assert message == "part_code may be at most {max_chars} characters"
    assert turkish == "part_code may be at most {max_chars} characters"
    assert errors(caplog) == [
        "message 'qr.part_code.too_long' could not be formatted in 'en'",
        "message 'qr.part_code.too_long' could not be formatted in 'tr'"]
