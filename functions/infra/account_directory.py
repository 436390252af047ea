"""What Firebase Auth knows of an account, for the Vision allowances (moderation/ports.py
AccountDirectory): its roles (custom claims) and when it was created, cached per instance.

A burst of uploads from one account costs one lookup per `ttl_s` (5 minutes: an exempt
role granted or taken back counts for allowances within that time; the pre-upload check
also reads the caller's ID token, which counts at once). An account Auth does not know is
cached as unknown (it counts as new); a failed lookup is remembered for `failure_ttl_s`
only, so an Auth outage costs one slow call per account now and then, not one per upload.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from firebase_admin import exceptions as firebase_exceptions
from google.auth import exceptions as google_auth_exceptions

from identity import ROLES
from moderation.ports import AccountFacts

log = logging.getLogger(__name__)

# Credentials that cannot be found or refreshed fail a lookup like an outage does.
_ERRORS = (ValueError, firebase_exceptions.FirebaseError, OSError,
           google_auth_exceptions.GoogleAuthError)


class CachedAccountDirectory:
    def __init__(self, app: Callable[[], object], *, ttl_s: float = 300.0,
                 failure_ttl_s: float = 30.0, max_entries: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._app = app  # initialises firebase_admin on first use
        self._ttl_s = ttl_s
        self._failure_ttl_s = failure_ttl_s
        self._max_entries = max_entries
        self._clock = clock
        self._cache: OrderedDict[str, tuple[float, AccountFacts | None]] = OrderedDict()
        self._lock = threading.Lock()

    def facts(self, uid: str) -> AccountFacts | None:
        now = self._clock()
        with self._lock:
            cached = self._cache.get(uid)
            if cached is not None and cached[0] > now:
                return cached[1]
        facts, ttl = self._lookup(uid)
        with self._lock:
            self._cache[uid] = (now + ttl, facts)
            self._cache.move_to_end(uid)
            while len(self._cache) > self._max_entries:
                self._cache.popitem(last=False)
        return facts

    def _lookup(self, uid: str) -> tuple[AccountFacts | None, float]:
        from firebase_admin import auth

        self._app()
        try:
            record = auth.get_user(uid)
        except auth.UserNotFoundError:
            return None, self._ttl_s
        except _ERRORS as err:
            log.warning("Firebase Auth gave no account for an allowance (%s); it counts as "
                        "new for %.0f s", type(err).__name__, self._failure_ttl_s)
            return None, self._failure_ttl_s
        return _facts(record), self._ttl_s


def _facts(record: Any) -> AccountFacts:
    claims = dict(record.custom_claims or {})
    created_ms = getattr(record.user_metadata, "creation_timestamp", None)
    created = (datetime.fromtimestamp(created_ms / 1000, UTC)
               if isinstance(created_ms, int | float) else None)
    return AccountFacts(uid=record.uid, email=record.email,
                        roles=frozenset(r for r in ROLES if claims.get(r) is True),
                        created_at=created)
