"""Mint the unsigned ID tokens that the Firebase Auth emulator issues.

firebase-admin accepts them (audience and issuer still checked) only while
FIREBASE_AUTH_EMULATOR_HOST is set, which the local run and the tests do and which
production refuses (see infra/config.py).

    python -m devtools.tokens alice            # a signed-in user
    python -m devtools.tokens root --admin     # an admin (custom claim admin: true)

The token's audience is a project id, and it must be the one the local run serves:
by default the project of the running local run (.local/run.json, written by scripts/dev),
else $GOOGLE_CLOUD_PROJECT, else demo-inventory. --project overrides. Where the project
came from is said on stderr; stdout is only the token, so TOKEN=$(...) works.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import socket
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from devtools.local_run import PROJECT as DEFAULT_PROJECT
from devtools.local_run import RUN_INFO


def _b64(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def mint_id_token(uid: str, *, project_id: str | None = None, admin: bool = False,
                  staff: bool = False, moderator: bool = False, email: str | None = None,
                  claims: dict[str, Any] | None = None, lifetime_s: int = 3600) -> str:
    # The Python API never looks at .local/run.json: tests and benches mint for the
    # project they set up themselves, whatever local run a developer has going.
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
    if staff:
        payload["staff"] = True
    if moderator:
        payload["moderator"] = True
    payload.update(claims or {})
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(payload)}."


def resolve_project(explicit: str | None, *, run_info: Path = RUN_INFO,
                    env: Mapping[str, str] | None = None) -> tuple[str, str]:
    """(project id, where it came from): --project, else the local run's run.json, else
    $GOOGLE_CLOUD_PROJECT, else the local run's default."""
    env = os.environ if env is None else env
    if explicit:
        return explicit, "--project"
    run = _read_run_info(run_info)
    if run is not None and run.get("project"):
        return str(run["project"]), _describe_run(run_info, run)
    if env.get("GOOGLE_CLOUD_PROJECT"):
        return env["GOOGLE_CLOUD_PROJECT"], f"$GOOGLE_CLOUD_PROJECT (no local run at {run_info})"
    return DEFAULT_PROJECT, f"the default (no local run at {run_info}, no $GOOGLE_CLOUD_PROJECT)"


def _read_run_info(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:
        # A half-written or hand-edited file must not stop minting; say so and fall back.
        print(f"tokens: ignoring {path}: {err}", file=sys.stderr)
        return None
    return data if isinstance(data, dict) else None


def _describe_run(path: Path, run: Mapping[str, Any]) -> str:
    """Where the project came from, and whether that run still answers: run.json outlives
    the run, so a stale file is the likely cause when a token is then refused."""
    base = str(run.get("base") or "")
    if not base:
        return str(path)
    if _answers(base):
        return f"{path}, the local run at {base}"
    return f"{path}, written by a local run at {base} that does not answer now"


def _answers(base: str, timeout_s: float = 0.3) -> bool:
    url = urlsplit(base)
    if not url.hostname or not url.port:
        return False
    try:
        with socket.create_connection((url.hostname, url.port), timeout=timeout_s):
            return True
    except OSError:
        return False


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("uid", help="the user id (sub) of the token")
    parser.add_argument("--admin", action="store_true",
                        help="add the custom claim admin: true (an admin is also staff)")
    parser.add_argument("--staff", action="store_true",
                        help="add the custom claim staff: true (the inventory functions)")
    parser.add_argument("--moderator", action="store_true",
                        help="add the custom claim moderator: true (the review queue)")
    parser.add_argument("--project", default=None,
                        help="project id (default: the running local run's, from --run-info; "
                             f"else $GOOGLE_CLOUD_PROJECT; else {DEFAULT_PROJECT})")
    parser.add_argument("--run-info", type=Path, default=RUN_INFO,
                        help="the run file the local run wrote (its --run-info); "
                             "default %(default)s")
    args = parser.parse_args(argv)
    project, source = resolve_project(args.project, run_info=args.run_info)
    print(f"tokens: project {project} (from {source})", file=sys.stderr)
    print(mint_id_token(args.uid, project_id=project, admin=args.admin, staff=args.staff,
                        moderator=args.moderator))


if __name__ == "__main__":
    main()
