"""devtools.roles, the bootstrap tool, against firebase-tools' Auth emulator and the
Firestore emulator: the first admin, a bulk grant from a CSV with progress, and a list."""

from __future__ import annotations

import getpass
import io
import os
import subprocess
import sys
from pathlib import Path

from firebase_admin import auth

from infra.firebase_app import ensure_app

REPO = Path(__file__).resolve().parents[2]
PROJECT = os.environ["GOOGLE_CLOUD_PROJECT"]


def run_cli(*args: str, emulator, firestore_client) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": f"{REPO / 'functions'}:{REPO}"}
    return subprocess.run(
        [sys.executable, "-m", "devtools.roles", "--project", PROJECT, "--auth-emulator",
         emulator.host, "--firestore-emulator", os.environ["FIRESTORE_EMULATOR_HOST"], *args],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def test_bootstrap_the_first_admin_then_bulk_grant_staff_from_a_csv(
        auth_accounts, firestore_client, tmp_path) -> None:
    ensure_app(PROJECT)
    for uid in ("boss", "w1", "w2"):
        auth.create_user(uid=uid, email=f"{uid}@example.com", email_verified=True)

    first = run_cli("grant", "admin", "--email", "boss@example.com", emulator=auth_accounts,
                    firestore_client=firestore_client)
    assert first.returncode == 0, first.stderr
    assert "[1/1] boss@example.com: granted admin; roles now admin" in first.stdout
    assert auth.get_user("boss").custom_claims == {"admin": True}

    staff = tmp_path / "staff.csv"
    staff.write_text("email\nw1@example.com\nw2@example.com\nghost@example.com\n",
                     encoding="utf-8")
    bulk = run_cli("grant", "staff", "--csv", str(staff), emulator=auth_accounts,
                   firestore_client=firestore_client)
    assert bulk.returncode == 1  # one row failed
    lines = bulk.stdout.splitlines()
    assert lines[0] == "[1/3] w1@example.com: granted staff; roles now staff"
    assert lines[1] == "[2/3] w2@example.com: granted staff; roles now staff"
    assert lines[2].startswith("[3/3] ghost@example.com: not done: No account")
    assert "2 done, 1 not done" in lines[3]

    listed = run_cli("list", emulator=auth_accounts, firestore_client=firestore_client)
    assert listed.returncode == 0
    assert "boss\tboss@example.com\tadmin" in listed.stdout
    assert "3 account(s)" in listed.stdout
    records = [d.to_dict() for d in firestore_client.collection("admin_actions").stream()]
    assert len(records) == 3
    assert {r["adminUid"] for r in records} == {f"cli:{getpass.getuser()}"}


def test_emails_are_read_from_the_first_column_and_a_header_is_skipped() -> None:
    from devtools.roles import emails_from_csv

    text = "\ufeffE-posta,Ad\nayşe@example.com,Ayşe\n\n  b@example.com ,B\nnot an email\n"
    assert list(emails_from_csv(io.StringIO(text))) == ["ayşe@example.com", "b@example.com"]
