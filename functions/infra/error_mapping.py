"""Errors cross the boundary here, once: domain error -> HTTP status / HttpsError code."""

from __future__ import annotations

import errors

# Order matters: subclasses before their bases.
_HTTP_STATUS: tuple[tuple[type[errors.DomainError], int], ...] = (
    (errors.PayloadTooLarge, 413),
    (errors.InvalidInput, 400),
    (errors.Unauthenticated, 401),
    (errors.PermissionDenied, 403),
    (errors.NotFound, 404),
    (errors.FailedPrecondition, 409),
    (errors.QuotaExhausted, 429),
    (errors.Unavailable, 503),
)

# Names of firebase_functions.https_fn.FunctionsErrorCode members.
_CALLABLE_CODE: tuple[tuple[type[errors.DomainError], str], ...] = (
    (errors.InvalidInput, "INVALID_ARGUMENT"),
    (errors.Unauthenticated, "UNAUTHENTICATED"),
    (errors.PermissionDenied, "PERMISSION_DENIED"),
    (errors.NotFound, "NOT_FOUND"),
    (errors.FailedPrecondition, "FAILED_PRECONDITION"),
    (errors.QuotaExhausted, "RESOURCE_EXHAUSTED"),
    (errors.Unavailable, "UNAVAILABLE"),
)


def http_status_for(error: errors.DomainError) -> int:
    for cls, status in _HTTP_STATUS:
        if isinstance(error, cls):
            return status
    return 500


def callable_code_for(error: errors.DomainError) -> str:
    for cls, code in _CALLABLE_CODE:
        if isinstance(error, cls):
            return code
    return "INTERNAL"
