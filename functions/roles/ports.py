"""What role management needs from the outside world: the user accounts (Firebase Auth)
and the audit trail. No SDK types here."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import Any, Protocol

from identity import ROLES, Caller


@dataclass(frozen=True)
class UserAccount:
    uid: str
    email: str | None
    claims: dict[str, Any] = field(default_factory=dict)
    disabled: bool = False
    email_verified: bool = False

    @property
    def roles(self) -> list[str]:
        """The roles this account holds (only the boolean true counts, as everywhere)."""
        return [role for role in ROLES if self.claims.get(role) is True]


class DirectoryUnavailable(Exception):
    """The user directory (Firebase Auth) could not be reached or refused the call."""


class UserDirectory(Protocol):
    def find(self, *, uid: str | None = None, email: str | None = None
             ) -> UserAccount | None: ...

    def set_claims(self, uid: str, claims: dict[str, Any]) -> None:
        """Replace the account's custom claims (the caller merges what it keeps)."""
        ...

    def with_roles(self) -> list[UserAccount]:
        """Every account that holds at least one role."""
        ...

    def revoke_sessions(self, uid: str) -> None:
        """Revoke the account's refresh tokens: its ID tokens stop working (as soon as the
        functions check, infra/token_revocation.py) and it must sign in again."""
        ...


class RoleLock(Protocol):
    def exclusive(self) -> AbstractContextManager[None]:
        """Hold the one lock of role changes (across instances) while inside; raises
        errors.StoreUnavailable (StoreBusy) when it cannot be had within seconds."""
        ...


class AuditLog(Protocol):
    def record(self, action: str, caller: Caller, *, target: dict[str, Any],
               before: dict[str, Any], after: dict[str, Any]) -> None:
        """Append one record to admin_actions; errors.StoreUnavailable when it cannot."""
        ...
