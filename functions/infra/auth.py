"""Firebase ID token -> Caller. The only place that verifies tokens for HTTP functions."""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Callable
from typing import Any

from errors import Unauthenticated
from identity import Caller
from messages import Msg

log = logging.getLogger(__name__)


def caller_from_claims(claims: dict[str, Any] | None) -> Caller | None:
    if not claims:
        return None
    uid = claims.get("uid") or claims.get("sub") or claims.get("user_id")
    if not uid:
        return None
    return Caller(uid=str(uid), is_admin=claims.get("admin") is True,
                  email=claims.get("email"), has_staff_claim=claims.get("staff") is True,
                  has_moderator_claim=claims.get("moderator") is True)


def caller_from_authorization(header: str | None, *, local_project: str | None = None,
                              check: Callable[[dict[str, Any]], None] | None = None
                              ) -> Caller | None:
    """None when there is no Authorization header; Unauthenticated when there is one that
    does not hold a valid Firebase ID token. `local_project` (only when tokens come from
    the Auth emulator) lets a refusal say that the token is for another project. `check`
    refuses a valid token all the same (a revoked one: infra/token_revocation.py)."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated(Msg("auth.bad_header"))
    # Imported on first use so that importing main.py stays light; the firebase_admin
    # app is initialised by the composition root before this is called.
    from firebase_admin import auth

    try:
        claims = auth.verify_id_token(token.strip())
    except (ValueError, auth.InvalidIdTokenError, auth.ExpiredIdTokenError,
            auth.RevokedIdTokenError, auth.UserDisabledError) as err:
        log.info("rejected an ID token: %s", type(err).__name__)
        hint = _audience_hint(token.strip(), local_project) if local_project else None
        raise Unauthenticated(hint or Msg("auth.token_invalid")) from err
    except auth.CertificateFetchError as err:
        log.warning("could not fetch token certificates: %s", err)
        raise Unauthenticated(Msg("auth.token_unverifiable")) from err
    if check is not None:
        check(claims)
    return caller_from_claims(claims)


def _audience_hint(token: str, local_project: str) -> Msg | None:
    """In a local run, a token minted for another project is the usual cause of a 401, and
    "invalid or expired" does not point at it. Only given against the Auth emulator (the
    composition root passes `local_project` then): there the tokens are unsigned anyway,
    so what an unverified payload says is no secret; in production a refused token gets
    no details."""
    audience = _unverified_audience(token)
    if audience is None or audience == local_project:
        return None
    if len(audience) > 80:  # the caller wrote it; keep the reply small
        audience = audience[:80] + "…"
    return Msg("auth.token_other_project", audience=repr(audience),
               project=repr(local_project), project_id=local_project)


def _unverified_audience(token: str) -> str | None:
    """The "aud" claim of a JWT's payload, read without verifying anything; None unless
    it is a JWT whose aud is a string."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    segment = parts[1]
    try:
        payload = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (binascii.Error, ValueError):  # ValueError covers bad JSON and bad UTF-8
        return None
    audience = payload.get("aud") if isinstance(payload, dict) else None
    return audience if isinstance(audience, str) else None
