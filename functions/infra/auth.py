"""Firebase ID token -> Caller. The only place that verifies tokens for HTTP functions."""

from __future__ import annotations

import logging
from typing import Any

from errors import Unauthenticated
from identity import Caller

log = logging.getLogger(__name__)


def caller_from_claims(claims: dict[str, Any] | None) -> Caller | None:
    if not claims:
        return None
    uid = claims.get("uid") or claims.get("sub") or claims.get("user_id")
    if not uid:
        return None
    return Caller(uid=str(uid), is_admin=claims.get("admin") is True,
                  email=claims.get("email"))


def caller_from_authorization(header: str | None) -> Caller | None:
    """None when there is no Authorization header; Unauthenticated when there is one that
    does not hold a valid Firebase ID token."""
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated('The Authorization header must be "Bearer <Firebase ID token>".')
    # Imported on first use so that importing main.py stays light; the firebase_admin
    # app is initialised by the composition root before this is called.
    from firebase_admin import auth

    try:
        claims = auth.verify_id_token(token.strip())
    except (ValueError, auth.InvalidIdTokenError, auth.ExpiredIdTokenError,
            auth.RevokedIdTokenError, auth.UserDisabledError) as err:
        log.info("rejected an ID token: %s", type(err).__name__)
        raise Unauthenticated("The ID token is invalid or expired; sign in again.") from err
    except auth.CertificateFetchError as err:
        log.warning("could not fetch token certificates: %s", err)
        raise Unauthenticated("The ID token could not be verified right now; try again.") \
            from err
    return caller_from_claims(claims)
