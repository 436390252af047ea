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
    auth.create_user(uid="root", email="root@example.com", email_verified=True)
    auth.set_custom_user_claims("root", {"admin": True})
    auth.create_user(uid="alice", email="alice@example.com", email_verified=True)
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


# -- trust takes effect at once --------------------------------------------------------------

def signed_in(accounts, email: str) -> str:
    """A real ID token from the Auth emulator (password sign-in), with the claims the
    account holds now."""
    from devtools.auth_emulator import sign_in_with_password

    return str(sign_in_with_password(accounts.host, email, "password123")["idToken"])


def with_password(uid: str, claims: dict[str, bool] | None = None,
                  verified: bool = True) -> None:
    # pragma: allowlist nextline secret
    auth.create_user(uid=uid, email=f"{uid}@example.com", password="password123",
                     email_verified=verified)
    if claims:
        auth.set_custom_user_claims(uid, claims)


def test_a_revoked_role_stops_working_at_once_and_says_to_sign_in_again(
        accounts, call, firestore_client):
    import time

    with_password("sam", {"staff": True})
    held = signed_in(accounts, "sam@example.com")  # the token sam keeps
    assert callable_(call, "listParts", {}, held).status_code == 200
    parts = {"parts": [{"part_code": "RV-1", "part_name": "x", "quantity": 1}]}
    assert call("upload_parts", "POST", token=held, json=parts).status_code == 201
    time.sleep(1.1)  # tokens are revoked by the second: the revoke comes after this one

    revoked = callable_(call, "revokeRole", {"uid": "sam", "role": "staff"},
                        token("root", admin=True))
    assert revoked.status_code == 200, revoked.get_data(as_text=True)
    assert "sign in again" in revoked.get_json()["result"]["tokenRefresh"]

    refused = call("listParts", "POST", token=held, json={"data": {}},
                   headers={"Accept-Language": "tr-TR"})
    assert refused.status_code == 401
    assert refused.get_json()["error"] == {
        "status": "UNAUTHENTICATED",
        "message": "Oturum açtığınızdan beri erişim yetkileriniz değişti; yeniden oturum açın."}
    refused = call("upload_parts", "POST", token=held, json=parts)
    assert refused.status_code == 401
    # The counting and inventory callables too (nothing is read for a revoked token).
    for name, data in (("count_session_live", {"session_id": "s1"}),
                       ("record_scans", {"session_id": "s1", "scans": [
                           {"qr_id": "RV-1-aaaaaaaaaaaa", "client_scan_id": "c1"}]}),
                       ("set_part_minimum", {"part_code": "RV-1", "min_units": 5}),
                       ("get_unit", {"qr_id": "RV-1-aaaaaaaaaaaa"})):
        assert callable_(call, name, data, held).status_code == 401, name
    assert call("export_inventory", "GET", "?format=csv&scope=parts",
                token=held).status_code == 401
    assert firestore_client.collection("parts").document("RV-1").get().get("min_units") is None
    assert refused.get_json()["error"]["message"] == (
        "Your access has changed since you signed in; sign in again.")
    # Signed in again: no role, and the inventory is closed as for anyone without one.
    fresh = signed_in(accounts, "sam@example.com")
    assert callable_(call, "listParts", {}, fresh).status_code == 403


def test_a_role_goes_by_email_only_to_a_verified_address(accounts, call, firestore_client):
    with_password("mallory", verified=False)
    root = token("root", admin=True)
    reply = call("grantRole", "POST", token=root, headers={"Accept-Language": "tr-TR"},
                 json={"data": {"email": "mallory@example.com", "role": "admin"}})
    assert reply.status_code == 400
    error = reply.get_json()["error"]
    assert error["status"] == "FAILED_PRECONDITION"
    assert "adresi doğrulamadı" in error["message"]
    assert auth.get_user("mallory").custom_claims is None
    assert audit(firestore_client) == []
    by_uid = callable_(call, "grantRole", {"uid": "mallory", "role": "staff"}, root)
    result = by_uid.get_json()["result"]
    assert (result["roles"], result["emailVerified"]) == (["staff"], False)
    assert "not verified" in result["warning"]
    holders = callable_(call, "listRoleHolders", {}, root).get_json()["result"]["users"]
    assert {u["uid"]: u["emailVerified"] for u in holders} == {"mallory": False, "root": True}


def test_two_admins_removing_each_other_at_once_always_leave_one(accounts, call,
                                                                 firestore_client):
    import threading

    with_password("ada", {"admin": True})
    for attempt in range(3):
        tokens = {"root": token("root", admin=True), "ada": token("ada", admin=True)}
        start = threading.Barrier(2)
        replies: dict[str, object] = {}

        def revoke(me: str, other: str, start: threading.Barrier = start,
                   replies: dict[str, object] = replies,
                   tokens: dict[str, str] = tokens) -> None:
            start.wait()
            replies[me] = callable_(call, "revoke_role", {"uid": other, "role": "admin"},
                                    tokens[me])

        threads = [threading.Thread(target=revoke, args=("root", "ada")),
                   threading.Thread(target=revoke, args=("ada", "root"))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        statuses = sorted(r.status_code for r in replies.values())  # type: ignore[attr-defined]
        assert statuses == [200, 400], attempt
        loser = next(r for r in replies.values() if r.status_code == 400)  # type: ignore[attr-defined]
        assert loser.get_json()["error"]["status"] == "FAILED_PRECONDITION"  # type: ignore[attr-defined]
        assert "last administrator" in loser.get_json()["error"]["message"]  # type: ignore[attr-defined]
        admins = [u.uid for u in auth.list_users().iterate_all()
                  if (u.custom_claims or {}).get("admin") is True]
        assert len(admins) == 1, attempt
        # Both admins again for the next try.
        for uid in ("root", "ada"):
            auth.set_custom_user_claims(uid, {"admin": True})
