"""Accessible basics of the web console, in Chromium against the local run, in English and
Turkish: every page passes axe-core's WCAG 2.1 A/AA rules; every visible control has an
accessible name; the whole staff and admin work can be done with the keyboard alone; every
element Tab reaches shows a focus indicator; the skip link is the first stop and moves focus
to the main content; no text is drawn in images (the only image, a label's QR code, has an
alt text naming it, and web/dist ships no images at all).

axe-core is a devDependency of web/ (web/node_modules/axe-core), never bundled into the app:
the tests inject it into the page."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.harness import DIST, REPO, LocalRun, accounts, fill

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture fails first, saying to run scripts/setup
    expect = None  # type: ignore[assignment]

pytestmark = pytest.mark.usefixtures("console_built", "fresh_firestore")

AXE = REPO / "web" / "node_modules" / "axe-core" / "axe.min.js"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
LOCALES = ["en-US", "tr-TR"]
PARTS = [{"part_code": "P-1", "part_name": "Bolt", "quantity": 3},
         {"part_code": "P-2", "part_name": "Nut", "quantity": 2}]
# What a browser may draw from web/dist besides the app itself: icons only.
ICON_NAME = re.compile(r"^(favicon|icon|apple-touch-icon)[\w.-]*\.(ico|png|svg)$")
# .wasm: the camera's QR reader (ZXing compiled to WebAssembly), code and no text.
APP_FILES = {".html", ".js", ".css", ".json", ".txt", ".webmanifest", ".wasm"}


@pytest.fixture
def text(catalogs: dict[str, dict[str, str]], locale: str) -> dict[str, str]:
    """The catalog of the page's language."""
    return catalogs[locale.split("-")[0]]


def upload_parts(local_run: LocalRun, token: str) -> dict[str, Any]:
    return local_run.upload_parts(token, PARTS)


def heading(page: Any) -> Any:
    return page.locator("main h1")


# -- checks of one page state -----------------------------------------------------------------

def axe_violations(page: Any) -> list[str]:
    """axe-core's WCAG 2.1 A/AA violations on the page, one readable line per node."""
    if not page.evaluate("typeof window.axe === 'object'"):
        # Evaluated, not added as a <script>: the console's CSP allows no inline script.
        page.evaluate(AXE.read_text())
    result = page.evaluate(
        "(tags) => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS)
    assert result["passes"], "axe-core checked nothing"
    lines = []
    for violation in result["violations"]:
        for node in violation["nodes"]:
            summary = " ".join(str(node.get("failureSummary", "")).split())
            lines.append(f"axe {violation['id']} ({violation['impact']}): {violation['help']}"
                         f" at {node['target']} ({violation['helpUrl']}): {summary}")
    return lines


# The controls a person operates, as the tests see them (visible ones only).
CONTROLS = ("input:not([type=hidden]), select, textarea, button, a[href], [role=switch], "
            "[role=button], [tabindex]:not([tabindex='-1'])")


def unnamed_controls(page: Any) -> list[str]:
    """Visible controls whose accessible name, as Chromium computes it, is empty. Closed
    <details> are opened first: what they hold is checked too."""
    described = page.evaluate(
        """(selector) => {
             document.querySelectorAll('details:not([open])').forEach((d) => { d.open = true; });
             const found = [];
             document.querySelectorAll(selector).forEach((el) => {
               const box = el.getBoundingClientRect();
               if (!box.width || !box.height || getComputedStyle(el).visibility === 'hidden'
                   || el.closest('[hidden], [aria-hidden=true]')) return;
               found.push(el.outerHTML.slice(0, 160));
               el.setAttribute('data-a11y-probe', '');
             });
             return found;
           }""", CONTROLS)
    assert described, "no visible control found on the page"
    cdp = page.context.new_cdp_session(page)
    try:
        root = cdp.send("DOM.getDocument", {"depth": 0})["root"]["nodeId"]
        node_ids = cdp.send("DOM.querySelectorAll",
                            {"nodeId": root, "selector": "[data-a11y-probe]"})["nodeIds"]
        problems = []
        for node_id, html in zip(node_ids, described, strict=True):
            ax = cdp.send("Accessibility.getPartialAXTree",
                          {"nodeId": node_id, "fetchRelatives": False})["nodes"][0]
            name = str((ax.get("name") or {}).get("value") or "").strip()
            if not name:
                problems.append(f"no accessible name: {html}")
        return problems
    finally:
        cdp.detach()
        page.evaluate("document.querySelectorAll('[data-a11y-probe]')"
                      ".forEach((el) => el.removeAttribute('data-a11y-probe'))")


def text_in_images(page: Any) -> list[str]:
    """Images on the page that could carry text: an <img> without alt text, a CSS background
    image, an <input type=image>, <svg> text or a <canvas>."""
    found: list[str] = page.evaluate(
        """() => {
             const out = [];
             for (const img of document.querySelectorAll('img')) {
               if (!img.hidden && !(img.getAttribute('alt') || '').trim()) {
                 out.push('an <img> without alt text: ' + img.outerHTML.slice(0, 160));
               }
             }
             for (const el of document.querySelectorAll('*')) {
               for (const pseudo of [null, '::before', '::after']) {
                 const bg = getComputedStyle(el, pseudo).backgroundImage;
                 if (bg && bg !== 'none') {
                   out.push(`a CSS background image (${bg.slice(0, 80)}) on ` +
                            el.outerHTML.slice(0, 120));
                 }
               }
             }
             for (const el of document.querySelectorAll('input[type=image], svg text, canvas')) {
               out.push('an image that may hold text: ' + el.outerHTML.slice(0, 160));
             }
             return out;
           }""")
    return found


def assert_fits_a_phone(page: Any, where: str) -> None:
    """Nothing but a table's own scroller is wider than a 320 px screen."""
    width = page.evaluate("document.documentElement.scrollWidth")
    culprits = page.evaluate(
        """() => [...document.querySelectorAll('body *')]
             .filter((e) => e.getBoundingClientRect().right > 320.5
                      && !e.closest('.table-wrap'))
             .slice(0, 5).map((e) => e.outerHTML.slice(0, 120))""")
    assert width <= 320, f"{where}: {width} px wide; too wide: {culprits}"


def check_page(page: Any, where: str) -> None:
    """axe-core, accessible names and images on the page as it is now: every problem found,
    listed so a person can fix them."""
    expect(page.get_by_test_id("error-alert")).to_be_empty()
    problems = axe_violations(page) + unnamed_controls(page) + text_in_images(page)
    assert not problems, f"{where}: {len(problems)} accessibility problem(s):\n" + "\n".join(
        problems)


# -- every page, in both languages --------------------------------------------------------------

@pytest.mark.parametrize("locale", LOCALES)
def test_the_sign_in_page(page: Any, text: dict[str, str]) -> None:
    page.goto("/")
    expect(heading(page)).to_have_text(text["signin.title"])
    check_page(page, "sign-in page")
    # With the error alert and its dismiss button shown.
    page.get_by_test_id("signin-email").fill(accounts()["alice"].email)
    page.get_by_test_id("signin-password").fill("not-the-password")
    page.get_by_test_id("signin-submit").click()
    expect(page.get_by_test_id("error-alert")).to_have_text(text["signin.error.credentials"])
    problems = axe_violations(page) + unnamed_controls(page)
    assert not problems, "sign-in page with an error:\n" + "\n".join(problems)


@pytest.mark.parametrize("locale", LOCALES)
def test_the_labels_page_with_parts_and_a_label(page: Any, sign_in: Callable[[Any, str], None],
                                                local_run: LocalRun, id_token: Any,
                                                text: dict[str, str]) -> None:
    upload_parts(local_run, id_token("alice"))
    sign_in(page, "alice")
    expect(heading(page)).to_have_text(text["labels.title"])
    expect(page.locator("[data-testid=parts-table] tbody tr")).to_have_count(len(PARTS))
    check_page(page, "labels page with parts")
    page.locator("[data-testid=label-view-part][data-part='P-1']").click()
    image = page.get_by_test_id("label-image")
    expect(image).to_be_visible()
    qr_id = page.get_by_test_id("label-qr-id").input_value()
    assert qr_id
    # The label's image is described by its alt text, and its id is also there as text.
    expect(image).to_have_attribute("alt", fill(text["viewer.alt"], id=qr_id))
    expect(page.locator(".label-figure figcaption")).to_have_text(qr_id)
    check_page(page, "labels page showing a label")


@pytest.mark.parametrize("locale", LOCALES)
def test_the_counting_pages(page: Any, sign_in: Callable[[Any, str], None],
                            local_run: LocalRun, id_token: Any, text: dict[str, str]) -> None:
    upload_parts(local_run, id_token("alice"))
    sign_in(page, "alice")
    page.get_by_test_id("nav-counting").click()
    expect(heading(page)).to_have_text(text["count.title"])
    expect(page.get_by_text(text["count.none"])).to_be_visible()
    check_page(page, "counting page without counts")
    page.get_by_test_id("session-name").fill("Shelf A")
    page.get_by_test_id("session-start").click()
    page.get_by_test_id("scan-input").fill("NOT-A-LABEL")
    page.get_by_test_id("scan-input").press("Enter")
    expect(page.locator("[data-testid=scan-results] li[data-status=unexpected]")
           ).to_have_count(1)
    expect(page.get_by_test_id("count-expected")).to_have_text(
        str(sum(int(str(part["quantity"])) for part in PARTS)))
    check_page(page, "an open count with one scan")
    page.get_by_test_id("session-finish").click()
    expect(page.get_by_test_id("session-finish-confirm")).to_be_focused()
    check_page(page, "an open count asking to confirm the finish")
    page.get_by_test_id("session-close").click()
    expect(page.locator("[data-testid=sessions-table] tbody tr")).to_have_count(1)
    check_page(page, "counting page listing a count")


@pytest.mark.parametrize("locale", LOCALES)
def test_the_vision_page(page: Any, sign_in: Callable[[Any, str], None],
                         text: dict[str, str]) -> None:
    sign_in(page, "root")
    page.get_by_test_id("nav-vision").click()
    expect(heading(page)).to_have_text(text["vision.title"])
    expect(page.get_by_test_id("vision-limit")).not_to_have_value("")
    expect(page.get_by_test_id("notifications-list")).to_be_visible()
    check_page(page, "vision page")


@pytest.mark.parametrize("locale", LOCALES)
def test_the_people_page(page: Any, sign_in: Callable[[Any, str], None],
                         text: dict[str, str]) -> None:
    sign_in(page, "root")
    page.get_by_test_id("nav-people").click()
    expect(heading(page)).to_have_text(text["people.title"])
    expect(page.get_by_test_id("people-table")).to_be_visible()
    check_page(page, "people page")


@pytest.mark.parametrize("locale", LOCALES)
def test_the_no_role_page(page: Any, sign_in: Callable[[Any, str], None],
                          text: dict[str, str]) -> None:
    sign_in(page, "member")
    expect(heading(page)).to_have_text(text["norole.title"])
    check_page(page, "no-role page")


# -- the keyboard alone ---------------------------------------------------------------------------

def focused(page: Any) -> str:
    """The focused element, short: tag, data-testid or id, and its text."""
    return str(page.evaluate(
        """() => {
             const el = document.activeElement;
             if (!el || el === document.body) return 'body';
             const tag = el.tagName.toLowerCase();
             const mark = el.dataset.testid ? `[data-testid=${el.dataset.testid}]`
               : el.id ? '#' + el.id : el.className ? '.' + el.className.split(' ')[0] : '';
             return tag + mark + ' ' + (el.innerText || el.value || '').trim().slice(0, 30);
           }"""))


def start_from_the_top(page: Any) -> None:
    """Put the focus on <body>, as on a page just opened: the next Tab goes to the first
    focusable element (a plain blur() would leave Chromium's Tab starting point in place)."""
    page.evaluate("""() => {
      document.body.setAttribute('tabindex', '-1');
      document.body.focus();
      document.body.removeAttribute('tabindex');
    }""")


def tab_to(page: Any, selector: str, *, backwards: bool = False, limit: int = 60) -> None:
    """Press Tab (Shift+Tab) until the element matching `selector` has the focus."""
    key = "Shift+Tab" if backwards else "Tab"
    path = []
    for _ in range(limit):
        page.keyboard.press(key)
        if page.evaluate("(s) => document.activeElement?.matches(s) ?? false", selector):
            return
        path.append(focused(page))
    raise AssertionError(f"{key} never reached {selector}; it went through: {path}")


def sign_in_by_keyboard(page: Any, who: str, text: dict[str, str]) -> None:
    account = accounts()[who]
    page.goto("/")
    expect(heading(page)).to_have_text(text["signin.title"])
    tab_to(page, "[data-testid=signin-email]")
    page.keyboard.type(account.email)
    tab_to(page, "[data-testid=signin-password]")
    page.keyboard.type(account.password)
    page.keyboard.press("Enter")
    expect(page.get_by_test_id("whoami")).to_contain_text(account.email)


def test_staff_counts_with_the_keyboard_only(page: Any, text: dict[str, str]) -> None:
    sign_in_by_keyboard(page, "alice", text)
    tab_to(page, "[data-testid=nav-counting]")
    page.keyboard.press("Enter")
    expect(heading(page)).to_have_text(text["count.title"])
    # After a navigation the focus is on the page's heading: Tab goes on into the page.
    expect(heading(page)).to_be_focused()
    tab_to(page, "[data-testid=session-name]")
    page.keyboard.type("Keyboard count")
    tab_to(page, "[data-testid=session-start]")
    page.keyboard.press("Space")
    # The count opens with the focus in the scan field, ready for a scanner or typing.
    expect(page.get_by_test_id("scan-input")).to_be_focused()
    page.keyboard.type("TYPED-1")
    page.keyboard.press("Enter")
    results = page.get_by_test_id("scan-results")
    expect(results.locator("li")).to_have_count(1)
    expect(results.locator("li .qr")).to_have_text("TYPED-1")
    expect(results.locator("li[data-status=unexpected]")).to_have_count(1)
    expect(page.get_by_test_id("scan-input")).to_be_focused()
    # Sign out: back up through the header.
    tab_to(page, "[data-testid=signout]", backwards=True)
    page.keyboard.press("Enter")
    expect(heading(page)).to_have_text(text["signin.title"])
    expect(page.get_by_test_id("whoami")).to_have_count(0)


def test_an_admin_changes_the_vision_strategy_with_the_keyboard_only(
        page: Any, text: dict[str, str]) -> None:
    sign_in_by_keyboard(page, "root", text)
    tab_to(page, "[data-testid=nav-vision]")
    page.keyboard.press("Enter")
    expect(heading(page)).to_have_text(text["vision.title"])
    expect(page.get_by_test_id("vision-limit")).not_to_have_value("")
    before = page.locator("input[name=strategy]:checked").get_attribute("value")
    audit_rows = page.locator("[data-testid=audit-table] tbody tr")
    rows_before = audit_rows.count()
    # A radio group is one Tab stop (the checked radio); the arrow keys choose in it.
    tab_to(page, "input[name=strategy]:checked")
    page.keyboard.press("ArrowDown")
    after = page.locator("input[name=strategy]:checked").get_attribute("value")
    assert after and after != before
    expect(page.locator(f"input[name=strategy][value={after}]")).to_be_focused()
    tab_to(page, "[data-testid=vision-strategy-save]")
    page.keyboard.press("Enter")
    expect(audit_rows).to_have_count(rows_before + 1)
    page.reload()
    expect(page.get_by_test_id("vision-limit")).not_to_have_value("")
    expect(page.locator("input[name=strategy]:checked")).to_have_attribute("value", after)


# -- focus -----------------------------------------------------------------------------------------

def focus_problems(page: Any, stops: int = 80) -> tuple[list[str], list[str]]:
    """Tab from the top of the page through every stop (until the focus comes back round):
    (each stop, the stops without a visible focus indicator)."""
    start_from_the_top(page)
    seen: list[str] = []
    problems: list[str] = []
    first = None
    for _ in range(stops):
        page.keyboard.press("Tab")
        ring = page.evaluate(
            """() => {
                 const el = document.activeElement;
                 if (!el || el === document.body) return null;
                 const s = getComputedStyle(el);
                 const box = el.getBoundingClientRect();
                 return {
                   html: el.outerHTML.slice(0, 120),
                   outline: s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0,
                   shadow: s.boxShadow !== 'none',
                   focusVisible: el.matches(':focus-visible'),
                   shown: box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0,
                   style: `outline: ${s.outlineStyle} ${s.outlineWidth}; `
                          + `box-shadow: ${s.boxShadow}`,
                 };
               }""")
        if ring is None:
            if seen:
                break  # past the last stop
            continue
        if ring["html"] == first:
            break
        first = first or ring["html"]
        seen.append(ring["html"])
        if not ring["shown"]:
            problems.append(f"focused but not on screen: {ring['html']}")
        if not (ring["focusVisible"] and (ring["outline"] or ring["shadow"])):
            problems.append(f"no visible focus indicator ({ring['style']}): {ring['html']}")
    return seen, problems


@pytest.mark.parametrize("locale", ["en-US"])
def test_every_tab_stop_shows_where_the_focus_is(page: Any, sign_in: Callable[[Any, str], None],
                                                  local_run: LocalRun, id_token: Any,
                                                  text: dict[str, str]) -> None:
    page.goto("/")
    expect(heading(page)).to_have_text(text["signin.title"])
    seen, problems = focus_problems(page)
    assert len(seen) >= 5, seen  # skip link, language, email, password, submit
    assert not problems, "sign-in page:\n" + "\n".join(problems)

    upload_parts(local_run, id_token("root"))
    sign_in(page, "root")
    expect(page.locator("[data-testid=parts-table] tbody tr")).to_have_count(len(PARTS))
    seen, problems = focus_problems(page)
    assert len(seen) >= 10, seen
    assert not problems, "labels page:\n" + "\n".join(problems)

    page.get_by_test_id("nav-vision").click()
    expect(page.get_by_test_id("vision-limit")).not_to_have_value("")
    seen, problems = focus_problems(page)
    assert any("vision-enabled" in stop for stop in seen), seen
    assert not problems, "vision page:\n" + "\n".join(problems)


@pytest.mark.parametrize("locale", LOCALES)
def test_the_skip_link_is_first_and_goes_to_the_main_content(
        page: Any, sign_in: Callable[[Any, str], None], text: dict[str, str]) -> None:
    for who in (None, "alice"):
        if who:
            sign_in(page, who)
        else:
            page.goto("/")
            expect(heading(page)).to_have_text(text["signin.title"])
        start_from_the_top(page)
        page.keyboard.press("Tab")
        skip = page.locator(".skip-link")
        expect(skip).to_be_focused()
        expect(skip).to_have_text(text["skip"])
        expect(skip).to_be_in_viewport()
        page.keyboard.press("Enter")
        expect(page.locator("main#main")).to_be_focused()
        # The next Tab goes into the main content, past the header.
        page.keyboard.press("Tab")
        assert page.evaluate("document.querySelector('main').contains(document.activeElement)"
                             " && document.activeElement !== document.querySelector('main')"), \
            focused(page)


# -- no text in images -----------------------------------------------------------------------------

def test_the_console_ships_no_images_but_icons() -> None:
    files = [path for path in DIST.rglob("*") if path.is_file()]
    assert files
    others = [path.relative_to(DIST).as_posix() for path in files
              if path.suffix not in APP_FILES and not ICON_NAME.match(path.name)]
    assert not others, f"web/dist ships images or other files that may hold text: {others}"
    # Nor does its CSS draw any (no url(): no background images, no image fonts).
    for path in DIST.rglob("*.css"):
        assert "url(" not in path.read_text(), f"{path.name} refers to an image with url()"



@pytest.mark.parametrize("locale", LOCALES)
def test_every_page_reflows_at_320_css_pixels(browser: Any, local_run: LocalRun,
                                              id_token: Callable[[str], str], locale: str,
                                              text: dict[str, str]) -> None:
    """WCAG 1.4.10 Reflow, and what a phone scanning labels needs: at 320 px wide no page
    scrolls sideways (a wide table scrolls inside its own box)."""
    upload_parts(local_run, id_token("alice"))
    context = browser.new_context(locale=locale, base_url=local_run.base,
                                  viewport={"width": 320, "height": 640})
    context.set_default_timeout(15_000)
    page = context.new_page()

    def wider_than_the_screen(where: str) -> None:
        page.wait_for_load_state("networkidle")
        assert_fits_a_phone(page, where)

    try:
        page.goto("/")
        expect(heading(page)).to_have_text(text["signin.title"])
        wider_than_the_screen("sign-in page")
        root = accounts()["root"]
        page.get_by_test_id("signin-email").fill(root.email)
        page.get_by_test_id("signin-password").fill(root.password)
        page.get_by_test_id("signin-submit").click()
        expect(page.get_by_test_id("parts-table")).to_be_visible()
        wider_than_the_screen("labels page")
        page.goto("/#/counting")
        page.get_by_test_id("session-name").fill("Telefon sayımı")
        page.get_by_test_id("session-start").click()
        expect(page.get_by_test_id("scan-input")).to_be_focused()
        page.keyboard.type("P-1-not-a-label")
        page.keyboard.press("Enter")
        expect(page.get_by_test_id("scan-results").locator("li")).to_have_count(1)
        wider_than_the_screen("an open count")
        for route, testid in (("vision", "vision-gauge"), ("people", "people-table"),
                              ("review", "review-empty")):
            page.goto(f"/#/{route}")
            expect(page.get_by_test_id(testid)).to_be_visible()
            wider_than_the_screen(f"{route} page")
    finally:
        page.screenshot(path=str(REPO / "test-output" / "screenshots" / "pages" /
                                 f"{locale[:2]}-phone-count.png"), full_page=True)
        context.close()
