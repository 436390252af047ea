"""The Review page in Chromium against the local run, in en-US and tr-TR: images are uploaded
to the run's Cloud Storage emulator and their finalized event delivered to the storage
trigger (devtools.send_image); a name with "unsafe" in it is rejected by the local Vision
server and moved to quarantine/, which puts it in the review queue.

- A moderator (mona) sees the backlog and the cards (blurred preview, cause, the machine's
  scores, uploader, age), the uploader's appeal first with its explanation; approves a
  quarantined image (it is back at its path, its quarantine copy gone), rejects one with the
  default reject action (it stays in quarantine) and, after an admin set the reject action
  to "delete", rejects the appealed one (deleted); each card says what happened, in the
  function's words and the page's language.
- A second moderator's claim (mel, through the callable) shows on its card, and a decision
  on it is refused in place; the keyboard alone (arrows, Space, A; V and the confirmation
  dialog) decides and reveals.
- The page passes axe (tests/browser/test_accessibility.py check_page) with its cards, its
  results and its reveal dialog, and at 320 px wide it does not scroll sideways.
- Staff without the moderator role have no Review page; an admin gives the role on the
  People page, and the new moderator starts on the review queue.

Texts come from the app's catalogs (web/src/i18n/*.js) and, for the functions' per-image
answers, from the functions' own catalog (functions/messages)."""

from __future__ import annotations

import io
import json
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devtools.local_run import SEEDED_PASSWORD
from messages import Msg, render
from tests.browser.harness import SCREENSHOTS, LocalRun, fill
from tests.browser.test_accessibility import axe_violations, check_page, tab_to
from tests.browser.test_console_pages import shot

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture fails first, saying to run scripts/setup
    expect = None  # type: ignore[assignment]

pytestmark = pytest.mark.usefixtures("console_built", "fresh_firestore")

LANGUAGES = [("en-US", "en"), ("tr-TR", "tr")]
QUARANTINE = "quarantine/"


def png(color: str) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(buffer, "PNG")
    return buffer.getvalue()


def quarantined(run: LocalRun, owner: str, color: str = "red") -> str:
    """An "unsafe" image uploaded to users/<owner>/: rejected and moved to quarantine by the
    trigger. Its original path. The storage emulator lives as long as the run, so every name
    is new."""
    name = f"users/{owner}/unsafe-{uuid.uuid4().hex[:8]}.png"
    sent = run.send_image(name, png(color))
    assert sent.location == f"{QUARANTINE}{name}", sent
    return name


def a_new_owner() -> str:
    """A uid of its own for each uploaded image: no account reaches the rejections that flag
    it (3 within a day) or a new account's daily allowance (5)."""
    return f"u-{uuid.uuid4().hex[:10]}"


def set_reject_action(run: LocalRun, action: str) -> None:
    """system_config/vision_api rejectAction, written as the owner (no admin callable sets
    it; the other settings keep their defaults)."""
    url = (f"http://{run.firestore}/v1/projects/{run.project}/databases/(default)/documents/"
           f"system_config/vision_api?updateMask.fieldPaths=rejectAction")
    body = json.dumps({"fields": {"rejectAction": {"stringValue": action}}}).encode()
    request = urllib.request.Request(url, data=body, method="PATCH", headers={
        "Authorization": "Bearer owner", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as reply:
        assert reply.status == 200


def waited_since(run: LocalRun, token: str, name: str, waited: timedelta) -> None:
    """The queued image `name` entered the queue `waited` ago: its review_queue document's
    enteredAt moved back, written as the owner (the rest as the trigger wrote it)."""
    status, listed = run.call("list_review_queue", {}, token)
    assert status == 200, listed
    (key,) = [item["key"] for item in listed["result"]["items"] if item["name"] == name]
    when = (datetime.now(UTC) - waited).isoformat().replace("+00:00", "Z")
    url = (f"http://{run.firestore}/v1/projects/{run.project}/databases/(default)/documents/"
           f"review_queue/{key}?updateMask.fieldPaths=enteredAt&currentDocument.exists=true")
    body = json.dumps({"fields": {"enteredAt": {"timestampValue": when}}}).encode()
    request = urllib.request.Request(url, data=body, method="PATCH", headers={
        "Authorization": "Bearer owner", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as reply:
        assert reply.status == 200


def said(code: str, language: str, **params: Any) -> str:
    """A function's per-image answer, as it writes it in `language`."""
    return str(render(Msg(code, **params), language))


def heading(page: Any) -> Any:
    return page.locator("main h1")


def card_of(page: Any, name: str) -> Any:
    return page.get_by_test_id("review-card").filter(
        has=page.locator("h3", has_text=name))


def open_review(page: Any, sign_in: Any, say: dict[str, str], who: str = "mona") -> None:
    sign_in(page, who)
    page.get_by_test_id("nav-review").click()
    expect(heading(page)).to_have_text(say["review.title"])


def backlog_text(say: dict[str, str], waiting: int, quarantined_count: int,
                 appeals: int) -> str:
    return fill(say["review.backlog.waiting"], count=waiting, needs_review=0,
                quarantined=quarantined_count, flagged=0) + " " + fill(
        say["review.backlog.appeals"], count=appeals)


@pytest.mark.parametrize(("locale", "language"), LANGUAGES)
def test_a_moderator_approves_rejects_and_decides_an_appeal(
        page, sign_in, local_run, id_token, catalogs, language: str) -> None:
    say = catalogs[language]
    approved = quarantined(local_run, a_new_owner(), "teal")
    kept = quarantined(local_run, a_new_owner(), "olive")
    appealed = quarantined(local_run, "member", "navy")
    explanation = "Bu benim kedim, çıplaklık yok." if language == "tr" else "It is my cat."
    status, reply = local_run.call("appeal_moderation", {
        "path": appealed, "explanation": explanation}, id_token("member"))
    assert status == 200, reply

    open_review(page, sign_in, say)
    expect(page.get_by_test_id("review-backlog")).to_contain_text(
        backlog_text(say, 3, 3, 1))
    expect(page.get_by_test_id("review-backlog")).to_contain_text(
        fill(say["review.backlog.oldest"], age=say["review.age.now"]))
    expect(page.get_by_test_id("review-overdue")).to_have_count(0)
    cards = page.get_by_test_id("review-card")
    expect(cards).to_have_count(3)
    # The appeal comes first, marked, with the uploader's explanation.
    first = cards.first
    expect(first).to_have_attribute("data-appealed", "true")
    expect(first.locator("h3")).to_have_text(appealed)
    expect(first.get_by_test_id("review-appeal")).to_contain_text(say["review.appealed"])
    expect(first.get_by_test_id("review-appeal")).to_contain_text(
        fill(say["review.appeal.says"], text=explanation))
    expect(first.get_by_test_id("review-uploader")).to_have_text("member")
    expect(cards.nth(1)).to_have_attribute("data-appealed", "false")
    # Each card: the cause, the machine's scores, the uploader, the age, a blurred preview.
    card = card_of(page, approved)
    expect(card.get_by_test_id("review-cause-badge")).to_have_text(
        say["review.cause.quarantined"])
    expect(card.get_by_test_id("review-scores")).to_contain_text(fill(
        say["review.score"], category=say["review.category.adult"],
        likelihood=say["review.likelihood.VERY_LIKELY"]))
    expect(card.get_by_test_id("review-uploader")).to_have_text(approved.split("/")[1])
    expect(card.get_by_test_id("review-age")).to_have_text(say["review.age.now"])
    image = card.get_by_test_id("review-image")
    expect(image).to_be_visible()
    expect(image).to_have_attribute("alt", fill(say["review.image.blurred"], name=approved))
    assert image.evaluate("(img) => img.complete && img.naturalWidth > 0")
    assert image.get_attribute("src").startswith("blob:")
    check_page(page, "review page with three images")

    # -- approve a quarantined image: back at its path ---------------------------------------
    card.get_by_test_id("review-select").check()
    expect(page.get_by_test_id("review-approve")).to_have_text(
        fill(say["review.approve"], count=1))
    page.get_by_test_id("review-note").fill("a harmless colour")
    page.get_by_test_id("review-approve").click()
    expect(card.get_by_test_id("review-result")).to_have_text(
        said("review.restored", language))
    expect(card).to_have_attribute("data-state", "decided")
    expect(card.get_by_test_id("review-select")).to_be_disabled()
    expect(page.get_by_test_id("review-status")).to_have_text(
        fill(say["review.done.approved"], count=1))
    assert local_run.stored_object(approved) is not None
    assert local_run.stored_object(f"{QUARANTINE}{approved}") is None

    # -- reject one with the default reject action: it stays in quarantine -----------------
    other = card_of(page, kept)
    other.get_by_test_id("review-select").check()
    page.get_by_test_id("review-reject").click()
    expect(other.get_by_test_id("review-result")).to_have_text(
        said("review.rejected_kept", language))
    assert local_run.stored_object(f"{QUARANTINE}{kept}") is not None
    assert local_run.stored_object(kept) is None

    # -- an admin sets the reject action to delete: the appealed image is deleted -----------
    set_reject_action(local_run, "delete")
    first.get_by_test_id("review-select").check()
    page.get_by_test_id("review-reject").click()
    expect(first.get_by_test_id("review-result")).to_have_text(
        said("review.rejected_deleted", language))
    assert local_run.stored_object(f"{QUARANTINE}{appealed}") is None
    assert local_run.stored_object(appealed) is None
    expect(page.get_by_test_id("review-backlog")).to_contain_text(
        backlog_text(say, 0, 0, 0))
    check_page(page, "review page with every image decided")
    shot(page, language, "review-decided")

    # The decided ones are listed under "Decided", with who decided and the note.
    page.get_by_test_id("review-state").select_option("decided")
    expect(page.get_by_test_id("review-card")).to_have_count(3)
    decision = card_of(page, approved).get_by_test_id("review-decision")
    expect(decision).to_contain_text(fill(say["review.decision.approved"],
                                          who="mona@example.com"))
    expect(decision).to_contain_text(fill(say["review.decision.note"],
                                          note="a harmless colour"))
    expect(page.get_by_test_id("error-alert")).to_be_empty()


@pytest.mark.parametrize(("locale", "language"), LANGUAGES)
def test_another_moderators_claim_is_shown_and_refused_in_place_with_the_keyboard(
        page, sign_in, local_run, id_token, catalogs, language: str) -> None:
    say = catalogs[language]
    names = [quarantined(local_run, a_new_owner(), color) for color in ("red", "green", "blue")]
    status, listed = local_run.call("list_review_queue", {}, id_token("mel"))
    assert status == 200, listed
    keys = {item["name"]: item["key"] for item in listed["result"]["items"]}
    # mel holds the second image for ten minutes.
    status, claim = local_run.call("claim_reviews", {"keys": [keys[names[1]]]},
                                   id_token("mel"))
    assert status == 200 and claim["result"]["results"][0]["claimed"] is True, claim
    until = datetime.fromisoformat(claim["result"]["claimedUntil"]).strftime("%H:%M UTC")

    # Pages of two images (the page asks for more): "Load more" brings the third.
    def two_a_page(route: Any) -> None:
        body = json.loads(route.request.post_data or "{}")
        body["data"]["limit"] = 2
        route.continue_(post_data=json.dumps(body))

    page.route("**/list_review_queue", two_a_page)
    open_review(page, sign_in, say)
    cards = page.get_by_test_id("review-card")
    expect(cards).to_have_count(2)
    more = page.get_by_test_id("review-more")
    expect(more).to_have_text(say["review.more"])
    more.click()
    expect(cards).to_have_count(3)
    expect(more).to_be_hidden()
    expect(cards.nth(2)).to_be_focused()  # the first card the page brought
    expect(cards.nth(0).locator("h3")).to_have_text(names[0])  # the oldest first
    held = card_of(page, names[1])
    expect(held.get_by_test_id("review-claim")).to_have_text(
        fill(say["review.claim.other"], who="mel@example.com"))
    expect(page.get_by_test_id("review-keys")).to_have_text(say["review.keys"])

    # -- the keyboard: the list is one Tab stop (its active card), arrows move, Space selects,
    # A approves the selection --------------------------------------------------------------
    page.keyboard.press("Home")
    expect(cards.nth(0)).to_be_focused()
    page.keyboard.press("Tab")  # out of the list: its cards' own controls are no stops
    assert page.evaluate("!document.querySelector('[data-testid=review-list]')"
                         ".contains(document.activeElement)")
    tab_to(page, "[data-testid=review-card]", backwards=True)
    expect(cards.nth(0)).to_be_focused()
    page.keyboard.press("ArrowRight")
    expect(cards.nth(1)).to_be_focused()
    expect(cards.nth(1)).to_have_attribute("tabindex", "0")
    expect(cards.nth(0)).to_have_attribute("tabindex", "-1")
    page.keyboard.press("Space")
    expect(held.get_by_test_id("review-select")).to_be_checked()
    page.keyboard.press("ArrowRight")
    expect(cards.nth(2)).to_be_focused()
    page.keyboard.press("Space")
    expect(cards.nth(2).get_by_test_id("review-select")).to_be_checked()
    expect(page.get_by_test_id("review-approve")).to_have_text(
        fill(say["review.approve"], count=2))
    page.keyboard.press("a")
    # mel's image is refused in place; the other is approved and back at its path.
    expect(held.get_by_test_id("review-result")).to_have_text(
        said("review.held", language, until=until))
    expect(held).to_have_attribute("data-state", "waiting")
    expect(cards.nth(2).get_by_test_id("review-result")).to_have_text(
        said("review.restored", language))
    expect(page.get_by_test_id("review-status")).to_have_text(
        fill(say["review.done.approved"], count=1) + " "
        + fill(say["review.done.refused"], count=1))
    assert local_run.stored_object(f"{QUARANTINE}{names[1]}") is not None
    assert local_run.stored_object(names[2]) is not None
    expect(cards.nth(2)).to_be_focused()  # the focus stays where it was

    # -- V: the focused card's image, unblurred, after a confirmation ------------------------
    page.keyboard.press("Home")
    expect(cards.nth(0)).to_be_focused()
    page.keyboard.press("v")
    dialog = page.get_by_test_id("review-reveal-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("heading")).to_have_text(say["review.reveal.title"])
    expect(dialog.get_by_test_id("review-reveal-cancel")).to_be_focused()
    page.keyboard.press("Escape")  # nothing is shown
    expect(dialog).to_be_hidden()
    expect(cards.nth(0)).to_be_focused()
    expect(cards.nth(0)).to_have_attribute("data-revealed", "false")
    page.keyboard.press("v")
    expect(dialog).to_be_visible()
    page.keyboard.press("Shift+Tab")
    expect(dialog.get_by_test_id("review-reveal-confirm")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("review-status")).to_have_text(
        fill(say["review.reveal.shown"], name=names[0]))
    expect(cards.nth(0)).to_have_attribute("data-revealed", "true")
    expect(cards.nth(0).get_by_test_id("review-image")).to_have_attribute(
        "alt", fill(say["review.image.revealed"], name=names[0]))
    expect(cards.nth(0)).to_be_focused()
    # R with nothing selected rejects the focused card.
    page.keyboard.press("r")
    expect(cards.nth(0).get_by_test_id("review-result")).to_have_text(
        said("review.rejected_kept", language))
    expect(page.get_by_test_id("error-alert")).to_be_empty()


@pytest.mark.parametrize(("locale", "language"), LANGUAGES)
def test_the_review_page_is_accessible_and_fits_a_phone(
        browser, local_run, id_token, catalogs, locale: str, language: str) -> None:
    say = catalogs[language]
    appealed = quarantined(local_run, "member", "purple")
    quarantined(local_run, a_new_owner(), "orange")
    status, reply = local_run.call("appeal_moderation", {
        "path": appealed, "explanation": "x" * 400}, id_token("member"))
    assert status == 200, reply
    old = quarantined(local_run, a_new_owner(), "gray")
    waited_since(local_run, id_token("mona"), old, timedelta(days=2, hours=3))
    context = browser.new_context(locale=locale, base_url=local_run.base,
                                  viewport={"width": 320, "height": 640})
    context.set_default_timeout(15_000)
    expect.set_options(timeout=15_000)
    page = context.new_page()

    def no_sideways_scroll(where: str) -> None:
        width = page.evaluate("document.documentElement.scrollWidth")
        culprits = page.evaluate(
            """() => [...document.querySelectorAll('body *')]
                 .filter((e) => e.getBoundingClientRect().right > 320.5)
                 .slice(0, 5).map((e) => e.outerHTML.slice(0, 120))""")
        assert width <= 320, f"{where}: {width} px wide; too wide: {culprits}"

    try:
        page.goto("/")
        page.get_by_test_id("signin-email").fill("mona@example.com")
        page.get_by_test_id("signin-password").fill(SEEDED_PASSWORD)
        page.get_by_test_id("signin-submit").click()
        # A moderator without the staff role starts on the review queue.
        expect(heading(page)).to_have_text(say["review.title"])
        expect(page.get_by_test_id("role")).to_have_text(say["role.moderator"])
        # Past the 24-hour target: the backlog says so, and the oldest card its age.
        expect(page.get_by_test_id("review-overdue")).to_have_text(
            fill(say["review.backlog.overdue"], hours=24))
        expect(page.get_by_test_id("review-backlog")).to_contain_text(
            fill(say["review.backlog.oldest"], age=fill(say["review.age.days"], count=2)))
        cards = page.get_by_test_id("review-card")
        expect(cards).to_have_count(3)
        expect(cards.nth(0)).to_have_attribute("data-appealed", "true")
        expect(cards.nth(1).locator("h3")).to_have_text(old)  # then the oldest
        expect(cards.nth(1).get_by_test_id("review-age")).to_have_text(
            fill(say["review.age.days"], count=2))
        for index in range(3):
            expect(cards.nth(index).get_by_test_id("review-image")).to_be_visible()
        no_sideways_scroll("review page at 320 px")
        check_page(page, "review page at 320 px")
        cards.first.focus()
        page.keyboard.press("v")
        expect(page.get_by_test_id("review-reveal-dialog")).to_be_visible()
        no_sideways_scroll("the reveal dialog at 320 px")
        # The rest of the page is inert behind the modal dialog: axe, and the dialog's own
        # controls named.
        assert not axe_violations(page), axe_violations(page)
        for control in ("review-reveal-confirm", "review-reveal-cancel"):
            expect(page.get_by_test_id(control)).to_have_accessible_name(
                say[control.replace("review-reveal-", "review.reveal.")])
        page.get_by_test_id("review-reveal-cancel").click()
        expect(page.get_by_test_id("review-reveal-dialog")).to_be_hidden()
    finally:
        path = SCREENSHOTS / "pages" / f"{language}-phone-review.png"
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=True)
        context.close()


@pytest.mark.parametrize(("locale", "language"), [("tr-TR", "tr")])
def test_staff_have_no_review_page_and_an_admin_makes_a_moderator(
        page, browser, sign_in, local_run, catalogs, locale: str, language: str) -> None:
    from devtools.auth_emulator import seed_account

    say = catalogs[language]
    sign_in(page, "alice")
    expect(page.get_by_test_id("nav-labels")).to_be_visible()
    expect(page.get_by_test_id("nav-review")).to_have_count(0)
    page.goto("/#/review")
    expect(heading(page)).to_have_text(say["moderatorsonly.title"])
    expect(page.get_by_test_id("review-list")).to_have_count(0)
    page.get_by_test_id("signout").click()
    # Signed out for good before the next sign-in reloads the page (else the reload may
    # still find alice's session and never show the form).
    expect(heading(page)).to_have_text(say["signin.title"])

    uid = f"newmod-{uuid.uuid4().hex[:10]}"
    email = f"{uid}@example.com"
    seed_account(local_run.auth, local_run.project, uid=uid, email=email, claims={},
                 password=SEEDED_PASSWORD)
    sign_in(page, "root")
    expect(page.get_by_test_id("nav-review")).to_be_visible()  # an admin is a moderator
    page.get_by_test_id("nav-people").click()
    role = page.get_by_test_id("people-role")
    expect(role.locator("option[value=moderator]")).to_have_text(say["role.moderator"])
    page.get_by_test_id("people-email").fill(email)
    role.select_option("moderator")
    page.get_by_test_id("people-grant").click()
    expect(page.get_by_test_id("people-status")).to_contain_text(
        fill(say["people.granted"], email=email, role=say["role.moderator"]))
    row = page.get_by_test_id("people-table").locator("tbody tr").filter(has_text=email)
    expect(row).to_contain_text(say["role.moderator"])
    expect(row.locator('[data-testid="people-revoke"][data-role="moderator"]')).to_be_visible()

    # The new moderator signs in: the review queue, and no inventory.
    other = browser.new_context(locale=locale, base_url=local_run.base)
    try:
        newcomer = other.new_page()
        newcomer.goto("/")
        newcomer.get_by_test_id("signin-email").fill(email)
        newcomer.get_by_test_id("signin-password").fill(SEEDED_PASSWORD)
        newcomer.get_by_test_id("signin-submit").click()
        expect(heading(newcomer)).to_have_text(say["review.title"])
        expect(newcomer.get_by_test_id("nav-review")).to_be_visible()
        expect(newcomer.get_by_test_id("nav-labels")).to_have_count(0)
        expect(newcomer.get_by_test_id("review-empty")).to_have_text(
            say["review.empty.waiting"])
        newcomer.goto("/#/labels")
        expect(heading(newcomer)).to_have_text(say["staffonly.title"])
    finally:
        other.close()
