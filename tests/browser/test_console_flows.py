"""The console's sign-in and roles in Chromium against the local run: staff and admin sign in,
a non-admin neither sees nor can open the Vision page, and the whole sign-in flow speaks the
browser's language (tr-TR, en-US). Expected texts come from the app's own catalogs
(web/src/i18n/*.js), so the tests check the language, not the wording."""

from __future__ import annotations

from typing import Any

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture fails first, saying to run scripts/setup
    expect = None  # type: ignore[assignment]

pytestmark = pytest.mark.usefixtures("console_built", "fresh_firestore")


def heading(page: Any) -> Any:
    return page.locator("main h1")


def test_staff_signs_in_and_sees_the_inventory(page, sign_in, catalogs) -> None:
    en = catalogs["en"]
    sign_in(page, "alice")
    expect(page.get_by_test_id("whoami")).to_contain_text("alice@example.com")
    expect(page.get_by_test_id("role")).to_have_text(en["role.staff"])
    expect(page.get_by_test_id("nav-labels")).to_be_visible()
    expect(page.get_by_test_id("nav-counting")).to_be_visible()
    expect(heading(page)).to_have_text(en["labels.title"])
    # list_parts answered through the JS SDK at the emulator path: an empty database.
    expect(page.get_by_test_id("parts-empty")).to_be_visible()
    expect(page.get_by_test_id("error-alert")).to_be_empty()


def test_admin_signs_in_and_opens_the_vision_page(page, sign_in, catalogs) -> None:
    en = catalogs["en"]
    sign_in(page, "root")
    expect(page.get_by_test_id("role")).to_have_text(en["role.admin"])
    page.get_by_test_id("nav-vision").click()
    expect(heading(page)).to_have_text(en["vision.title"])
    # The quota came back from get_vision_api_quota_status at the emulator path.
    expect(page.get_by_test_id("vision-limit")).not_to_have_value("")
    expect(page.get_by_test_id("vision-enabled")).to_be_checked()
    expect(page.get_by_test_id("error-alert")).to_be_empty()


def test_a_non_admin_neither_sees_nor_can_open_the_vision_page(page, sign_in,
                                                               catalogs) -> None:
    en = catalogs["en"]
    sign_in(page, "alice")
    expect(page.get_by_test_id("nav-labels")).to_be_visible()
    expect(page.get_by_test_id("nav-vision")).to_have_count(0)
    page.goto("/#/vision")
    expect(heading(page)).to_have_text(en["adminsonly.title"])
    expect(page.get_by_test_id("vision-gauge")).to_have_count(0)
    expect(page.get_by_test_id("vision-reset")).to_have_count(0)


def test_a_member_without_a_role_gets_no_inventory_and_no_vision(page, sign_in,
                                                                  catalogs) -> None:
    en = catalogs["en"]
    sign_in(page, "member")
    expect(page.get_by_test_id("role")).to_have_text(en["role.none"])
    expect(heading(page)).to_have_text(en["norole.title"])
    expect(page.get_by_test_id("nav-labels")).to_have_count(0)
    expect(page.get_by_test_id("nav-vision")).to_have_count(0)
    page.goto("/#/vision")
    expect(heading(page)).to_have_text(en["norole.title"])
    expect(page.get_by_test_id("vision-gauge")).to_have_count(0)


@pytest.mark.parametrize(("locale", "language"), [("tr-TR", "tr"), ("en-US", "en")])
def test_the_sign_in_flow_speaks_the_browsers_language(page, local_run, catalogs,
                                                       language: str) -> None:
    from tests.browser.harness import accounts

    text = catalogs[language]
    alice = accounts()["alice"]
    page.goto("/")
    expect(heading(page)).to_have_text(text["signin.title"])
    expect(page.locator("html")).to_have_attribute("lang", language)
    expect(page.get_by_test_id("signin-submit")).to_have_text(text["signin.submit"])
    # A wrong password: the refusal in the same language.
    page.get_by_test_id("signin-email").fill(alice.email)
    page.get_by_test_id("signin-password").fill("not-the-password")
    page.get_by_test_id("signin-submit").click()
    expect(page.get_by_test_id("error-alert")).to_have_text(
        text["signin.error.credentials"])
    # The right one: the console, its navigation and the role in the same language.
    page.get_by_test_id("signin-password").fill(alice.password)
    page.get_by_test_id("signin-submit").click()
    expect(page.get_by_test_id("role")).to_have_text(text["role.staff"])
    expect(page.get_by_test_id("nav-labels")).to_have_text(text["nav.labels"])
    expect(page.get_by_test_id("nav-counting")).to_have_text(text["nav.counting"])
    expect(heading(page)).to_have_text(text["labels.title"])
    assert page.title().endswith(text["app.name"])
    # Signing out comes back to the sign-in page, still in that language.
    page.get_by_test_id("signout").click()
    expect(heading(page)).to_have_text(text["signin.title"])
