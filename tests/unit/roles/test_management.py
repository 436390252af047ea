"""Role management rules on in-memory stand-ins for our own ports (the Firebase Auth
directory and the audit trail are tested on the emulators elsewhere)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from errors import (
    FailedPrecondition,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Unavailable,
)
from identity import Caller
from roles.management import (
    LAST_ADMIN,
    SIGNED_OUT,
    TOKEN_REFRESH,
    UNVERIFIED_WARNING,
    RoleManagement,
)
from roles.ports import DirectoryUnavailable, UserAccount
from tests.support.fakes import FakeAuditLog

ROOT = Caller(uid="root", is_admin=True, email="root@example.com")


class Directory:
    """roles.ports.UserDirectory in memory."""

    def __init__(self, *accounts: UserAccount) -> None:
        self.accounts = {a.uid: a for a in accounts}
        self.down = False
        self.revoked: list[str] = []
        self.delay_s = 0.0

    def find(self, *, uid: str | None = None, email: str | None = None
             ) -> UserAccount | None:
        if self.down:
            raise DirectoryUnavailable("down")
        return next((a for a in self.accounts.values()
                     if (uid is not None and a.uid == uid)
                     or (email is not None and a.email == email)), None)

    def set_claims(self, uid: str, claims: dict[str, Any]) -> None:
        account = self.accounts[uid]
        self.accounts[uid] = UserAccount(uid, account.email, dict(claims),
                                         email_verified=account.email_verified)

    def with_roles(self) -> list[UserAccount]:
        holders = [a for a in self.accounts.values() if a.roles]
        time.sleep(self.delay_s)  # a real directory answers over the network
        return holders

    def revoke_sessions(self, uid: str) -> None:
        self.revoked.append(uid)


class Lock:
    """roles.ports.RoleLock in memory: one holder at a time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.taken = 0

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        with self._lock:
            self.taken += 1
            yield


def setup(*accounts: UserAccount) -> tuple[RoleManagement, Directory, FakeAuditLog]:
    directory, audit = Directory(*accounts), FakeAuditLog()
    return RoleManagement(directory, audit, Lock(), on_revoked=FORGOTTEN.append), directory, \
        audit


FORGOTTEN: list[str] = []
ALICE = UserAccount("alice", "alice@example.com", {"tier": "gold"}, email_verified=True)
ROOT_ACCOUNT = UserAccount("root", "root@example.com", {"admin": True}, email_verified=True)


def test_grant_by_email_keeps_other_claims_audits_and_says_how_to_refresh() -> None:
    roles, directory, audit = setup(ALICE, ROOT_ACCOUNT)
    reply = roles.grant(ROOT, {"email": "alice@example.com", "role": "staff"})
    assert reply == {"success": True, "uid": "alice", "email": "alice@example.com",
                     "emailVerified": True, "roles": ["staff"], "previousRoles": [],
                     "changed": True, "tokenRefresh": TOKEN_REFRESH}
    assert directory.accounts["alice"].claims == {"tier": "gold", "staff": True}
    assert audit.records == [{"action": "grant_role", "adminUid": "root",
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
    # Signed out everywhere, so the token bob holds with the admin claim stops working.
    assert directory.revoked == ["bob"] and FORGOTTEN[-1] == "bob"
    assert reply["tokenRefresh"] == SIGNED_OUT


def test_a_grant_signs_nobody_out_and_an_unchanged_revoke_neither() -> None:
    roles, directory, _ = setup(ALICE, ROOT_ACCOUNT)
    roles.grant(ROOT, {"uid": "alice", "role": "staff"})
    roles.revoke(ROOT, {"uid": "alice", "role": "admin"})  # not held: nothing changes
    assert directory.revoked == []


def test_a_role_by_email_only_to_a_verified_address_by_uid_with_a_warning() -> None:
    unverified = UserAccount("mallory", "ceo@example.com", {})
    roles, directory, audit = setup(unverified, ROOT_ACCOUNT)
    with pytest.raises(FailedPrecondition, match="has not verified it"):
        roles.grant(ROOT, {"email": "ceo@example.com", "role": "admin"})
    assert directory.accounts["mallory"].roles == [] and audit.records == []
    reply = roles.grant(ROOT, {"uid": "mallory", "role": "staff"})
    assert (reply["roles"], reply["emailVerified"], reply["warning"]) == (
        ["staff"], False, UNVERIFIED_WARNING)


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


def test_two_admins_removing_each_other_at_once_leave_one() -> None:
    bob = UserAccount("bob", "bob@example.com", {"admin": True}, email_verified=True)
    roles, directory, audit = setup(ROOT_ACCOUNT, bob)
    directory.delay_s = 0.05  # both would read two admins, without the lock
    bob_caller = Caller(uid="bob", is_admin=True)
    start = threading.Barrier(2)
    outcomes: list[object] = []

    def revoke(caller: Caller, target: str) -> None:
        start.wait()
        try:
            outcomes.append(roles.revoke(caller, {"uid": target, "role": "admin"}))
        except FailedPrecondition as refused:
            outcomes.append(refused)

    threads = [threading.Thread(target=revoke, args=(ROOT, "bob")),
               threading.Thread(target=revoke, args=(bob_caller, "root"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    admins = [a.uid for a in directory.accounts.values() if "admin" in a.roles]
    assert len(admins) == 1 and len(audit.records) == 1
    (refused,) = [o for o in outcomes if isinstance(o, FailedPrecondition)]
    assert "last administrator" in str(refused)


def test_an_admin_whose_role_was_taken_away_changes_nothing_with_an_old_token() -> None:
    bob = UserAccount("bob", None, {"staff": True})  # no longer admin in the directory
    roles, directory, _ = setup(ALICE, ROOT_ACCOUNT, bob)
    with pytest.raises(PermissionDenied):
        roles.grant(Caller(uid="bob", is_admin=True), {"uid": "alice", "role": "admin"})
    assert directory.accounts["alice"].roles == []


def test_holders_lists_accounts_with_a_role_and_filters() -> None:
    roles, _, _ = setup(ALICE, ROOT_ACCOUNT, UserAccount("s1", "s1@example.com",
                                                         {"staff": True}))
    assert roles.holders(ROOT, {}) == {"count": 2, "users": [
        {"uid": "root", "email": "root@example.com", "roles": ["admin"], "disabled": False,
         "emailVerified": True},
        {"uid": "s1", "email": "s1@example.com", "roles": ["staff"], "disabled": False,
         "emailVerified": False}]}
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
    audit.unavailable = True
    with pytest.raises(Unavailable, match="undone"):
        roles.grant(ROOT, {"uid": "alice", "role": "admin"})
    assert directory.accounts["alice"].claims == {"tier": "gold"}


def test_a_directory_outage_is_unavailable() -> None:
    roles, directory, _ = setup(ALICE, ROOT_ACCOUNT)
    directory.down = True
    with pytest.raises(Unavailable, match="not reachable"):
        roles.grant(ROOT, {"uid": "alice", "role": "staff"})
