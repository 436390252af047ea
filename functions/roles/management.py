"""Granting and revoking roles (staff, admin), and listing who holds them.

Roles are custom claims on Firebase accounts; only an admin changes them. Every change is
audited in admin_actions with before, after and who. Changes are made one at a time
(`RoleLock`, across instances), so the rule "the last admin keeps the admin role" reads
the holders and writes the claims without anyone changing them in between: two admins
removing each other at once leave one.

Trust takes effect at once: removing a role revokes the account's sessions, so the ID
token it holds stops working (infra/token_revocation.py) and it signs in again to get one
without the role. A role goes only to an address its owner has proved: granting by email
needs a verified email; by uid it is allowed, with a warning in the reply. A granted role
reaches the user's app with their next ID token: the reply says how to get one now.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from errors import FailedPrecondition, InvalidInput, NotFound, PermissionDenied, Unavailable
from identity import ADMIN_MISSING, ROLES, Caller, require_admin
from messages import Msg
from roles.ports import (
    AuditLog,
    DirectoryUnavailable,
    RoleLock,
    UserAccount,
    UserDirectory,
)

TOKEN_REFRESH = Msg("roles.token_refresh")  # in the reply; rendered in the caller's language
SIGNED_OUT = Msg("roles.signed_out")
LAST_ADMIN = Msg("roles.last_admin")
DIRECTORY_DOWN = Msg("roles.directory_down")
UNVERIFIED_WARNING = Msg("roles.unverified_warning")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_UID = re.compile(r"[A-Za-z0-9_.:-]{1,128}")


class RoleManagement:
    def __init__(self, directory: UserDirectory, audit: AuditLog, lock: RoleLock, *,
                 on_revoked: Callable[[str], None] | None = None,
                 operator: bool = False) -> None:
        self._directory = directory
        self._audit = audit
        self._lock = lock
        self._on_revoked = on_revoked  # this instance forgets the account's cached tokens
        # The command line (devtools/roles.py), run with the project's own credentials: its
        # caller is no account whose admin role could have been taken away.
        self._operator = operator

    def grant(self, caller: Caller | None, data: Any) -> dict[str, Any]:
        return self._change(require_admin(caller), data, grant=True)

    def revoke(self, caller: Caller | None, data: Any) -> dict[str, Any]:
        return self._change(require_admin(caller), data, grant=False)

    def holders(self, caller: Caller | None, data: Any = None) -> dict[str, Any]:
        """The accounts that hold a role (all roles, or `{"role": ...}` only)."""
        require_admin(caller)
        wanted = _role(data, required=False)
        try:
            accounts = self._directory.with_roles()
        except DirectoryUnavailable as err:
            raise Unavailable(DIRECTORY_DOWN) from err
        users = [_describe(a) for a in sorted(accounts, key=lambda a: (a.email or "", a.uid))
                 if wanted is None or wanted in a.roles]
        return {"users": users, "count": len(users)}

    def _change(self, admin: Caller, data: Any, *, grant: bool) -> dict[str, Any]:
        uid, email = _target(data)
        role = _role(data, required=True)
        assert role is not None
        try:
            with self._lock.exclusive():
                account = self._directory.find(uid=uid, email=email)
                if account is None:
                    raise NotFound(Msg("roles.no_account", kind="uid" if uid else "email",
                                       value=repr(uid or email)))
                if grant and email is not None and not account.email_verified:
                    raise FailedPrecondition(Msg("roles.email_unverified",
                                                 email=repr(account.email)))
                if not grant and role == "admin" and "admin" in account.roles \
                        and self._admin_count() <= 1:
                    raise FailedPrecondition(LAST_ADMIN if account.uid == admin.uid
                                             else Msg("roles.last_admin_other",
                                                      who=account.email or account.uid))
                if not self._operator:
                    self._require_still_admin(admin)
                before = account.roles
                claims = dict(account.claims)
                if grant:
                    claims[role] = True
                else:
                    claims.pop(role, None)
                after = UserAccount(account.uid, account.email, claims).roles
                if after != before:
                    self._apply(admin, account, claims, role, grant, before, after)
        except DirectoryUnavailable as err:
            raise Unavailable(DIRECTORY_DOWN) from err
        reply = {"success": True, "uid": account.uid, "email": account.email,
                 "emailVerified": account.email_verified, "roles": after,
                 "previousRoles": before, "changed": after != before,
                 "tokenRefresh": TOKEN_REFRESH if grant else SIGNED_OUT}
        if grant and not account.email_verified:
            reply["warning"] = UNVERIFIED_WARNING
        return reply

    def _apply(self, admin: Caller, account: UserAccount, claims: dict[str, Any], role: str,
               grant: bool, before: list[str], after: list[str]) -> None:
        """Sessions first when a role goes: should setting the claims fail, the account is
        signed out with its role, never left signed in with a role it lost."""
        if not grant:
            self._directory.revoke_sessions(account.uid)
            if self._on_revoked is not None:
                self._on_revoked(account.uid)
        self._directory.set_claims(account.uid, claims)
        try:
            self._audit.record("grant_role" if grant else "revoke_role", admin,
                               target={"uid": account.uid, "email": account.email,
                                       "role": role},
                               before={"roles": before}, after={"roles": after})
        except Unavailable as err:
            # No change without its audit record: put the claims back, then say so.
            self._directory.set_claims(account.uid, account.claims)
            raise Unavailable(Msg("roles.audit_failed")) from err

    def _require_still_admin(self, admin: Caller) -> None:
        """The caller's token says admin; the directory says whether that is still so (an
        admin removed a moment ago must not go on changing roles)."""
        current = self._directory.find(uid=admin.uid)
        if current is None or "admin" not in current.roles:
            raise PermissionDenied(ADMIN_MISSING)

    def _admin_count(self) -> int:
        return sum(1 for account in self._directory.with_roles() if "admin" in account.roles)


def _role(data: Any, *, required: bool) -> str | None:
    value = data.get("role") if isinstance(data, dict) else None
    if value is None and not required:
        return None
    if not isinstance(value, str) or value.strip().lower() not in ROLES:
        raise InvalidInput(Msg("roles.role", roles=", ".join(ROLES)))
    return value.strip().lower()


def _target(data: Any) -> tuple[str | None, str | None]:
    if not isinstance(data, dict) or ("uid" in data) == ("email" in data):
        raise InvalidInput(Msg("roles.target"))
    if "uid" in data:
        uid = data["uid"]
        if not isinstance(uid, str) or not _UID.fullmatch(uid.strip()):
            raise InvalidInput(Msg("roles.uid"))
        return uid.strip(), None
    email = data["email"]
    if not isinstance(email, str) or len(email) > 254 or not _EMAIL.fullmatch(email.strip()):
        raise InvalidInput(Msg("roles.email"))
    return None, email.strip()


def _describe(account: UserAccount) -> dict[str, Any]:
    return {"uid": account.uid, "email": account.email, "roles": account.roles,
            "disabled": account.disabled, "emailVerified": account.email_verified}
