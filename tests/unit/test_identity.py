"""The role checks every function starts with (identity.py): who passes each, and the
message each refusal carries."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from errors import DomainError, PermissionDenied, Unauthenticated
from identity import Caller, require_admin, require_moderator, require_signed_in, require_staff

NOBODY = Caller("u0")
STAFF = Caller("u1", has_staff_claim=True)
MODERATOR = Caller("u2", has_moderator_claim=True)
ADMIN = Caller("u3", is_admin=True)
Check = Callable[[Caller | None], Caller]


@pytest.mark.parametrize(("check", "passes", "refusal"), [
    (require_signed_in, (NOBODY, STAFF, MODERATOR, ADMIN), None),
    (require_staff, (STAFF, ADMIN), "auth.staff_required"),
    (require_moderator, (MODERATOR, ADMIN), "auth.moderator_required"),
    (require_admin, (ADMIN,), "auth.admin_required"),
])
def test_each_role_check_lets_its_holders_and_admins_through(
        check: Check, passes: tuple[Caller, ...], refusal: str | None) -> None:
    for caller in (NOBODY, STAFF, MODERATOR, ADMIN):
        if caller in passes:
            assert check(caller) is caller
            continue
        with pytest.raises(PermissionDenied) as refused:
            check(caller)
        assert refused.value.message.code == refusal
    with pytest.raises(Unauthenticated) as anonymous:
        check(None)
    assert anonymous.value.message.code == "auth.sign_in_required"


def test_refusals_are_domain_errors_with_readable_text() -> None:
    for check in (require_staff, require_moderator, require_admin):
        with pytest.raises(DomainError) as refused:
            check(NOBODY)
        assert str(refused.value) and "auth." not in str(refused.value)
