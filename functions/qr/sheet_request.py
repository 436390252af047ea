"""What a label-sheet request asks for, read from a query string (GET: every value a
string) or a JSON body (POST: typed values), with a clear message for each bad value."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from errors import InvalidInput
from messages import Msg
from qr.label_sheet import FIELDS, SheetOptions
from qr.sheet_layouts import LAYOUTS, SheetLayout

DEFAULT_LAYOUT = "avery-l7160"
_KNOWN = {"part_code", "qr_ids", "ids", "not_printed", "layout", "skip", "offset_x_mm",
          "offset_y_mm", "fields"}


@dataclass(frozen=True)
class SheetRequest:
    part_code: str | None
    qr_ids: list[str] | None
    not_printed: bool
    layout: SheetLayout
    options: SheetOptions


def parse(request: Any) -> SheetRequest:
    if not isinstance(request, dict):
        raise InvalidInput(Msg("qr.sheet.body"))
    unknown = sorted(set(request) - _KNOWN)
    if unknown:
        raise InvalidInput(Msg("qr.sheet.unknown_params", unknown=", ".join(unknown),
                               known=", ".join(sorted(_KNOWN - {"ids"}))))
    name = request.get("layout") or DEFAULT_LAYOUT
    if not isinstance(name, str) or name not in LAYOUTS:
        raise InvalidInput(Msg("qr.sheet.layout", layouts=", ".join(sorted(LAYOUTS))))
    return SheetRequest(
        part_code=_text(request, "part_code"),
        qr_ids=_id_list(request.get("qr_ids", request.get("ids"))),
        not_printed=_flag(request, "not_printed"),
        layout=LAYOUTS[name],
        options=SheetOptions(skip=_whole(request, "skip"),
                             offset_x_mm=_number(request, "offset_x_mm"),
                             offset_y_mm=_number(request, "offset_y_mm"),
                             fields=_fields(request.get("fields"))))


def _text(request: dict[str, Any], name: str) -> str | None:
    value = request.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidInput(Msg("common.field_not_string", name=name))
    return value


def _id_list(value: Any) -> list[str] | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = [v for v in value.split(",") if v]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(Msg("qr.sheet.qr_ids"))
    return value


def _flag(request: dict[str, Any], name: str) -> bool:
    value = request.get(name, False)
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "1", "yes", "false", "0", "no", ""):
        return value.lower() in ("true", "1", "yes")
    raise InvalidInput(Msg("common.field_not_boolean", name=name))


def _whole(request: dict[str, Any], name: str) -> int:
    value = request.get(name, 0)
    if isinstance(value, str):
        try:
            value = int(value.strip() or "0")
        except ValueError as err:
            raise InvalidInput(Msg("common.field_not_whole_number", name=name)) from err
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidInput(Msg("common.field_not_whole_number", name=name))
    return value


def _number(request: dict[str, Any], name: str) -> float:
    value = request.get(name, 0.0)
    if isinstance(value, str):
        try:
            value = float(value.strip() or "0")
        except ValueError as err:
            raise InvalidInput(Msg("qr.sheet.not_mm", name=name)) from err
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(
            value):
        raise InvalidInput(Msg("qr.sheet.not_mm", name=name))
    return float(value)


def _fields(value: Any) -> tuple[str, ...]:
    if value is None:
        return FIELDS
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise InvalidInput(Msg("qr.sheet.fields", fields=", ".join(FIELDS)))
    return tuple(value)
