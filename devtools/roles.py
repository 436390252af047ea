"""Grant, revoke and list roles from the command line: the bootstrap of the first admin,
and bulk grants from a CSV of emails.

    # a real project, with Application Default Credentials
    # (gcloud auth application-default login, or a service account's key file)
    .venv/bin/python -m devtools.roles --project my-project grant admin --email me@example.com
    .venv/bin/python -m devtools.roles --project my-project grant staff --csv staff.csv
    .venv/bin/python -m devtools.roles --project my-project list

    # firebase-tools' Auth emulator (and the Firestore emulator for the audit trail)
    .venv/bin/python -m devtools.roles --auth-emulator 127.0.0.1:9099 \\
        --firestore-emulator 127.0.0.1:8081 --project demo-inventory grant staff --uid alice

The same rules as the grant_role / revoke_role callables (roles/management.py), and the
same audit trail in admin_actions, recorded as done by "cli:<your login>". Accounts must
exist (the person signed in once). The CSV holds one email per row, in its first column;
a header row is skipped. Exit status 1 when any row failed.
"""

from __future__ import annotations

import argparse
import csv
import getpass
import os
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

REPO = Path(__file__).resolve().parent.parent
if str(REPO / "functions") not in sys.path:
    sys.path.insert(0, str(REPO / "functions"))

from errors import DomainError  # noqa: E402
from identity import Caller  # noqa: E402


def build(project: str) -> Any:  # -> roles.management.RoleManagement
    """The role use case on this project's Firebase Auth and Firestore (or the emulators
    the environment names)."""
    import firebase_admin
    from firebase_admin import credentials
    from google.cloud import firestore

    from infra.firebase_users import FirebaseUserDirectory
    from infra.firestore_audit import FirestoreAuditLog
    from infra.firestore_role_lock import FirestoreRoleLock
    from roles.management import RoleManagement

    emulated = bool(os.environ.get("FIREBASE_AUTH_EMULATOR_HOST"))
    options = {"projectId": project}
    app = (firebase_admin.initialize_app(options=options) if emulated
           else firebase_admin.initialize_app(credentials.ApplicationDefault(), options))
    client = firestore.Client(project=project)
    return RoleManagement(FirebaseUserDirectory(lambda: app),
                          FirestoreAuditLog(client, lambda: datetime.now(UTC)),
                          FirestoreRoleLock(client, lambda: datetime.now(UTC)), operator=True)


def emails_from_csv(handle: TextIO) -> Iterator[str]:
    for row in csv.reader(handle):
        cell = row[0].strip() if row else ""
        if cell and "@" in cell:
            yield cell


def change_many(action: Callable[[Caller, Any], dict[str, Any]], caller: Caller,
                targets: list[dict[str, str]], role: str, verb: str,
                out: TextIO) -> int:
    """Apply `action` to each target, printing progress; returns how many failed."""
    failed = 0
    for index, target in enumerate(targets, 1):
        name = target.get("email") or target.get("uid")
        try:
            reply = action(caller, {**target, "role": role})
        except DomainError as err:
            failed += 1
            print(f"[{index}/{len(targets)}] {name}: not done: {err.message}", file=out,
                  flush=True)
            continue
        what = f"{verb} {role}" if reply["changed"] else f"already {verb.split()[0]}"
        print(f"[{index}/{len(targets)}] {name}: {what}; roles now "
              f"{', '.join(reply['roles']) or 'none'}", file=out, flush=True)
    return failed


def main(argv: list[str] | None = None, out: TextIO = sys.stdout) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--project", default=os.environ.get("GOOGLE_CLOUD_PROJECT"),
                        help="Firebase project id (default: $GOOGLE_CLOUD_PROJECT)")
    parser.add_argument("--auth-emulator", metavar="HOST:PORT",
                        help="use firebase-tools' Auth emulator instead of Firebase Auth")
    parser.add_argument("--firestore-emulator", metavar="HOST:PORT",
                        help="use the Firestore emulator for the audit trail")
    commands = parser.add_subparsers(dest="command", required=True)
    for command in ("grant", "revoke"):
        sub = commands.add_parser(command, help=f"{command} a role")
        sub.add_argument("role", choices=["staff", "admin"])
        who = sub.add_mutually_exclusive_group(required=True)
        who.add_argument("--email")
        who.add_argument("--uid")
        who.add_argument("--csv", type=Path, help="a CSV file with one email per row")
    listing = commands.add_parser("list", help="the accounts that hold a role")
    listing.add_argument("role", nargs="?", choices=["staff", "admin"])
    args = parser.parse_args(argv)
    if not args.project:
        parser.error("say which project: --project or $GOOGLE_CLOUD_PROJECT")
    if args.auth_emulator:
        os.environ["FIREBASE_AUTH_EMULATOR_HOST"] = args.auth_emulator
    if args.firestore_emulator:
        os.environ["FIRESTORE_EMULATOR_HOST"] = args.firestore_emulator

    roles = build(args.project)
    caller = Caller(uid=f"cli:{getpass.getuser()}", is_admin=True)
    if args.command == "list":
        reply = roles.holders(caller, {"role": args.role} if args.role else {})
        for user in reply["users"]:
            print(f"{user['uid']}\t{user['email'] or '-'}\t{', '.join(user['roles'])}",
                  file=out)
        print(f"{reply['count']} account(s)", file=out)
        return 0
    if args.csv:
        with args.csv.open(newline="", encoding="utf-8-sig") as handle:
            targets = [{"email": email} for email in emails_from_csv(handle)]
    else:
        targets = [{"email": args.email} if args.email else {"uid": args.uid}]
    action = roles.grant if args.command == "grant" else roles.revoke
    verb = "granted" if args.command == "grant" else "revoked"
    failed = change_many(action, caller, targets, args.role, verb, out)
    print(f"{len(targets) - failed} done, {failed} not done. Users pick up a new role with "
          "their next ID token (sign in again, or getIdToken(true) in the app).", file=out)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
