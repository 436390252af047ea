"""App Check replay protection (moderation/ports.py AppCheckTokens): each limited-use token
is verified and consumed with firebase_admin.app_check.verify_token(consume=True), so a
token taken from one request cannot be replayed to spend another check."""

from __future__ import annotations

from collections.abc import Callable

from firebase_admin import exceptions as firebase_exceptions

from moderation.ports import AppCheckRefused


class FirebaseAppCheckTokens:
    def __init__(self, app: Callable[[], object]) -> None:
        self._app = app

    def consume(self, token: str) -> bool:
        from firebase_admin import app_check

        self._app()
        try:
            claims = app_check.verify_token(token, consume=True)
        except (ValueError, firebase_exceptions.FirebaseError) as err:
            raise AppCheckRefused(f"App Check refused the token ({type(err).__name__})") \
                from err
        return not claims.get("already_consumed")
