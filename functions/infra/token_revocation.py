"""Trust takes effect at once: an ID token that carries a role is refused once the
account's sessions were revoked (a role taken away revokes them), the account disabled or
deleted, the way `verify_id_token(check_revoked=True)` decides, but with the account's
revocation time cached per uid for `ttl_s` (60 s), so a burst of calls costs one lookup.

The instance that revokes forgets its cached entry at once (`forget`); other instances
learn within `ttl_s`. A token without a role claim is not looked up: it opens nothing that
a revocation protects. When Firebase Auth cannot be reached the token is let through (and
logged): an Auth outage must not lock every admin out, and the token's own expiry (an hour)
still bounds it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from firebase_admin import exceptions as firebase_exceptions

from errors import Unauthenticated
from identity import ROLES
from messages import Msg

log = logging.getLogger(__name__)

REVOKED = Msg("auth.token_revoked")


@dataclass(frozen=True)
class _Account:
    valid_after_ms: int  # tokens issued before this are revoked
    usable: bool         # exists and is not disabled


class TokenRevocations:
    def __init__(self, app: Callable[[], object], *, ttl_s: float = 60.0,
                 failure_ttl_s: float = 10.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._app = app
        self._ttl_s = ttl_s
        self._failure_ttl_s = failure_ttl_s  # Auth unreachable: ask again after this long
        self._clock = clock
        self._cache: dict[str, tuple[float, _Account | None]] = {}
        self._lock = threading.Lock()

    def check(self, claims: dict[str, Any]) -> None:
        """Raise Unauthenticated (sign in again) for a role-bearing token that is revoked."""
        if not any(claims.get(role) is True for role in ROLES):
            return
        uid = claims.get("uid") or claims.get("sub") or claims.get("user_id")
        issued_at = claims.get("iat")
        if not isinstance(uid, str) or not isinstance(issued_at, int | float):
            raise Unauthenticated(REVOKED)
        account = self._account(uid)
        if account is None:
            return  # Auth unreachable: let it through (see the module's doc)
        if not account.usable or issued_at * 1000 < account.valid_after_ms:
            log.info("refused a revoked or disabled account's ID token (uid %s)", uid)
            raise Unauthenticated(REVOKED)

    def forget(self, uid: str) -> None:
        """This instance just revoked the account's sessions: look it up again."""
        with self._lock:
            self._cache.pop(uid, None)

    def _account(self, uid: str) -> _Account | None:
        now = self._clock()
        with self._lock:
            cached = self._cache.get(uid)
        if cached is not None and cached[0] > now:
            return cached[1]
        from firebase_admin import auth

        self._app()
        try:
            record = auth.get_user(uid)
            account = _Account(int(record.tokens_valid_after_timestamp or 0),
                               not record.disabled)
        except auth.UserNotFoundError:
            account = _Account(0, usable=False)
        except (ValueError, firebase_exceptions.FirebaseError, OSError) as err:
            log.warning("could not check whether a token was revoked (%s); asking again in "
                        "%.0f s", type(err).__name__, self._failure_ttl_s)
            with self._lock:
                self._cache[uid] = (now + self._failure_ttl_s, None)
            return None
        with self._lock:
            self._cache[uid] = (now + self._ttl_s, account)
        return account
