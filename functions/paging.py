"""The paging input of the listing callables: `{limit?, after?}`, checked the same way
everywhere (a console asks for a page; a script may send nothing at all)."""

from __future__ import annotations

from typing import Any

from errors import InvalidInput
from messages import Msg


def page_input(data: Any, *, default: int, most: int) -> tuple[int, Any]:
    """(limit, after) from callable data; None or {} means the first page of `default`.
    `after` is returned as sent (the caller checks its shape)."""
    if data is None:
        return default, None
    if not isinstance(data, dict):
        raise InvalidInput(Msg("listing.page.not_an_object"))
    limit = data.get("limit", default)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= most:
        raise InvalidInput(Msg("listing.page.limit_range", most=most))
    return limit, data.get("after")
