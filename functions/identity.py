"""Who is calling, as the core sees it (built from a verified Firebase ID token), and the
roles the functions check.

Roles are custom claims on the user's Firebase account: `staff: true` opens the
inventory (labels, counts), `moderator: true` the review of images a person must decide,
`admin: true` the admin functions and includes both. Only the boolean true counts: a claim
of "true" (a string), 1 or `role: "admin"` is no role at all, here as in firestore.rules.
"""

from __future__ import annotations

from dataclasses import dataclass

from errors import PermissionDenied, Unauthenticated
from messages import Msg

# Every role there is: granted and revoked alike (roles/management.py), checked in tokens.
ROLES: tuple[str, ...] = ("staff", "admin", "moderator")
STAFF_MISSING = Msg("auth.staff_required")
ADMIN_MISSING = Msg("auth.admin_required")
MODERATOR_MISSING = Msg("auth.moderator_required")


@dataclass(frozen=True)
class Caller:
    uid: str
    is_admin: bool = False
    email: str | None = None
    has_staff_claim: bool = False
    has_moderator_claim: bool = False

    @property
    def is_staff(self) -> bool:
        """Staff, or an admin (an admin is also staff)."""
        return self.has_staff_claim or self.is_admin

    @property
    def is_moderator(self) -> bool:
        """A moderator, or an admin (an admin is also a moderator)."""
        return self.has_moderator_claim or self.is_admin


def require_signed_in(caller: Caller | None) -> Caller:
    if caller is None:
        raise Unauthenticated(Msg("auth.sign_in_required"))
    return caller


def require_staff(caller: Caller | None) -> Caller:
    caller = require_signed_in(caller)
    if not caller.is_staff:
        raise PermissionDenied(STAFF_MISSING)
    return caller


def require_admin(caller: Caller | None) -> Caller:
    caller = require_signed_in(caller)
    if not caller.is_admin:
        raise PermissionDenied(ADMIN_MISSING)
    return caller


def require_moderator(caller: Caller | None) -> Caller:
    caller = require_signed_in(caller)
    if not caller.is_moderator:
        raise PermissionDenied(MODERATOR_MISSING)
    return caller
