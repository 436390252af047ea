"""Firebase Auth accounts behind roles.ports.UserDirectory (firebase_admin.auth).

Against the Auth emulator when FIREBASE_AUTH_EMULATOR_HOST is set (firebase_admin's own
switch), against the project's Firebase Auth otherwise. Listing the holders of a role
pages through every account (1,000 a page): fine for the staff of a warehouse and the
members of a forum up to some hundred thousand accounts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from firebase_admin import exceptions as firebase_exceptions

from roles.ports import DirectoryUnavailable, UserAccount

# What firebase_admin raises for a refused or failed call (FirebaseError covers the HTTP
# errors, ValueError its argument checks).
_ERRORS = (ValueError, firebase_exceptions.FirebaseError)


class FirebaseUserDirectory:
    def __init__(self, app: Callable[[], object]) -> None:
        self._app = app  # initialises firebase_admin on first use

    def find(self, *, uid: str | None = None, email: str | None = None
             ) -> UserAccount | None:
        from firebase_admin import auth

        self._app()
        try:
            record = auth.get_user(uid) if uid is not None else auth.get_user_by_email(
                str(email))
        except auth.UserNotFoundError:
            return None
        except _ERRORS as err:
            raise DirectoryUnavailable(f"Firebase Auth refused the lookup "
                                       f"({type(err).__name__}).") from err
        return _account(record)

    def set_claims(self, uid: str, claims: dict[str, Any]) -> None:
        from firebase_admin import auth

        self._app()
        try:
            auth.set_custom_user_claims(uid, claims or None)
        except _ERRORS as err:
            raise DirectoryUnavailable(f"Firebase Auth refused the claims "
                                       f"({type(err).__name__}).") from err

    def revoke_sessions(self, uid: str) -> None:
        from firebase_admin import auth

        self._app()
        try:
            auth.revoke_refresh_tokens(uid)
        except _ERRORS as err:
            raise DirectoryUnavailable(f"Firebase Auth refused to revoke the sessions "
                                       f"({type(err).__name__}).") from err

    def with_roles(self) -> list[UserAccount]:
        from firebase_admin import auth

        self._app()
        try:
            accounts = [_account(user) for user in auth.list_users().iterate_all()]
        except _ERRORS as err:
            raise DirectoryUnavailable(f"Firebase Auth refused the listing "
                                       f"({type(err).__name__}).") from err
        return [account for account in accounts if account.roles]


def _account(record: Any) -> UserAccount:
    return UserAccount(uid=record.uid, email=record.email,
                       claims=dict(record.custom_claims or {}),
                       disabled=bool(record.disabled),
                       email_verified=bool(record.email_verified))
