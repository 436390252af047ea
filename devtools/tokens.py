"""Mint the unsigned ID tokens that the Firebase Auth emulator issues.

firebase-admin accepts them (audience and issuer still checked) only while
FIREBASE_AUTH_EMULATOR_HOST is set, which the local run and the tests do and which
production refuses (see infra/config.py).

    python -m devtools.tokens alice            # a signed-in user
    python -m devtools.tokens root --admin     # an admin (custom claim admin: true)
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import time
from typing import Any

DEFAULT_PROJECT = "demo-inventory"


def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def mint_id_token(uid: str, *, project_id: str | None = None, admin: bool = False,
                  email: str | None = None, claims: dict[str, Any] | None = None,
                  lifetime_s: int = 3600) -> str:
    project_id = project_id or os.environ.get("GOOGLE_CLOUD_PROJECT") or DEFAULT_PROJECT
    now = int(time.time())
    payload: dict[str, Any] = {
        "iss": f"https://securetoken.google.com/{project_id}",
        "aud": project_id,
        "auth_time": now,
        "user_id": uid,
        "sub": uid,
        "iat": now,
        "exp": now + lifetime_s,
        "firebase": {"identities": {}, "sign_in_provider": "custom"},
    }
    if email:
        payload["email"] = email
        payload["email_verified"] = True
    if admin:
        payload["admin"] = True
    payload.update(claims or {})
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(payload)}."


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("uid", help="the user id (sub) of the token")
    parser.add_argument("--admin", action="store_true", help="add the custom claim admin: true")
    parser.add_argument("--project", default=None, help=f"project id (default {DEFAULT_PROJECT})")
    args = parser.parse_args()
    print(mint_id_token(args.uid, project_id=args.project, admin=args.admin))


if __name__ == "__main__":
    main()
