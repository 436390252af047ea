"""The Vision page's per-account allowances and its top accounts, in Chromium against the
local run, in en-US and tr-TR: an admin changes an allowance (one call with every field of
the form) and sees it saved and audited in the page's language; an account that used Vision
(the seeded `member`, through the pre-upload check) shows in the top accounts; the admin
flags it from the table (its next check skips Vision), unflags it with the keyboard and
resets its day, each with a status line and an audit row in the page's language. The
flagged-account notifications read in the page's language too. Texts come from the app's
catalogs (web/src/i18n/*.js)."""

from __future__ import annotations

import base64
import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from tests.browser.harness import LocalRun, fill
from tests.browser.test_accessibility import check_page
from tests.browser.test_console_pages import seed_document, shot

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture fails first, saying to run scripts/setup
    expect = None  # type: ignore[assignment]

pytestmark = pytest.mark.usefixtures("console_built", "fresh_firestore")

LANGUAGES = [("en-US", "en"), ("tr-TR", "tr")]
DEFAULTS = {"daily": 20, "monthly": 200, "new_account_daily": 5, "unattributed_daily": 100,
            "exempt_roles": ["admin", "staff"], "flag_after_rejections": 3,
            "flagged_skip_vision": True}


def png_base64(color: str) -> str:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), color).save(buffer, "PNG")
    return base64.b64encode(buffer.getvalue()).decode()


def check_an_image(run: LocalRun, token: str, color: str) -> dict[str, Any]:
    """The pre-upload check of one small PNG, as an app user calls it: its result."""
    status, reply = run.call("analyzeImageBeforeUpload", {"image": png_base64(color)}, token)
    assert status == 200, reply
    result: dict[str, Any] = reply["result"]
    return result


def open_vision(page: Any, sign_in: Any, say: dict[str, str]) -> None:
    sign_in(page, "root")
    page.get_by_test_id("nav-vision").click()
    expect(page.locator("main h1")).to_have_text(say["vision.title"])
    # The settings are shown (and the controls enabled) once the status is loaded.
    expect(page.get_by_test_id("allowance-daily")).to_be_enabled()


def cells(row: Any) -> list[str]:
    return [cell.strip() for cell in row.locator("th, td").all_inner_texts()]


@pytest.mark.parametrize(("locale", "language"), LANGUAGES)
def test_an_admin_changes_the_allowances_and_flags_an_account(
        page, sign_in, local_run, id_token, catalogs, language: str) -> None:
    say = catalogs[language]
    open_vision(page, sign_in, say)
    expect(page.get_by_role("heading", name=say["vision.allowance"], exact=True)
           ).to_be_visible()
    form = page.get_by_test_id("allowance-form")
    daily = form.get_by_label(say["vision.allowance.daily"], exact=True)
    expect(daily).to_have_value("20")
    expect(form.get_by_label(say["vision.allowance.monthly"], exact=True)).to_have_value("200")
    expect(form.get_by_label(say["vision.allowance.unattributedDaily"], exact=True)
           ).to_have_value("100")
    expect(form.get_by_label(say["vision.allowance.flagAfter"], exact=True)).to_have_value("3")
    roles = page.get_by_role("group", name=say["vision.allowance.exempt"])
    staff = roles.get_by_label(say["role.staff"], exact=True)
    expect(staff).to_be_checked()
    expect(roles.get_by_label(say["role.admin"], exact=True)).to_be_checked()
    expect(form.get_by_label(say["vision.allowance.skipVision"], exact=True)).to_be_checked()
    expect(page.get_by_test_id("accounts-table")).to_have_text(say["vision.accounts.none"])

    # -- change the daily allowance and the exempt roles: one call with every field changed
    # or kept, but the unattributed allowance left as shown, which keeps following daily ----
    daily.fill("7")
    staff.uncheck()
    with page.expect_request(lambda r: "set_vision_api_account_allowance" in r.url) as sent:
        page.get_by_test_id("allowance-save").click()
    sent_data = json.loads(sent.value.post_data)["data"]
    assert sent_data.pop("locale") == language  # every callable gets the page's language
    unchanged = {k: v for k, v in DEFAULTS.items() if k != "unattributed_daily"}
    assert sent_data == {**unchanged, "daily": 7, "exempt_roles": ["admin"]}
    expect(page.get_by_test_id("allowance-status")).to_have_text(say["vision.allowance.saved"])
    audit = page.get_by_test_id("audit-table")
    first = audit.locator("tbody tr").first
    expect(first).to_contain_text(say["audit.action.set_vision_account_allowance"])
    expect(first).to_contain_text("root@example.com")
    expect(first).to_contain_text("daily: 20 → 7")
    expect(first).to_contain_text("exemptRoles: admin, staff → admin")
    expect(page.get_by_test_id("error-alert")).to_be_empty()

    # After a reload the page shows what is stored.
    page.reload()
    expect(page.get_by_test_id("allowance-daily")).to_be_enabled()
    expect(page.get_by_test_id("allowance-daily")).to_have_value("7")
    expect(page.get_by_test_id("allowance-unattributed-daily")).to_have_value("35")  # 7 x 5
    expect(page.get_by_test_id("allowance-exempt-staff")).not_to_be_checked()
    expect(page.get_by_test_id("allowance-exempt-admin")).to_be_checked()

    # -- an account that used Vision shows in the top accounts --------------------------------
    member = id_token("member")
    first_check = check_an_image(local_run, member, "teal" if language == "en" else "olive")
    assert first_check["verdict"] == "approved" and first_check["checked"] is True
    page.get_by_test_id("vision-refresh").click()
    row = page.get_by_test_id("accounts-table").locator('tbody tr[data-uid="member"]')
    expect(row).to_be_visible()
    who = row.locator("th").inner_text().strip()
    assert who in ("member@example.com", "member"), who
    assert cells(row)[1:5] == ["1", "1", "0", say["vision.accounts.no"]]
    check_page(page, "vision page with an account listed")

    # -- flag it from the table: the status, the table and the audit row say so --------------
    row.get_by_role("button", name=fill(say["vision.accounts.flag.name"], who=who),
                    exact=True).click()
    expect(page.get_by_test_id("accounts-status")).to_have_text(
        fill(say["vision.accounts.flagged.done"], who=who))
    expect(row.get_by_test_id("account-flagged")).to_have_text(say["vision.accounts.yes"])
    unflag = row.get_by_role("button", name=fill(say["vision.accounts.unflag.name"], who=who),
                             exact=True)
    expect(unflag).to_be_focused()  # the table was drawn anew; the focus stays on the account
    first = audit.locator("tbody tr").first
    expect(first).to_contain_text(say["audit.action.vision_account_flag"])
    expect(first).to_contain_text("member")
    expect(first).to_contain_text(f"flagged: {say['common.off']} → {say['common.on']}")
    shot(page, language, "vision-accounts")
    # A flagged account's next image skips Vision and waits for a person.
    held = check_an_image(local_run, member, "navy" if language == "en" else "maroon")
    assert (held["verdict"], held["checked"], held["cause"]) == (
        "needs_review", False, "account_flagged")

    # -- unflag it with the keyboard (the focus is on its button) -----------------------------
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("accounts-status")).to_contain_text(
        fill(say["vision.accounts.unflagged.done"], who=who))
    expect(row.get_by_test_id("account-flagged")).to_have_text(say["vision.accounts.no"])
    expect(row.get_by_role("button", name=fill(say["vision.accounts.flag.name"], who=who),
                           exact=True)).to_be_focused()
    expect(audit.locator("tbody tr").first).to_contain_text(
        say["audit.action.vision_account_unflag"])

    # -- reset its day: today's checks back to 0, the month's kept ----------------------------
    row.get_by_role("button", name=fill(say["vision.accounts.resetDay.name"], who=who),
                    exact=True).click()
    expect(page.get_by_test_id("accounts-status")).to_contain_text(
        fill(say["vision.accounts.dayReset.done"], who=who, before=1))
    expect(row.locator("td").nth(0)).to_have_text("0")
    expect(row.locator("td").nth(1)).to_have_text("1")
    expect(audit.locator("tbody tr").first).to_contain_text(
        say["audit.action.vision_account_reset_day"])
    expect(page.get_by_test_id("error-alert")).to_be_empty()


@pytest.mark.parametrize(("locale", "language"), LANGUAGES)
def test_a_flagged_account_notification_is_written_in_the_pages_language(
        page, sign_in, local_run, catalogs, language: str) -> None:
    say = catalogs[language]
    now = datetime.now(UTC)
    seed_document(local_run, "admin_notifications", "account_flagged_mallory", {
        "kind": "vision_account_flagged", "account": "mallory", "uid": "mallory",
        "rejections": 3, "at": now, "read": False})
    seed_document(local_run, "admin_notifications", "account_flagged_pool", {
        "kind": "vision_account_flagged", "account": "~unattributed", "rejections": 4,
        "at": now, "read": False})
    open_vision(page, sign_in, say)
    notices = page.get_by_test_id("notifications-list").locator("li")
    expect(notices).to_have_count(2)
    expect(notices.filter(has_text="mallory")).to_contain_text(
        fill(say["notice.accountFlagged"], who="mallory", count=3))
    expect(page.get_by_test_id("notifications-list")).to_contain_text(
        fill(say["notice.unattributedFlagged"], count=4))
