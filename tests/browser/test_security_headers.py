"""The console's security headers, in Chromium against the local run: the page at /, and app.js,
carry firebase.json's Content-Security-Policy (frame-ancestors 'none'), Referrer-Policy and
Permissions-Policy; no page of the console, in English or in Turkish, breaks its policy while
it does its work (signing in and failing to, listing parts and showing a label's image,
downloading labels, counting with the keyboard and the camera, the Vision and People pages,
the review queue's previews and its reveal dialog, the no-role page); and another page
cannot frame the console.

A violation is seen twice over: by a `securitypolicyviolation` listener the page gets before
its own scripts run (window.__cspViolations), and by Chromium's console messages ("Refused
to ...", "... violates the following Content Security Policy directive ..."). A page error
(an h() call refused by web/src/dom.js, for one) fails the test too. A first test makes a
page break the policy on purpose, so a watcher that sees nothing cannot pass unnoticed."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from devtools.console_site import FIREBASE_JSON, headers_for, hosting_headers
from tests.browser.harness import LocalRun, accounts

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture fails first, saying to run scripts/setup
    expect = None  # type: ignore[assignment]

pytestmark = pytest.mark.usefixtures("console_built", "fresh_firestore")

LOCALES = ["en-US", "tr-TR"]
PARTS = [{"part_code": "SEC-1", "part_name": "Kilit", "quantity": 2}]
# A 1x1 PNG for the review queue (the name, with "unsafe" in it, gets it quarantined).
REVIEW_PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010802000000907753de0000000c4944415478"
    "9c63f8cfc000000301010018dd8db00000000049454e44ae426082")  # pragma: allowlist secret

# Added to every document before its own scripts: records each violation the page reports.
WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push({
    directive: e.effectiveDirective || e.violatedDirective, blocked: e.blockedURI,
    source: e.sourceFile, line: e.lineNumber, sample: e.sample, page: location.href });
}, true);
"""
# Chromium's words for a policy it enforced, in the console (and for a header it could not
# read: a Permissions-Policy feature it does not know, a malformed directive).
POLICY_MESSAGE = re.compile(r"Content Security Policy|Refused to|Permissions-Policy|"
                            r"Permissions Policy|Unrecognized feature", re.IGNORECASE)
# Chromium has no BarcodeDetector on Linux: this one reads the id in window.__labelInView
# from the (fake) camera's frames, as tests/browser/test_console_pages.py does.
BARCODE_DETECTOR = """
window.BarcodeDetector = class {
  static async getSupportedFormats() { return ["qr_code"]; }
  async detect(source) {
    if (!(source instanceof HTMLVideoElement) || !source.srcObject) return [];
    window.__framesRead = (window.__framesRead || 0) + 1;
    return window.__labelInView ? [{ rawValue: window.__labelInView, format: "qr_code" }] : [];
  }
};
"""


class PolicyWatch:
    """What a page broke: CSP violation events, the console's policy messages, page errors."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.messages: list[str] = []
        self.errors: list[str] = []
        page.add_init_script(WATCH_VIOLATIONS)
        page.on("console", self._on_console)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def _on_console(self, message: Any) -> None:
        if POLICY_MESSAGE.search(message.text):
            self.messages.append(f"{message.type}: {message.text}")

    def violations(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self.page.evaluate("window.__cspViolations || []")
        return found

    def check(self, where: str) -> None:
        """Nothing broken so far on this page (the events of the document now shown, the
        console messages and page errors of every document since the start)."""
        problems = ([f"violation: {v}" for v in self.violations()]
                    + [f"console: {m}" for m in self.messages]
                    + [f"page error: {e}" for e in self.errors])
        assert not problems, f"{where}:\n" + "\n".join(problems)


@pytest.fixture
def watch(page: Any) -> PolicyWatch:
    return PolicyWatch(page)


@pytest.fixture
def text(catalogs: dict[str, dict[str, str]], locale: str) -> dict[str, str]:
    return catalogs[locale.split("-")[0]]


def heading(page: Any) -> Any:
    return page.locator("main h1")


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for directive in filter(None, (d.strip() for d in policy.split(";"))):
        name, *sources = directive.split()
        parsed[name] = sources
    return parsed


# -- the watcher sees a violation -------------------------------------------------------------

def test_the_watcher_sees_a_page_break_its_policy(page: Any, watch: PolicyWatch) -> None:
    """An inline script and a connection to an origin the policy does not name: both refused
    by Chromium, both seen."""
    page.goto("/")
    page.get_by_test_id("signin-email").wait_for()
    page.evaluate("""async () => {
      const script = document.createElement("script");
      script.textContent = "window.__inlineRan = true";
      document.head.append(script);
      try { await fetch("https://example.invalid/"); } catch { /* refused */ }
    }""")
    assert page.evaluate("window.__inlineRan === undefined"), "an inline script ran"
    page.wait_for_function("window.__cspViolations.length >= 2")
    seen = {v["directive"] for v in watch.violations()}
    assert {"script-src-elem", "connect-src"} <= seen, watch.violations()
    page.wait_for_timeout(200)  # the console messages arrive after the events
    assert watch.messages, "Chromium's console said nothing of the violations"
    with pytest.raises(AssertionError, match="violation"):
        watch.check("the page made to break its policy")


# -- the headers --------------------------------------------------------------------------------

def test_the_page_and_the_app_carry_the_security_headers(page: Any, local_run: LocalRun
                                                         ) -> None:
    rules = hosting_headers(FIREBASE_JSON)
    production = directives(headers_for("/", rules)["Content-Security-Policy"])
    answers = {"/": page.goto("/"), "/app.js": page.request.get("/app.js"),
               "/index.html": page.request.get("/index.html")}
    for path, reply in answers.items():
        assert reply is not None and reply.status == 200, path
        headers = reply.headers  # lower-case names
        policy = directives(headers["content-security-policy"])
        assert policy["frame-ancestors"] == ["'none'"], path
        assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"], path
        assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"], path
        assert not any("unsafe" in source for sources in policy.values() for source in sources)
        # firebase.json's policy, but for the Auth emulator and the run's own origin.
        assert {k: v for k, v in policy.items() if k != "connect-src"} == {
            k: v for k, v in production.items() if k != "connect-src"}, path
        assert policy["connect-src"] == production["connect-src"] + [
            f"http://{local_run.auth}", local_run.base], path
        assert headers["referrer-policy"] == "strict-origin-when-cross-origin", path
        assert headers["permissions-policy"].startswith("camera=(self), microphone=()"), path
        assert headers["x-frame-options"] == "DENY", path
        assert headers["x-content-type-options"] == "nosniff", path
    assert answers["/app.js"].headers["cache-control"] == "no-cache"


@pytest.mark.parametrize("parent", ["about:blank", "/__/functions"])
def test_another_page_cannot_frame_the_console(page: Any, watch: PolicyWatch,
                                               local_run: LocalRun, parent: str) -> None:
    """A page of another origin (about:blank) and one of the console's own origin (the
    functions list, which has no policy of its own): frame-ancestors 'none' refuses both."""
    page.goto(parent if parent.startswith("about:") else local_run.base + parent)
    # set_content returns once the page has loaded, its frame included.
    page.set_content(f'<iframe name="console" src="{local_run.base}/#/labels" '
                     'title="console"></iframe>')
    frame = page.frame(name="console")
    assert frame is not None
    for _ in range(50):  # the refused frame ends on Chromium's error page
        if frame.url not in ("", "about:blank"):
            break
        page.wait_for_timeout(100)
    assert frame.url == "chrome-error://chromewebdata/", frame.url
    assert not frame.url.startswith(local_run.base)
    assert frame.child_frames == [] and 'id="app"' not in frame.content()
    if parent.startswith("/"):
        # Chromium says why in the console of a parent of the same origin.
        assert any("frame-ancestors 'none'" in message for message in watch.messages), \
            watch.messages


# -- every page, in both languages ----------------------------------------------------------------

@pytest.fixture
def parts(local_run: LocalRun, id_token: Callable[[str], str]) -> str:
    """SEC-1 uploaded; its first unit's qr id."""
    token = id_token("alice")
    local_run.upload_parts(token, PARTS)
    status, reply = local_run.call("list_parts", {"limit": 10}, token)
    assert status == 200, reply
    return str(next(p["first_qr_id"] for p in reply["result"]["parts"]
                    if p["part_code"] == "SEC-1"))


@pytest.mark.parametrize("locale", LOCALES)
def test_no_page_breaks_the_policy_while_it_works(page: Any, watch: PolicyWatch,
                                                  sign_in: Callable[[Any, str], None],
                                                  local_run: LocalRun, parts: str,
                                                  text: dict[str, str]) -> None:
    # The sign-in page, and a refused sign-in (the Auth emulator answers).
    page.goto("/")
    expect(heading(page)).to_have_text(text["signin.title"])
    page.get_by_test_id("signin-email").fill(accounts()["alice"].email)
    page.get_by_test_id("signin-password").fill("not-the-password")
    page.get_by_test_id("signin-submit").click()
    expect(page.get_by_test_id("error-alert")).to_have_text(text["signin.error.credentials"])
    watch.check("the sign-in page")

    # Labels: the parts, one label's image (a blob: URL), a ZIP of labels downloaded.
    sign_in(page, "alice")
    expect(heading(page)).to_have_text(text["labels.title"])
    expect(page.locator("[data-testid=parts-table] tbody tr")).to_have_count(1)
    page.locator("[data-testid=label-view-part][data-part='SEC-1']").click()
    image = page.get_by_test_id("label-image")
    expect(image).to_be_visible()
    assert (image.get_attribute("src") or "").startswith("blob:")
    page.wait_for_function("() => { const i = document.querySelector("
                           "'[data-testid=label-image]'); return i.complete "
                           "&& i.naturalWidth > 0; }")
    with page.expect_download() as zipped:
        page.locator("[data-testid=zip-download][data-part='SEC-1']").click()
    assert zipped.value.suggested_filename.endswith(".zip")
    expect(page.get_by_test_id("error-alert")).to_be_empty()
    watch.check("the labels page")

    # Counting: a count, a typed scan, then the camera (Chromium's fake one) reading a label.
    page.add_init_script(BARCODE_DETECTOR)
    page.get_by_test_id("nav-counting").click()
    expect(heading(page)).to_have_text(text["count.title"])
    page.get_by_test_id("session-name").fill("CSP")
    page.get_by_test_id("session-start").click()
    page.get_by_test_id("scan-input").fill("NOT-A-LABEL")
    page.get_by_test_id("scan-input").press("Enter")
    expect(page.locator("[data-testid=scan-results] li")).to_have_count(1)
    page.reload()  # the detector stand-in is there from this document on
    camera = page.get_by_test_id("scan-camera")
    expect(camera).to_be_visible()
    camera.click()
    page.wait_for_function("() => (window.__framesRead || 0) > 2")  # the camera is live
    expect(page.locator("video.camera")).to_be_visible()
    page.evaluate("id => { window.__labelInView = id; }", parts)
    expect(page.get_by_test_id("count-found")).to_have_text("1")
    page.evaluate("() => { window.__labelInView = ''; }")
    camera.click()
    expect(page.locator("video.camera")).to_be_hidden()
    expect(page.get_by_test_id("error-alert")).to_be_empty()
    watch.check("the counting page with the camera")

    # The admin's pages.
    page.get_by_test_id("signout").click()
    expect(heading(page)).to_have_text(text["signin.title"])
    sign_in(page, "root")
    page.get_by_test_id("nav-vision").click()
    expect(heading(page)).to_have_text(text["vision.title"])
    expect(page.get_by_test_id("vision-limit")).not_to_have_value("")
    expect(page.get_by_test_id("notifications-list")).to_be_visible()
    watch.check("the Vision page")
    page.get_by_test_id("nav-people").click()
    expect(heading(page)).to_have_text(text["people.title"])
    expect(page.get_by_test_id("people-table")).to_be_visible()
    watch.check("the People page")
    # The review queue: a quarantined image's blurred preview (a blob: URL), then unblurred
    # through the confirmation dialog.
    name = f"users/csp-{uuid.uuid4().hex[:8]}/unsafe.png"
    assert local_run.send_image(name, REVIEW_PNG).location == f"quarantine/{name}"
    page.get_by_test_id("nav-review").click()
    expect(heading(page)).to_have_text(text["review.title"])
    preview = page.get_by_test_id("review-image")
    expect(preview).to_be_visible()
    assert (preview.get_attribute("src") or "").startswith("blob:")
    page.get_by_test_id("review-card").focus()
    page.keyboard.press("v")
    page.get_by_test_id("review-reveal-confirm").click()
    expect(page.get_by_test_id("review-card")).to_have_attribute("data-revealed", "true")
    expect(page.get_by_test_id("error-alert")).to_be_empty()
    watch.check("the Review page")

    # Someone without a role.
    page.get_by_test_id("signout").click()
    expect(heading(page)).to_have_text(text["signin.title"])
    sign_in(page, "member")
    expect(heading(page)).to_have_text(text["norole.title"])
    page.wait_for_load_state("networkidle")
    watch.check("the no-role page")
