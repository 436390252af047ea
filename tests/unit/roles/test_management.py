"""Role management rules on in-memory stand-ins for our own ports (the Firebase Auth
directory and the audit trail are tested on the emulators elsewhere)."""

from __future__ import annotations

from typing import Any

import pytest

from errors import FailedPrecondition, InvalidInput, NotFound, PermissionDenied, Unavailable
from identity import Caller
from roles.management import LAST_ADMIN, TOKEN_REFRESH, RoleManagement
from roles.ports import AuditUnavailable, DirectoryUnavailable, UserAccount

ROOT = Caller(uid="root", is_admin=True, email="root@example.com")


class Directory:
    """roles.ports.UserDirectory in memory."""

    def __init__(self, *accounts: UserAccount) -> None:
        self.accounts = {a.uid: a for a in accounts}
        self.down = False

    def find(self, *, uid: str | None = None, email: str | None = None
             ) -> UserAccount | None:
        if self.down:
            raise DirectoryUnavailable("down")
        return next((a for a in self.accounts.values()
                     if (uid is not None and a.uid == uid)
                     or (email is not None and a.email == email)), None)

    def set_claims(self, uid: str, claims: dict[str, Any]) -> None:
        account = self.accounts[uid]
        self.accounts[uid] = UserAccount(uid, account.email, dict(claims))

    def with_roles(self) -> list[UserAccount]:
        return [a for a in self.accounts.values() if a.roles]


class Audit:
    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []
        self.down = False

    def record(self, action: str, caller: Caller, *, target: dict[str, Any],
               before: dict[str, Any], after: dict[str, Any]) -> None:
        if self.down:
            raise AuditUnavailable("down")
        self.records.append({"action": action, "by": caller.uid, "target": target,
                             "before": before, "after": after})


def setup(*accounts: UserAccount) -> tuple[RoleManagement, Directory, Audit]:
    directory, audit = Directory(*accounts), Audit()
    return RoleManagement(directory, audit), directory, audit


ALICE = UserAccount("alice", "alice@example.com", {"tier": "gold"})
ROOT_ACCOUNT = UserAccount("root", "root@example.com", {"admin": True})


def test_grant_by_email_keeps_other_claims_audits_and_says_how_to_refresh() -> None:
    roles, directory, audit = setup(ALICE, ROOT_ACCOUNT)
    reply = roles.grant(ROOT, {"email": "alice@example.com", "role": "staff"})
    assert reply == {"success": True, "uid": "alice", "email": "alice@example.com",
                     "roles": ["staff"], "previousRoles": [], "changed": True,
                     "tokenRefresh": TOKEN_REFRESH}
    assert directory.accounts["alice"].claims == {"tier": "gold", "staff": True}
    assert audit.records == [{"action": "grant_role", "by": "root",
                              "target": {"uid": "alice", "email": "alice@example.com",
                                         "role": "staff"},
                              "before": {"roles": []}, "after": {"roles": ["staff"]}}]


def test_granting_a_role_held_already_changes_and_audits_nothing() -> None:
    roles, _, audit = setup(UserAccount("alice", None, {"staff": True}), ROOT_ACCOUNT)
    assert roles.grant(ROOT, {"uid": "alice", "role": "staff"})["changed"] is False
    assert audit.records == []


def test_revoke_removes_only_that_role() -> None:
    roles, directory, audit = setup(UserAccount("bob", None, {"staff": True, "admin": True}),
                                    ROOT_ACCOUNT)
    reply = roles.revoke(ROOT, {"uid": "bob", "role": "admin"})
    assert (reply["previousRoles"], reply["roles"]) == (["staff", "admin"], ["staff"])
    assert directory.accounts["bob"].claims == {"staff": True}
    assert audit.records[0]["action"] == "revoke_role"


def test_the_last_admin_cannot_remove_their_own_admin_role() -> None:
    roles, directory, audit = setup(ROOT_ACCOUNT)
    with pytest.raises(FailedPrecondition, match="last administrator") as refused:
        roles.revoke(ROOT, {"uid": "root", "role": "admin"})
    assert refused.value.message == LAST_ADMIN
    assert directory.accounts["root"].roles == ["admin"] and audit.records == []
    # With a second admin it may.
    directory.accounts["bob"] = UserAccount("bob", None, {"admin": True})
    assert roles.revoke(ROOT, {"uid": "root", "role": "admin"})["roles"] == []


def test_an_admin_may_remove_another_admin_even_if_that_leaves_one() -> None:
    roles, _, _ = setup(ROOT_ACCOUNT, UserAccount("bob", None, {"admin": True}))
    assert roles.revoke(ROOT, {"uid": "bob", "role": "admin"})["roles"] == []


def test_holders_lists_accounts_with_a_role_and_filters() -> None:
    roles, _, _ = setup(ALICE, ROOT_ACCOUNT, UserAccount("s1", "s1@example.com",
                                                         {"staff": True}))
    assert roles.holders(ROOT, {}) == {"count": 2, "users": [
        {"uid": "root", "email": "root@example.com", "roles": ["admin"], "disabled": False},
        {"uid": "s1", "email": "s1@example.com", "roles": ["staff"], "disabled": False}]}
    assert [u["uid"] for u in roles.holders(ROOT, {"role": "staff"})["users"]] == ["s1"]


def test_only_admins_manage_roles() -> None:
    roles, directory, _ = setup(ALICE, ROOT_ACCOUNT)
    staff = Caller(uid="s1", has_staff_claim=True)
    for call in (roles.grant, roles.revoke, roles.holders):
        with pytest.raises(PermissionDenied):
            call(staff, {"uid": "alice", "role": "staff"})
    assert directory.accounts["alice"].claims == {"tier": "gold"}


@pytest.mark.parametrize("data, fragment", [
    (None, "either"), ({}, "either"), ({"uid": "a", "email": "a@b.c", "role": "staff"},
                                      "either"),
    ({"uid": "alice"}, "'role'"), ({"uid": "alice", "role": "owner"}, "'role'"),
    ({"uid": "alice", "role": True}, "'role'"), ({"uid": "", "role": "staff"}, "'uid'"),
    ({"uid": "a/b", "role": "staff"}, "'uid'"), ({"email": "nope", "role": "staff"},
                                               "'email'"),
    ({"email": 5, "role": "staff"}, "'email'"),
])
def test_bad_input_names_the_field(data: Any, fragment: str) -> None:
    roles, _, audit = setup(ALICE, ROOT_ACCOUNT)
    with pytest.raises(InvalidInput, match=fragment):
        roles.grant(ROOT, data)
    assert audit.records == []


def test_an_unknown_account_is_not_found_with_a_hint() -> None:
    roles, _, _ = setup(ROOT_ACCOUNT)
    with pytest.raises(NotFound, match="sign in once first"):
        roles.grant(ROOT, {"email": "nobody@example.com", "role": "staff"})


def test_a_change_that_cannot_be_audited_is_undone() -> None:
    roles, directory, audit = setup(ALICE, ROOT_ACCOUNT)
    audit.down = True
    with pytest.raises(Unavailable, match="undone"):
        roles.grant(ROOT, {"uid": "alice", "role": "admin"})
    assert directory.accounts["alice"].claims == {"tier": "gold"}


def test_a_directory_outage_is_unavailable() -> None:
    roles, directory, _ = setup(ALICE, ROOT_ACCOUNT)
    directory.down = True
    with pytest.raises(Unavailable, match="not reachable"):
        roles.grant(ROOT, {"uid": "alice", "role": "staff"})
