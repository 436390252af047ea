"""Role management end to end: the callables through firebase-functions' callable
protocol, Firebase accounts in firebase-tools' Auth emulator, the audit trail on the
Firestore emulator."""

from __future__ import annotations

import os

import pytest
from firebase_admin import auth

from devtools.tokens import mint_id_token
from infra.firebase_app import ensure_app
from roles.management import LAST_ADMIN
from tests.support.moderation import callable_

PROJECT = os.environ["GOOGLE_CLOUD_PROJECT"]


@pytest.fixture
def accounts(functions_env, auth_accounts):
    ensure_app(PROJECT)
    auth.create_user(uid="root", email="root@example.com")
    auth.set_custom_user_claims("root", {"admin": True})
    auth.create_user(uid="alice", email="alice@example.com")
    return auth_accounts


def token(uid: str, **claims: bool) -> str:
    return mint_id_token(uid, project_id=PROJECT, email=f"{uid}@example.com", claims=claims)


def audit(firestore_client) -> list[dict]:
    return sorted((d.to_dict() for d in firestore_client.collection("admin_actions").stream()),
                  key=lambda r: r["at"])


def test_an_admin_grants_staff_by_email_and_the_new_staff_member_gets_in(
        accounts, call, firestore_client):
    root = token("root", admin=True)
    # Signed up, no role yet: the inventory is closed.
    refused = call("upload_parts", "POST", token=token("alice"),
                   json={"parts": [{"part_code": "R-1", "part_name": "x", "quantity": 1}]})
    assert refused.status_code == 403

    reply = callable_(call, "grantRole", {"email": "alice@example.com", "role": "staff"}, root)
    assert reply.status_code == 200, reply.get_data(as_text=True)
    result = reply.get_json()["result"]
    assert (result["uid"], result["roles"], result["changed"]) == ("alice", ["staff"], True)
    assert "getIdToken(true)" in result["tokenRefresh"]
    assert auth.get_user("alice").custom_claims == {"staff": True}
    (record,) = audit(firestore_client)
    assert (record["action"], record["adminUid"], record["target"]["uid"],
            record["before"], record["after"]) == ("grant_role", "root", "alice",
                                                   {"roles": []}, {"roles": ["staff"]})

    # With the refreshed token (the emulator's tokens carry the claims) she gets in.
    allowed = call("upload_parts", "POST", token=token("alice", staff=True),
                   json={"parts": [{"part_code": "R-1", "part_name": "x", "quantity": 1}]})
    assert allowed.status_code == 201


def test_list_and_revoke_with_both_names(accounts, call, firestore_client):
    root = token("root", admin=True)
    callable_(call, "grant_role", {"uid": "alice", "role": "staff"}, root)
    listed = callable_(call, "listRoleHolders", {}, root).get_json()["result"]
    assert [(u["uid"], u["roles"]) for u in listed["users"]] == [
        ("alice", ["staff"]), ("root", ["admin"])]
    staff_only = callable_(call, "list_role_holders", {"role": "staff"}, root)
    assert staff_only.get_json()["result"]["count"] == 1

    revoked = callable_(call, "revokeRole", {"uid": "alice", "role": "staff"}, root)
    assert revoked.get_json()["result"]["roles"] == []
    assert auth.get_user("alice").custom_claims is None
    assert [r["action"] for r in audit(firestore_client)] == ["grant_role", "revoke_role"]


def test_the_last_admin_cannot_remove_their_own_role(accounts, call, firestore_client):
    reply = callable_(call, "revoke_role", {"uid": "root", "role": "admin"},
                      token("root", admin=True))
    assert reply.status_code == 400
    assert reply.get_json()["error"] == {"status": "FAILED_PRECONDITION",
                                         "message": LAST_ADMIN}
    assert auth.get_user("root").custom_claims == {"admin": True}
    assert audit(firestore_client) == []


@pytest.mark.parametrize("caller_claims", [{}, {"staff": True}])
def test_only_admins_manage_roles(accounts, call, firestore_client, caller_claims):
    for name in ("grant_role", "grantRole", "revoke_role", "revokeRole",
                 "list_role_holders", "listRoleHolders"):
        reply = callable_(call, name, {"uid": "alice", "role": "admin"},
                          token("alice", **caller_claims))
        assert reply.status_code == 403, name
        assert reply.get_json()["error"]["status"] == "PERMISSION_DENIED"
    assert auth.get_user("alice").custom_claims is None
    assert audit(firestore_client) == []


@pytest.mark.parametrize("data, status", [
    ({"uid": "nobody", "role": "staff"}, "NOT_FOUND"),
    ({"email": "alice@example.com", "role": "owner"}, "INVALID_ARGUMENT"),
    ({"role": "staff"}, "INVALID_ARGUMENT"),
])
def test_bad_requests_change_nothing(accounts, call, firestore_client, data, status):
    reply = callable_(call, "grantRole", data, token("root", admin=True))
    assert reply.get_json()["error"]["status"] == status
    assert auth.get_user("alice").custom_claims is None
    assert audit(firestore_client) == []
