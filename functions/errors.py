"""Domain errors: the only errors the core raises on purpose.

Their message is written for a person and is safe to show to the caller; the entry
points map each class to an HTTP status or an HttpsError code in one place
(`infra/error_mapping.py`). Anything else that escapes is an internal error and the
caller only ever sees a generic message.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base class. `details` is JSON-safe extra context for the caller (e.g. row errors)."""

    def __init__(self, message: str, *, details: Any = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


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
