"""qr.sheet_request.parse: a label-sheet request from a query string (every value text) or
a JSON body (typed values), its defaults, and the message for each bad value."""

from __future__ import annotations

from typing import Any

import pytest

from errors import InvalidInput
from qr.label_sheet import FIELDS, SheetOptions
from qr.sheet_layouts import LAYOUTS
from qr.sheet_request import DEFAULT_LAYOUT, SheetRequest, parse

LAYOUT_NAMES = ", ".join(sorted(LAYOUTS))


def refused(request: Any) -> InvalidInput:
    with pytest.raises(InvalidInput) as err:
        parse(request)
    return err.value


def assert_refused(request: Any, code: str, **params: Any) -> None:
    message = refused(request).message
    assert (message.code, message.params) == (code, params)


def test_an_empty_request_takes_every_default() -> None:
    assert DEFAULT_LAYOUT == "avery-l7160"
    assert parse({}) == SheetRequest(part_code=None, qr_ids=None, not_printed=False,
                                     layout=LAYOUTS["avery-l7160"],
                                     options=SheetOptions(skip=0, offset_x_mm=0.0,
                                                          offset_y_mm=0.0, fields=FIELDS))


def test_empty_query_values_are_the_defaults() -> None:
    request = {"part_code": "", "qr_ids": "", "not_printed": "", "layout": "", "skip": " ",
               "offset_x_mm": "", "offset_y_mm": " "}
    assert parse(request) == parse({})


def test_a_query_string_request() -> None:
    got = parse({"part_code": "M3-VIDA", "qr_ids": "A-1,,B-2,", "not_printed": "Yes",
                 "layout": "avery-5160", "skip": " 7 ", "offset_x_mm": "-1.5",
                 "offset_y_mm": " 0.25 ", "fields": " qr_id , part_code ,, "})
    assert got == SheetRequest(part_code="M3-VIDA", qr_ids=["A-1", "B-2"], not_printed=True,
                               layout=LAYOUTS["avery-5160"],
                               options=SheetOptions(skip=7, offset_x_mm=-1.5,
                                                    offset_y_mm=0.25,
                                                    fields=("qr_id", "part_code")))
    assert isinstance(got.options.offset_x_mm, float)


def test_a_json_request() -> None:
    got = parse({"qr_ids": ["A-1", "B-2"], "not_printed": True, "layout": "zebra-2x1",
                 "skip": 3, "offset_x_mm": 2, "offset_y_mm": -0.5, "fields": ["qr_id"]})
    assert got == SheetRequest(part_code=None, qr_ids=["A-1", "B-2"], not_printed=True,
                               layout=LAYOUTS["zebra-2x1"],
                               options=SheetOptions(skip=3, offset_x_mm=2.0, offset_y_mm=-0.5,
                                                    fields=("qr_id",)))
    assert type(got.options.offset_x_mm) is float


def test_ids_is_another_name_for_qr_ids() -> None:
    assert parse({"ids": "A-1,B-2"}).qr_ids == ["A-1", "B-2"]
    assert parse({"ids": ["A-1"]}).qr_ids == ["A-1"]
    assert parse({"qr_ids": "Q-1", "ids": "A-1"}).qr_ids == ["Q-1"]


@pytest.mark.parametrize(("given", "expected"), [
    (True, True), (False, False), ("true", True), ("TRUE", True), ("1", True), ("yes", True),
    ("false", False), ("0", False), ("No", False), ("", False)])
def test_not_printed_as_a_flag(given: Any, expected: bool) -> None:
    assert parse({"not_printed": given}).not_printed is expected


@pytest.mark.parametrize("given", ["y", "on", 1, 0, None])
def test_not_printed_that_is_no_flag_is_refused(given: Any) -> None:
    assert_refused({"not_printed": given}, "common.field_not_boolean", name="not_printed")


@pytest.mark.parametrize("request_", [None, [], "part_code=A"])
def test_a_request_must_be_an_object(request_: Any) -> None:
    assert_refused(request_, "qr.sheet.body")


def test_unknown_parameters_are_named_with_the_known_ones() -> None:
    assert_refused({"skip": 1, "zoom": 2, "color": "red"}, "qr.sheet.unknown_params",
                   unknown="color, zoom",
                   known="fields, layout, not_printed, offset_x_mm, offset_y_mm, part_code, "
                         "qr_ids, skip")


@pytest.mark.parametrize("name", ["letter", "AVERY-L7160", 5160])
def test_an_unknown_layout_is_refused_naming_the_layouts(name: Any) -> None:
    assert_refused({"layout": name}, "qr.sheet.layout", layouts=LAYOUT_NAMES)


def test_every_layout_by_its_name() -> None:
    for name, layout in LAYOUTS.items():
        assert parse({"layout": name}).layout is layout


def test_a_part_code_that_is_no_text_is_refused() -> None:
    assert_refused({"part_code": 12}, "common.field_not_string", name="part_code")


@pytest.mark.parametrize("given", [5, ["A-1", 2], {"A-1": 1}])
def test_qr_ids_that_are_no_list_of_texts_are_refused(given: Any) -> None:
    assert_refused({"qr_ids": given}, "qr.sheet.qr_ids")
    assert_refused({"ids": given}, "qr.sheet.qr_ids")


@pytest.mark.parametrize("given", ["two", "1.5", 1.0, True, None])
def test_skip_must_be_a_whole_number(given: Any) -> None:
    assert_refused({"skip": given}, "common.field_not_whole_number", name="skip")


@pytest.mark.parametrize("name", ["offset_x_mm", "offset_y_mm"])
@pytest.mark.parametrize("given", ["left", "nan", "inf", float("nan"), float("-inf"), True,
                                   None, [1]])
def test_an_offset_must_be_a_finite_number_of_mm(name: str, given: Any) -> None:
    assert_refused({name: given}, "qr.sheet.not_mm", name=name)


@pytest.mark.parametrize("given", [5, ["qr_id", 5], {"qr_id": 1}])
def test_fields_that_are_no_list_of_texts_are_refused(given: Any) -> None:
    assert_refused({"fields": given}, "qr.sheet.fields", fields="part_code, part_name, qr_id")


def test_fields_are_passed_on_as_given() -> None:
    """Unknown or repeated fields are label_sheet.check_options' to refuse, with the sheet."""
    assert parse({"fields": ["qr_id", "qr_id", "colour"]}).options.fields == (
        "qr_id", "qr_id", "colour")
    assert parse({"fields": ""}).options.fields == ()
