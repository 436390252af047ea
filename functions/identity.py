"""Who is calling, as the core sees it (built from a verified Firebase ID token)."""

from __future__ import annotations

from dataclasses import dataclass

from errors import PermissionDenied, Unauthenticated


@dataclass(frozen=True)
class Caller:
    uid: str
    is_admin: bool = False
    email: str | None = None


def require_signed_in(caller: Caller | None) -> Caller:
    if caller is None:
        raise Unauthenticated("Sign in first: this function needs a Firebase ID token.")
    return caller


def require_admin(caller: Caller | None) -> Caller:
    caller = require_signed_in(caller)
    if not caller.is_admin:
        raise PermissionDenied("Only administrators (custom claim admin: true) may do this.")
    return caller
