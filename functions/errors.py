"""Domain errors: the only errors the core raises on purpose.

Their message is written for a person and is safe to show to the caller: a `Msg` from
the catalog (messages/catalog.py), by code, in English and Turkish. The entry points map
each class to an HTTP status or an HttpsError code in one place (`infra/error_mapping.py`)
and render the message in the caller's language (`infra/http_boundary.py`). Anything else
that escapes is an internal error and the caller only ever sees a generic message.
"""

from __future__ import annotations

from typing import Any

from messages import Msg, render, render_tree


class DomainError(Exception):
    """Base class. `message` is a Msg: as a str, its English text (what logs and `str(err)`
    show); `code` is its catalog code. `details` is JSON-safe extra context for the caller
    (e.g. row errors), whose Msg values are rendered with the message."""

    def __init__(self, message: Msg, *, details: Any = None) -> None:
        if not isinstance(message, Msg):  # a plain text: shown as it is, in any language
            message = Msg("common.verbatim", text=str(message))
        super().__init__(str(message))
        self.message = message
        self.details = details

    @property
    def code(self) -> str:
        return self.message.code

    def message_in(self, language: str) -> str:
        return render(self.message, language)

    def details_in(self, language: str) -> Any:
        return render_tree(self.details, language)


class InvalidInput(DomainError):
    """The request itself is wrong: fix it and try again."""


class PayloadTooLarge(InvalidInput):
    """The request body or an uploaded file is over a size limit."""


class Unauthenticated(DomainError):
    """No caller, or a caller whose token could not be verified."""


class PermissionDenied(DomainError):
    """A known caller without the right to do this."""


class NotFound(DomainError):
    """The thing asked for does not exist."""


class FailedPrecondition(DomainError):
    """The request is valid but the system is not in a state that allows it."""


class QuotaExhausted(DomainError):
    """A budget (e.g. the monthly Vision quota) does not allow the work."""


class Unavailable(DomainError):
    """A dependency is down or refused; trying again later may work."""


class StoreUnavailable(Unavailable):
    """The database could not be reached, or stayed too busy, within the call's time budget.

    The one store error: every Firestore adapter raises it (infra/firestore_calls.py) and
    the entry points answer 503 / UNAVAILABLE. `detail` says what failed, for the logs
    only; the caller sees `message`, by default a plain "try again shortly". A feature that
    has more to say (what was kept, what to send again) raises it with its own message."""

    def __init__(self, *, detail: str = "", message: Msg | None = None) -> None:
        super().__init__(message or Msg("common.store_unavailable"))
        self.detail = detail

    def __str__(self) -> str:
        return self.detail or super().__str__()

    def saying(self, message: Msg) -> StoreUnavailable:
        """The same failure, told to the caller with a feature's own message."""
        return type(self)(detail=self.detail, message=message)


class StoreBusy(StoreUnavailable):
    """Gave up within the time budget because of contention (writers kept winning)."""
