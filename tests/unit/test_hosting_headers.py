"""firebase.json's hosting headers: what the console's pages may load and who may frame them.

Every file Hosting serves (the page at /, the SPA rewrite, app.js, the configuration) carries
a Content-Security-Policy with scripts and styles from the console's own origin only (nothing
inline, no eval), connections only to the console's own origin, the functions and Firebase
Auth, label images from blob: URLs, no plugins, no <base>, forms to itself, and no framing;
a Referrer-Policy, a Permissions-Policy with the camera for the console itself and nothing
else it does not use, nosniff; app files revalidated. The local run sends the same
(tests/unit/test_console_site.py)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from devtools.console_site import FIREBASE_JSON, _glob, headers_for, hosting_headers

REPO = Path(__file__).resolve().parents[2]
WEB_SRC = REPO / "web" / "src"
# Paths Hosting serves: the page, its files, the configuration, the SPA rewrite, a missing file.
SERVED = ("/", "/index.html", "/app.js", "/app.css", "/console-config.json",
          "/__/firebase/init.json", "/labels", "/favicon.ico", "/a/b/c.txt")


def directives(policy: str) -> dict[str, list[str]]:
    parsed: dict[str, list[str]] = {}
    for directive in filter(None, (d.strip() for d in policy.split(";"))):
        name, *sources = directive.split()
        assert name not in parsed, f"{name} twice in the policy"
        parsed[name] = sources
    return parsed


@pytest.fixture(scope="module")
def rules() -> list:
    found = hosting_headers(FIREBASE_JSON)
    assert found, "firebase.json has no hosting headers"
    return found


@pytest.mark.parametrize("path", SERVED)
def test_every_served_path_carries_the_security_headers(rules: list, path: str) -> None:
    headers = headers_for(path, rules)
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["Permissions-Policy"].startswith("camera=(self)")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["Cross-Origin-Opener-Policy"] == "same-origin"


def test_the_content_security_policy(rules: list) -> None:
    policy = directives(headers_for("/", rules)["Content-Security-Policy"])
    assert policy == {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "blob:"],  # a label's QR image is a blob: URL
        "connect-src": ["'self'", "https://*.cloudfunctions.net",
                        "https://identitytoolkit.googleapis.com",
                        "https://securetoken.googleapis.com"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    every_source = [source for sources in policy.values() for source in sources]
    for loose in ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*", "data:",
                  "http:", "https:", "'wasm-unsafe-eval'"):
        assert loose not in every_source, loose
    # Production allows no plain-http origin: the emulators are the local run's business.
    assert not [s for s in every_source if s.startswith("http://")]


def test_the_permissions_policy_allows_the_camera_to_the_console_only(rules: list) -> None:
    features = dict(item.strip().split("=", 1)
                    for item in headers_for("/", rules)["Permissions-Policy"].split(","))
    assert features.pop("camera") == "(self)"
    assert {"microphone", "geolocation", "payment", "usb"} <= set(features)
    assert set(features.values()) == {"()"}


def test_the_apps_files_are_revalidated_and_the_rest_keeps_its_caching(rules: list) -> None:
    for path in ("/index.html", "/app.js", "/app.css", "/console-config.json"):
        assert headers_for(path, rules)["Cache-Control"] == "no-cache", path
    assert "Cache-Control" not in headers_for("/favicon.ico", rules)


def test_one_rule_for_every_path_holds_the_security_headers() -> None:
    """The security headers sit in a rule for "**" (not only *.html|js|css|json), so Hosting
    sends them with / and the SPA rewrite to index.html too."""
    config = json.loads(FIREBASE_JSON.read_text())
    rules = config["hosting"]["headers"]
    everything, worker = [rule for rule in rules
                          if any(h["key"] == "Content-Security-Policy" for h in rule["headers"])]
    assert everything["source"] == "**"
    assert _glob(everything["source"]).match("/")
    # The camera's worker alone gets a policy of its own, after (so over) the one for all.
    assert worker["source"] == "/scan-worker.js" and rules[-1] is worker
    assert [h["key"] for h in worker["headers"]] == ["Content-Security-Policy"]
    keys = [h["key"] for rule in rules if rule is not worker for h in rule["headers"]]
    assert len(keys) == len(set(keys)), "a header set by two rules"


def test_only_the_camera_worker_may_compile_webassembly(rules: list) -> None:
    """ZXing's .wasm runs in scan-worker.js: that script alone may compile WebAssembly (no
    eval, no network beyond the console's own origin); the page's policy stays as it was."""
    page = directives(headers_for("/", rules)["Content-Security-Policy"])
    worker = directives(headers_for("/scan-worker.js", rules)["Content-Security-Policy"])
    assert worker == {"default-src": ["'self'"], "script-src": ["'self'", "'wasm-unsafe-eval'"],
                      "object-src": ["'none'"], "base-uri": ["'none'"],
                      "frame-ancestors": ["'none'"]}
    assert "'wasm-unsafe-eval'" not in page["script-src"]
    for path in ("/zxing_reader.wasm", "/app.js", "/"):
        assert "wasm-unsafe-eval" not in headers_for(path, rules)["Content-Security-Policy"]


def test_the_console_loads_nothing_the_policy_would_refuse() -> None:
    """What the policy assumes of web/src: no inline script or style in the page, no eval,
    no HTML parsed from strings, the only image a blob: URL, no Firestore SDK (its host is not
    in connect-src), and one worker only: the camera's, from the console's own origin."""
    page = (REPO / "web" / "public" / "index.html").read_text()
    assert "<style" not in page and not re.search(r"\s(style|on[a-z]+)\s*=", page)
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", page, re.DOTALL)
    assert scripts and all(' src="' in attrs and not body.strip() for attrs, body in scripts)
    risky = re.compile(r"\.(innerHTML|outerHTML|insertAdjacentHTML|srcdoc)\b|document\.write"
                       r"|\beval\(|new Function\b|setAttribute\(\s*[\"']style|new Worker\b"
                       r"|firebase/(firestore|storage|database)")
    for path in WEB_SRC.rglob("*.js"):
        text = path.read_text()
        if path.name == "qr-reader.js":
            assert text.count("new Worker(") == 1
            assert "new Worker(new URL(url, document.baseURI))" in text
            text = text.replace("new Worker(", "")
        found = risky.search(text)
        assert found is None, f"{path.relative_to(REPO)} uses {found.group(0) if found else ''}"
