"""The People page in Chromium against the local run: an admin gives a newcomer the staff
role by email, the newcomer's "check again" then opens the inventory, the admin takes the
role back; a refusal (no such account, the last admin) is the function's own message in the
page's language. Non-admins have no People page. Each test signs up an account of its own
in the Auth emulator, so the seeded ones keep their roles for the other tests."""

from __future__ import annotations

import contextlib
import uuid
from typing import Any

import pytest

from devtools.local_run import SEEDED_PASSWORD
from messages import Msg, render
from tests.browser.harness import SCREENSHOTS, LocalRun, fill, screenshot_path

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture fails first, saying to run scripts/setup
    expect = None  # type: ignore[assignment]

pytestmark = pytest.mark.usefixtures("console_built", "fresh_firestore")


@pytest.fixture
def newcomer(local_run: LocalRun) -> str:
    """The email of a new account with no role (signed up just now)."""
    from devtools.auth_emulator import seed_account

    uid = f"newcomer-{uuid.uuid4().hex[:10]}"
    email = f"{uid}@example.com"
    seed_account(local_run.auth, local_run.project, uid=uid, email=email, claims={},
                 password=SEEDED_PASSWORD)
    return email


def row_of(page: Any, email: str) -> Any:
    return page.get_by_test_id("people-table").locator("tbody tr").filter(has_text=email)


@pytest.mark.parametrize(("locale", "language"), [("tr-TR", "tr"), ("en-US", "en")])
def test_an_admin_gives_and_takes_back_the_staff_role(page, browser, local_run, sign_in,
                                                      catalogs, newcomer, request,
                                                      locale: str, language: str) -> None:
    say = catalogs[language]
    # The newcomer is signed in already, on the "no role yet" page, in another browser.
    other = browser.new_context(locale=locale, base_url=local_run.base)
    newcomer_page = other.new_page()
    try:
        newcomer_page.goto("/")
        newcomer_page.get_by_test_id("signin-email").fill(newcomer)
        newcomer_page.get_by_test_id("signin-password").fill(SEEDED_PASSWORD)
        newcomer_page.get_by_test_id("signin-submit").click()
        expect(newcomer_page.locator("main h1")).to_have_text(say["norole.title"])

        sign_in(page, "root")
        page.get_by_test_id("nav-people").click()
        expect(page.locator("main h1")).to_have_text(say["people.title"])
        expect(row_of(page, "alice@example.com")).to_contain_text(say["role.staff"])
        expect(row_of(page, "root@example.com")).to_contain_text(say["role.admin"])
        expect(row_of(page, newcomer)).to_have_count(0)

        page.get_by_test_id("people-email").fill(newcomer)
        page.get_by_test_id("people-role").select_option("staff")
        page.get_by_test_id("people-grant").click()
        expect(page.get_by_test_id("people-status")).to_contain_text(
            fill(say["people.granted"], email=newcomer, role=say["role.staff"]))
        # When the role takes effect, in the function's own words and the page's language.
        expect(page.get_by_test_id("people-status")).to_contain_text(
            render(Msg("roles.token_refresh"), language))
        expect(row_of(page, newcomer)).to_contain_text(say["role.staff"])
        expect(row_of(page, newcomer).get_by_test_id("people-verified")).to_have_text(
            say["people.verified.yes"])
        page.screenshot(path=str(SCREENSHOTS / "pages" / f"{language}-people.png"),
                        full_page=True)

        # "Check again" fetches a new ID token: the inventory opens without signing out.
        newcomer_page.get_by_test_id("norole-check").click()
        expect(newcomer_page.locator("main h1")).to_have_text(say["labels.title"])
        expect(newcomer_page.get_by_test_id("nav-people")).to_have_count(0)

        row_of(page, newcomer).get_by_test_id("people-revoke").click()
        expect(row_of(page, newcomer)).to_have_count(0)
        # Both changes are in the audit log.
        page.get_by_test_id("nav-vision").click()
        rows = page.get_by_test_id("audit-table").locator("tbody tr")
        expect(rows).to_have_count(2)
        expect(rows.nth(0)).to_contain_text(say["audit.action.revoke_role"])
        expect(rows.nth(1)).to_contain_text(say["audit.action.grant_role"])
    finally:
        with contextlib.suppress(Exception):
            newcomer_page.screenshot(path=str(screenshot_path(
                f"{request.node.name}-newcomer")), full_page=True)
        other.close()


@pytest.mark.parametrize(("locale", "language"), [("tr-TR", "tr")])
def test_refusals_are_the_functions_messages_in_the_pages_language(page, sign_in,
                                                                   language: str) -> None:
    sign_in(page, "root")
    page.goto("/#/people")
    nobody = "nobody-here@example.com"
    page.get_by_test_id("people-email").fill(nobody)
    page.get_by_test_id("people-grant").click()
    expect(page.get_by_test_id("error-alert")).to_have_text(
        render(Msg("roles.no_account", kind="email", value=repr(nobody)), language))
    # root is the only admin: taking back its own admin role is refused, and it stays admin.
    row = row_of(page, "root@example.com")
    row.locator('[data-testid="people-revoke"][data-role="admin"]').click()
    expect(page.get_by_test_id("error-alert")).to_have_text(
        render(Msg("roles.last_admin"), language))
    expect(row).to_contain_text("root@example.com")


@pytest.mark.parametrize(("locale", "language"), [("tr-TR", "tr")])
def test_a_role_by_email_needs_a_verified_address(page, sign_in, local_run,
                                                  language: str) -> None:
    from devtools.auth_emulator import seed_account

    uid = f"unverified-{uuid.uuid4().hex[:10]}"
    email = f"{uid}@example.com"
    seed_account(local_run.auth, local_run.project, uid=uid, email=email, claims={},
                 password=SEEDED_PASSWORD, email_verified=False)
    sign_in(page, "root")
    page.goto("/#/people")
    page.get_by_test_id("people-email").fill(email)
    page.get_by_test_id("people-grant").click()
    expect(page.get_by_test_id("error-alert")).to_have_text(
        render(Msg("roles.email_unverified", email=repr(email)), language))
    expect(row_of(page, email)).to_have_count(0)


def test_staff_have_no_people_page(page, sign_in, catalogs) -> None:
    sign_in(page, "alice")
    expect(page.get_by_test_id("nav-people")).to_have_count(0)
    page.goto("/#/people")
    expect(page.locator("main h1")).to_have_text(catalogs["en"]["adminsonly.title"])
    expect(page.get_by_test_id("people-table")).to_have_count(0)


@pytest.mark.parametrize(("locale", "language"), [("tr-TR", "tr")])
def test_a_newcomer_creates_an_account_and_gets_no_role(page, catalogs,
                                                        language: str) -> None:
    say = catalogs[language]
    email = f"signup-{uuid.uuid4().hex[:10]}@example.com"
    page.goto("/")
    page.get_by_test_id("signin-email").fill(email)
    page.get_by_test_id("signin-password").fill("12345")
    page.get_by_test_id("signup-submit").click()
    expect(page.get_by_test_id("error-alert")).to_have_text(say["signup.error.weak"])

    page.get_by_test_id("signin-password").fill("uzun-bir-parola")
    page.get_by_test_id("signup-submit").click()
    # Signed in at once, with no role: the page that says how to get one.
    expect(page.locator("main h1")).to_have_text(say["norole.title"])
    expect(page.get_by_test_id("whoami")).to_contain_text(email)
    expect(page.get_by_test_id("role")).to_have_text(say["role.none"])

    page.get_by_test_id("signout").click()
    page.get_by_test_id("signin-email").fill(email)
    page.get_by_test_id("signin-password").fill("başka-bir-parola")
    page.get_by_test_id("signup-submit").click()
    expect(page.get_by_test_id("error-alert")).to_have_text(say["signup.error.exists"])
