"""FirebaseUserDirectory against firebase-tools' Auth emulator: lookups by uid and email,
custom claims, and the holders of a role."""

from __future__ import annotations

import os

import pytest
from firebase_admin import auth

from infra.firebase_app import ensure_app
from infra.firebase_users import FirebaseUserDirectory


@pytest.fixture
def directory(auth_accounts) -> FirebaseUserDirectory:
    return FirebaseUserDirectory(lambda: ensure_app(os.environ["GOOGLE_CLOUD_PROJECT"]))


def test_finds_accounts_by_uid_and_email_and_none_when_missing(directory) -> None:
    directory.find(uid="nobody")  # initialises the app before the SDK call below
    auth.create_user(uid="alice", email="alice@example.com")
    auth.set_custom_user_claims("alice", {"staff": True, "tier": "gold"})
    by_uid = directory.find(uid="alice")
    by_email = directory.find(email="alice@example.com")
    assert by_uid == by_email
    assert by_uid is not None
    assert (by_uid.email, by_uid.claims, by_uid.roles) == (
        "alice@example.com", {"staff": True, "tier": "gold"}, ["staff"])
    assert directory.find(uid="nobody") is None
    assert directory.find(email="nobody@example.com") is None


def test_set_claims_replaces_them_and_with_roles_lists_holders_only(directory) -> None:
    directory.find(uid="nobody")
    for uid in ("a", "b", "c"):
        auth.create_user(uid=uid, email=f"{uid}@example.com")
    directory.set_claims("a", {"admin": True})
    directory.set_claims("b", {"staff": True, "admin": "true"})  # a string is no role
    assert {(u.uid, tuple(u.roles)) for u in directory.with_roles()} == {
        ("a", ("admin",)), ("b", ("staff",))}
    directory.set_claims("a", {})
    assert auth.get_user("a").custom_claims is None
    assert [u.uid for u in directory.with_roles()] == ["b"]


def test_accounts_seeded_like_the_local_run_carry_their_roles(directory, auth_accounts) -> None:
    from devtools.auth_emulator import seed_account
    from devtools.local_run import SEEDED_ACCOUNTS, SEEDED_PASSWORD

    for uid, email, claims in SEEDED_ACCOUNTS:
        seed_account(auth_accounts.host, os.environ["GOOGLE_CLOUD_PROJECT"], uid=uid,
                     email=email, claims=claims, password=SEEDED_PASSWORD)
    assert {(u.email, tuple(u.roles)) for u in directory.with_roles()} == {
        ("alice@example.com", ("staff",)), ("root@example.com", ("admin",)),
        ("mona@example.com", ("moderator",)), ("mel@example.com", ("moderator",))}
    member = directory.find(email="member@example.com")
    assert member is not None and member.roles == []


def test_seeded_accounts_sign_in_with_their_password(directory, auth_accounts) -> None:
    """What the console's email/password sign-in calls (signInWithPassword on the Auth
    emulator's REST API): each seeded account gets an ID token carrying its roles."""
    import base64
    import json
    import urllib.error

    from devtools.auth_emulator import seed_account, sign_in_with_password
    from devtools.local_run import SEEDED_ACCOUNTS, SEEDED_PASSWORD

    directory.find(uid="nobody")  # initialises the app before verify_id_token below
    project = os.environ["GOOGLE_CLOUD_PROJECT"]
    for uid, email, claims in SEEDED_ACCOUNTS:
        seed_account(auth_accounts.host, project, uid=uid, email=email, claims=claims,
                     password=SEEDED_PASSWORD)
    for uid, email, claims in SEEDED_ACCOUNTS:
        reply = sign_in_with_password(auth_accounts.host, email, SEEDED_PASSWORD)
        assert reply["localId"] == uid and reply["email"] == email
        payload = reply["idToken"].split(".")[1]
        token = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        assert token["aud"] == project and token["email"] == email
        assert {key: token[key] for key in ("staff", "admin", "moderator")
                if key in token} == claims
        auth.verify_id_token(reply["idToken"])  # what the functions do with it
    with pytest.raises(urllib.error.HTTPError) as refused:
        sign_in_with_password(auth_accounts.host, "alice@example.com", "wrong")
    assert refused.value.code == 400
