"""Browser tests: the web console in Chromium (Playwright for Python) against one local run.

- `local_run` (session): devtools.local_run as a subprocess on free ports, its own Firestore
  and Auth emulators (tests/browser/harness.py); stopped at the end, even on failure.
- `browser` (session): Debian's Chromium, which scripts/setup installs (never `playwright
  install`). Without it every browser test FAILS naming scripts/setup: a skip would hide a
  missing install step in CI.
- `page`: a fresh browser context per test with the `locale` fixture's language (navigator
  .languages and Accept-Language; `@pytest.mark.parametrize("locale", ["tr-TR"])` changes
  it) and the local run as base URL. A screenshot of the page is saved at the end of every
  test, pass or fail: test-output/screenshots/<test name>.png.
- `sign_in(page, "alice" | "root" | "member")`: signs in through the console's form.
- `fresh_firestore`: the local run's database emptied before the test.
- `catalogs`: the app's own texts, {"tr": {key: text}, "en": {...}} from web/src/i18n/*.js,
  so tests check the language shown, not a copy of the wording.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser.harness import (
    REPO,
    SETUP_HINT,
    LocalRun,
    NotReady,
    accounts,
    chromium_launch_options,
    screenshot_path,
    start_local_run,
    web_built,
)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: the web console in Chromium against a local run (tests/browser); "
                   "fails, never skips, without Chromium")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.path)).parents:
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def local_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalRun]:
    from devtools.auth_emulator import cli_installed

    if not cli_installed():
        pytest.fail(f"the pinned Firebase CLI (the Auth emulator) is missing: {SETUP_HINT}",
                    pytrace=False)
    try:
        run = start_local_run(tmp_path_factory.mktemp("local-run"))
    except NotReady as err:
        pytest.fail(str(err), pytrace=False)
    try:
        yield run
    finally:
        run.stop()


@pytest.fixture
def fresh_firestore(local_run: LocalRun) -> LocalRun:
    local_run.wipe_firestore()
    return local_run


@pytest.fixture
def id_token(local_run: LocalRun) -> Callable[[str], str]:
    """id_token("alice"): a real ID token from the run's Auth emulator."""
    return local_run.sign_in_token


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(f"Playwright for Python is not installed: {SETUP_HINT}", pytrace=False)
    options = chromium_launch_options()
    if options is None:
        pytest.fail(f"Chromium is not installed (no /usr/lib/chromium/chromium-headless-shell "
                    f"nor /usr/bin/chromium): {SETUP_HINT}", pytrace=False)
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(headless=True, **options)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def locale() -> str:
    """The browser's language; parametrize `locale` to change it."""
    return "en-US"


@pytest.fixture
def page(browser: Any, local_run: LocalRun, locale: str, request: pytest.FixtureRequest
         ) -> Iterator[Any]:
    context = browser.new_context(locale=locale, base_url=local_run.base,
                                  viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    # expect() waits 5 s by default; a busy 2-core CI machine running the emulators, the
    # functions and Chromium side by side needs more for the live counts to catch up.
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)
    page = context.new_page()
    try:
        yield page
    finally:
        path = screenshot_path(request.node.name)
        path.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(Exception):  # a crashed page must not hide the test's error
            page.screenshot(path=str(path), full_page=True)
        context.close()


@pytest.fixture
def console_built() -> None:
    """For the tests of the app itself: web/dist must be there."""
    if not web_built():
        pytest.fail(f"web/dist is not built: {SETUP_HINT}", pytrace=False)


@pytest.fixture
def sign_in(local_run: LocalRun) -> Callable[[Any, str], None]:
    """sign_in(page, "alice" | "root" | "member"): open the console and sign in through its
    form; returns once the signed-in console shows."""

    def _sign_in(page: Any, who: str) -> None:
        account = accounts()[who]
        page.goto("/")
        page.get_by_test_id("signin-email").fill(account.email)
        page.get_by_test_id("signin-password").fill(account.password)
        page.get_by_test_id("signin-submit").click()
        page.get_by_test_id("whoami").wait_for()

    return _sign_in


@pytest.fixture(scope="session")
def catalogs() -> dict[str, dict[str, str]]:
    """{"tr": {key: text}, "en": {...}} read from the app's catalogs with node."""
    script = ("const [tr, en] = await Promise.all(['tr', 'en'].map((l) => "
              "import(`./web/src/i18n/${l}.js`)));"
              "console.log(JSON.stringify({tr: tr.default, en: en.default}));")
    out = subprocess.run(["node", "--input-type=module", "-e", script], cwd=REPO,
                         capture_output=True, text=True, check=True, timeout=30).stdout
    loaded: dict[str, dict[str, str]] = json.loads(out)
    return loaded
