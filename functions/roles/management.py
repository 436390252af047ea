"""Granting and revoking roles (staff, admin), and listing who holds them.

Roles are custom claims on Firebase accounts; only an admin changes them. Every change is
audited in admin_actions with before, after and who. The last admin cannot remove their
own admin role (the project would be left with nobody able to grant it back). A role
reaches the user's app with their next ID token: the reply says how to get one now.
"""

from __future__ import annotations

import re
from typing import Any

from errors import FailedPrecondition, InvalidInput, NotFound, Unavailable
from identity import Caller, require_admin
from messages import Msg
from roles.ports import (
    ROLES,
    AuditLog,
    AuditUnavailable,
    DirectoryUnavailable,
    UserAccount,
    UserDirectory,
)

TOKEN_REFRESH = Msg("roles.token_refresh")  # in the reply; rendered in the caller's language
LAST_ADMIN = Msg("roles.last_admin")
DIRECTORY_DOWN = Msg("roles.directory_down")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_UID = re.compile(r"[A-Za-z0-9_.:-]{1,128}")


class RoleManagement:
    def __init__(self, directory: UserDirectory, audit: AuditLog) -> None:
        self._directory = directory
        self._audit = audit

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
            account = self._directory.find(uid=uid, email=email)
            if account is None:
                raise NotFound(Msg("roles.no_account", kind="uid" if uid else "email",
                                   value=repr(uid or email)))
            if not grant and role == "admin" and account.uid == admin.uid \
                    and self._admin_count() <= 1:
                raise FailedPrecondition(LAST_ADMIN)
            before = account.roles
            claims = dict(account.claims)
            if grant:
                claims[role] = True
            else:
                claims.pop(role, None)
            after = UserAccount(account.uid, account.email, claims).roles
            if after != before:
                self._directory.set_claims(account.uid, claims)
                self._record(admin, account, role, grant, before, after)
        except DirectoryUnavailable as err:
            raise Unavailable(DIRECTORY_DOWN) from err
        return {"success": True, "uid": account.uid, "email": account.email,
                "roles": after, "previousRoles": before, "changed": after != before,
                "tokenRefresh": TOKEN_REFRESH}

    def _record(self, admin: Caller, account: UserAccount, role: str, grant: bool,
                before: list[str], after: list[str]) -> None:
        try:
            self._audit.record("grant_role" if grant else "revoke_role", admin,
                               target={"uid": account.uid, "email": account.email,
                                       "role": role},
                               before={"roles": before}, after={"roles": after})
        except AuditUnavailable as err:
            # No change without its audit record: put the claims back, then say so.
            self._directory.set_claims(account.uid, account.claims)
            raise Unavailable(Msg("roles.audit_failed")) from err

    def _admin_count(self) -> int:
        return sum(1 for account in self._directory.with_roles() if "admin" in account.roles)


def _role(data: Any, *, required: bool) -> str | None:
    value = data.get("role") if isinstance(data, dict) else None
    if value is None and not required:
        return None
    if not isinstance(value, str) or value.strip().lower() not in ROLES:
        raise InvalidInput(Msg("roles.role"))
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
            "disabled": account.disabled}
