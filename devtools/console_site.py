"""The web console as the local run serves it: what Firebase Hosting serves in production.

- `/` is web/dist/index.html, any other path a file of web/dist (read at each request, so a
  rebuild shows at the next reload); without web/dist, `/` says how to build it.
- Paths that match no file follow firebase.json's hosting rewrites (as Hosting does).
- Every answer carries firebase.json's hosting headers whose source matches its path (the
  Content-Security-Policy, frame-ancestors, Referrer-Policy, Permissions-Policy, Cache-Control
  ...), read from firebase.json as the rewrites are, so production and the local run send the
  same headers. One difference, and only one: the policy's connect-src also names the
  origins this run's /console-config.json points the console at (the Auth emulator, the
  functions), which production's policy has no reason to allow (`local_policy`).
- `/__/firebase/init.json`: the Firebase web config of this run's (demo) project.
- `/console-config.json`: where this run's emulators are (region, the Auth
  emulator, the functions at /<project>/<region>/<name>), overriding the static file that
  production serves (`{"region": ..., "emulators": null}`).
"""

from __future__ import annotations

import html
import json
import mimetypes
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import flask
from werkzeug.security import safe_join

REPO = Path(__file__).resolve().parent.parent
WEB_DIR = REPO / "web"
WEB_DIST = WEB_DIR / "dist"
FIREBASE_JSON = REPO / "firebase.json"

# The content types of what a bundler writes, whatever /etc/mime.types holds.
for _type, _ext in (("text/javascript", ".js"), ("text/javascript", ".mjs"),
                    ("text/css", ".css"), ("application/json", ".json"),
                    ("application/json", ".map"), ("image/svg+xml", ".svg"),
                    ("font/woff2", ".woff2"), ("font/woff", ".woff"),
                    ("application/manifest+json", ".webmanifest"),
                    ("application/wasm", ".wasm"), ("image/x-icon", ".ico")):
    mimetypes.add_type(_type, _ext)


@dataclass(frozen=True)
class RunAddresses:
    """What the browser needs to reach this run."""

    project: str
    bucket: str
    region: str
    port: int  # the local run's (functions and console)
    auth_emulator: str | None  # "127.0.0.1:PORT" (FIREBASE_AUTH_EMULATOR_HOST)
    host: str = "127.0.0.1"

    def init_json(self) -> dict[str, Any]:
        # The emulators take any API key; "demo-key" is the placeholder, not a secret.
        return {"apiKey": "demo-key",  # pragma: allowlist secret
                "authDomain": f"{self.project}.firebaseapp.com",
                "projectId": self.project, "storageBucket": self.bucket}

    def console_config(self) -> dict[str, Any]:
        base = f"http://{self.host}:{self.port}"
        return {"region": self.region,
                "emulators": {
                    "auth": f"http://{self.auth_emulator}" if self.auth_emulator else None,
                    "functions": {"host": self.host, "port": self.port}},
                "functionsBase": f"{base}/{self.project}/{self.region}"}


def _hosting(firebase_json: Path) -> dict[str, Any]:
    try:
        config = json.loads(firebase_json.read_text())
    except (OSError, ValueError):
        return {}
    hosting = config.get("hosting") or {}
    if isinstance(hosting, list):
        hosting = hosting[0] if hosting else {}
    return hosting if isinstance(hosting, dict) else {}


def hosting_rewrites(firebase_json: Path = FIREBASE_JSON) -> list[tuple[re.Pattern[str], str]]:
    """firebase.json's hosting rewrites to a file, as (path pattern, destination)."""
    found = []
    for rule in _hosting(firebase_json).get("rewrites") or []:
        if "source" in rule and "destination" in rule:
            found.append((_glob(rule["source"]), rule["destination"]))
    return found


def hosting_headers(firebase_json: Path = FIREBASE_JSON
                    ) -> list[tuple[re.Pattern[str], dict[str, str]]]:
    """firebase.json's hosting headers, as (path pattern, {header: value}), in file order."""
    found = []
    for rule in _hosting(firebase_json).get("headers") or []:
        if "source" in rule:
            found.append((_glob(rule["source"]),
                          {h["key"]: h["value"] for h in rule.get("headers") or []}))
    return found


def headers_for(path: str, rules: list[tuple[re.Pattern[str], dict[str, str]]]
                ) -> dict[str, str]:
    """The headers Hosting sends for a request path: every matching rule's, a later rule's
    value for a header winning."""
    found: dict[str, str] = {}
    for pattern, headers in rules:
        if pattern.match(path):
            found.update(headers)
    return found


def _glob(pattern: str) -> re.Pattern[str]:
    """Hosting's glob: ** any path, * one segment's characters, @(a|b) one of the
    alternatives (the extglob firebase.json's headers use)."""
    parts = re.split(r"(\*\*|\*|@\([^()]*\))", pattern)
    regex = "".join(".*" if p == "**" else "[^/]*" if p == "*"
                    else "(?:" + "|".join(map(re.escape, p[2:-1].split("|"))) + ")"
                    if p.startswith("@(") else re.escape(p)
                    for p in parts)
    return re.compile(f"^{regex}$")


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def local_policy(policy: str, addresses: RunAddresses) -> str:
    """Production's Content-Security-Policy as the local run sends it: the same directives,
    with connect-src also allowing the origins this run's /console-config.json sends the
    console to (the Auth emulator's, and the functions' at the run's own address, which is
    'self' unless the page was opened under another host name). Nothing else differs."""
    config = addresses.console_config()
    extra = [_origin(url) for url in (config["emulators"]["auth"], config["functionsBase"])
             if url]
    directives = [d.strip() for d in policy.split(";") if d.strip()]
    for i, directive in enumerate(directives):
        name, *sources = directive.split()
        if name == "connect-src":
            directives[i] = " ".join([name, *sources,
                                      *(o for o in dict.fromkeys(extra) if o not in sources)])
            break
    return "; ".join(directives)


def _not_built(dist: Path) -> flask.Response:
    has_app = (dist.parent / "package.json").exists()
    how = ("<p>Build it with <code>scripts/setup</code> (it runs <code>npm ci &amp;&amp; "
           "npm run build</code> in <code>web/</code>), or by hand: <code>(cd web &amp;&amp; "
           "npm ci &amp;&amp; npm run build)</code>; then reload this page.</p>"
           if has_app else
           "<p>This checkout has no web app (<code>web/package.json</code>).</p>")
    body = (f"<!doctype html><meta charset=utf-8><title>Console not built</title>"
            f"<h1>The console is not built</h1><p>No <code>{html.escape(str(dist))}"
            f"/index.html</code>.</p>{how}<p>The functions are listed at "
            f"<a href=\"/__/functions\">/__/functions</a>.</p>")
    return flask.Response(body, status=200, content_type="text/html; charset=utf-8")


def console_site(addresses: RunAddresses, *, dist: Path = WEB_DIST,
                 firebase_json: Path = FIREBASE_JSON) -> flask.Flask:
    app = flask.Flask("console-site")
    rewrites = hosting_rewrites(firebase_json)
    header_rules = hosting_headers(firebase_json)

    @app.after_request
    def hosting_headers_too(response: flask.Response) -> flask.Response:
        for key, value in headers_for(flask.request.path, header_rules).items():
            if key.lower() == "content-security-policy":
                value = local_policy(value, addresses)
            response.headers[key] = value
        return response

    @app.get("/__/firebase/init.json")
    def init_json() -> flask.Response:
        return flask.jsonify(addresses.init_json())

    @app.get("/console-config.json")
    def console_config() -> flask.Response:
        return flask.jsonify(addresses.console_config())

    @app.get("/", defaults={"path": ""})
    @app.get("/<path:path>")
    def static_file(path: str) -> flask.Response:
        if path.startswith("__/"):
            flask.abort(404)  # reserved, as on Hosting
        if not (dist / "index.html").is_file():
            if path in ("", "index.html"):
                return _not_built(dist)
            flask.abort(404)
        found = _file_for(dist, path)
        if found is None:
            url = "/" + path
            destination = next((d for pattern, d in rewrites if pattern.match(url)), None)
            if destination is not None:
                found = _file_for(dist, destination.lstrip("/"))
        if found is None:
            flask.abort(404)
        return flask.send_from_directory(dist, found)

    return app


def _file_for(dist: Path, path: str) -> str | None:
    """The file under dist that path names (a folder stands for its index.html)."""
    joined = safe_join(str(dist), path) if path else str(dist)
    if joined is None:
        return None
    target = Path(joined)
    if target.is_dir():
        target = target / "index.html"
    if not target.is_file():
        return None
    return str(target.relative_to(dist))
