"""devtools.console_site and the routing of devtools.function_apps.combined_app, without
servers: the console's files and configuration, firebase.json's hosting headers sent with
them as Hosting sends them (the Content-Security-Policy differing only by the run's emulator
origins in connect-src), and every function at both /<name> and the Functions emulator's
/<project>/<region>/<name>, seeing the same request."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from werkzeug.test import Client

from devtools import function_apps
from devtools.console_site import (
    FIREBASE_JSON,
    RunAddresses,
    _glob,
    console_site,
    headers_for,
    hosting_headers,
    local_policy,
)

ADDRESSES = RunAddresses(project="demo-site", bucket="demo-site.appspot.com",
                         region="us-central1", port=8123, auth_emulator="127.0.0.1:9999")


@pytest.fixture
def dist(tmp_path: Path) -> Path:
    folder = tmp_path / "web" / "dist"
    (folder / "assets").mkdir(parents=True)
    (folder / "index.html").write_text("<!doctype html><title>console</title>")
    (folder / "assets" / "app.js").write_text("console.log(1)")
    (folder / "assets" / "app.css").write_text("body{}")
    (folder / "icon.svg").write_text("<svg/>")
    (folder / "console-config.json").write_text('{"region": "us-central1", "emulators": null}')
    return folder


def firebase_json(tmp_path: Path, rewrites: list[dict[str, str]] | None) -> Path:
    path = tmp_path / "firebase.json"
    hosting = {"public": "web/dist"} | ({"rewrites": rewrites} if rewrites else {})
    path.write_text(json.dumps({"hosting": hosting}))
    return path


def client(dist: Path, config: Path) -> Client:
    return Client(console_site(ADDRESSES, dist=dist, firebase_json=config))


def test_index_and_files_with_their_content_types(dist: Path, tmp_path: Path) -> None:
    site = client(dist, firebase_json(tmp_path, None))
    root = site.get("/")
    assert root.status_code == 200 and root.mimetype == "text/html"
    assert root.get_data(as_text=True) == (dist / "index.html").read_text()
    for path, kind in (("/assets/app.js", "text/javascript"), ("/assets/app.css", "text/css"),
                       ("/icon.svg", "image/svg+xml"), ("/index.html", "text/html")):
        reply = site.get(path)
        assert (reply.status_code, reply.mimetype) == (200, kind), path
    assert site.get("/nope.js").status_code == 404
    assert site.get("/../firebase.json").status_code == 404
    assert site.get("/__/anything").status_code == 404


def test_paths_without_a_file_follow_the_hosting_rewrite(dist: Path, tmp_path: Path) -> None:
    site = client(dist, firebase_json(tmp_path, [{"source": "**",
                                                  "destination": "/index.html"}]))
    reply = site.get("/counts/abc")
    assert reply.status_code == 200
    assert reply.get_data(as_text=True) == (dist / "index.html").read_text()
    assert site.get("/assets/app.js").mimetype == "text/javascript"  # files first


def test_without_dist_the_root_says_how_to_build(tmp_path: Path) -> None:
    (tmp_path / "web").mkdir()
    (tmp_path / "web" / "package.json").write_text("{}")
    site = client(tmp_path / "web" / "dist", firebase_json(tmp_path, None))
    reply = site.get("/")
    assert reply.status_code == 200
    text = reply.get_data(as_text=True)
    assert "scripts/setup" in text and "npm ci &amp;&amp; npm run build" in text
    assert site.get("/assets/app.js").status_code == 404


def test_the_runtime_configuration_of_the_run(dist: Path, tmp_path: Path) -> None:
    site = client(dist, firebase_json(tmp_path, None))
    assert site.get("/__/firebase/init.json").get_json() == {
        "apiKey": "demo-key",  # pragma: allowlist secret
        "authDomain": "demo-site.firebaseapp.com",
        "projectId": "demo-site", "storageBucket": "demo-site.appspot.com"}
    # The run's own addresses, not the static production file in dist.
    assert site.get("/console-config.json").get_json() == {
        "region": "us-central1",
        "emulators": {"auth": "http://127.0.0.1:9999",
                      "functions": {"host": "127.0.0.1", "port": 8123}},
        "functionsBase": "http://127.0.0.1:8123/demo-site/us-central1"}


def test_the_repos_firebase_json_serves_web_dist() -> None:
    config = json.loads((Path(__file__).resolve().parents[2] / "firebase.json").read_text())
    assert config["hosting"]["public"] == "web/dist"


def test_hosting_revalidates_the_apps_files() -> None:
    """app.js and app.css keep their names from one build to the next: browsers must ask
    again (a 304 when unchanged), or a deploy would meet an hour-old cached app."""
    import fnmatch

    config = json.loads((Path(__file__).resolve().parents[2] / "firebase.json").read_text())
    (rule,) = [rule for rule in config["hosting"]["headers"]
               if {"key": "Cache-Control", "value": "no-cache"} in rule["headers"]]
    # Firebase's extglob "**/*.@(a|b)" as the plain globs it stands for.
    stem, _, group = rule["source"].partition("@(")
    patterns = [stem + ext for ext in group.rstrip(")").split("|")]
    for name in ("index.html", "app.js", "app.css", "console-config.json"):
        assert any(fnmatch.fnmatch(f"x/{name}", pattern) for pattern in patterns), name


# -- the hosting headers, locally as in production ---------------------------------------------

def test_the_hosting_glob_reads_firebases_extglob() -> None:
    pattern = _glob("**/*.@(html|js|css|json)")
    for path in ("/index.html", "/app.js", "/a/b/app.css", "/console-config.json"):
        assert pattern.match(path), path
    for path in ("/", "/app.jsx", "/a.json5", "/icon.svg", "/htmljs"):
        assert not pattern.match(path), path
    assert _glob("**").match("/") and _glob("**").match("/a/b.c")
    assert _glob("/a/*.js").match("/a/x.js") and not _glob("/a/*.js").match("/a/b/x.js")


def test_every_answer_carries_the_hosting_headers_of_its_path(dist: Path, tmp_path: Path
                                                              ) -> None:
    config = tmp_path / "firebase.json"
    config.write_text(json.dumps({"hosting": {
        "public": "web/dist", "rewrites": [{"source": "**", "destination": "/index.html"}],
        "headers": [
            {"source": "**", "headers": [{"key": "X-All", "value": "1"},
                                         {"key": "X-Over", "value": "first"}]},
            {"source": "**/*.@(js|css)", "headers": [{"key": "X-Code", "value": "2"},
                                                    {"key": "X-Over", "value": "later"}]}]}}))
    site = client(dist, config)
    for path in ("/", "/index.html", "/counts/abc", "/icon.svg", "/console-config.json",
                 "/__/firebase/init.json", "/nope.js"):
        reply = site.get(path)
        assert reply.headers["X-All"] == "1", path
        assert "X-Code" not in reply.headers or path == "/nope.js", path
    code = site.get("/assets/app.js")
    assert (code.headers["X-All"], code.headers["X-Code"], code.headers["X-Over"]) == (
        "1", "2", "later")  # a later rule wins, as on Hosting
    assert site.get("/assets/app.css").headers["X-Code"] == "2"


def test_the_local_run_sends_firebase_jsons_headers(dist: Path) -> None:
    """The repo's firebase.json, served locally: every header Hosting sends, the same value,
    on the page, the app, the SPA rewrite and the configuration; the Content-Security-Policy
    differs only by the origins of this run's emulators, added to connect-src."""
    site = client(dist, FIREBASE_JSON)
    rules = hosting_headers(FIREBASE_JSON)
    assert rules, "firebase.json has no hosting headers"
    production_csp = headers_for("/", rules)["Content-Security-Policy"]
    for path in ("/", "/index.html", "/assets/app.js", "/assets/app.css", "/icon.svg",
                 "/counts/abc", "/console-config.json", "/__/firebase/init.json"):
        expected = headers_for(path, rules)
        reply = site.get(path)
        assert {"Content-Security-Policy", "Referrer-Policy", "Permissions-Policy",
                "X-Content-Type-Options"} <= set(expected), path
        for key, value in expected.items():
            if key == "Content-Security-Policy":
                assert directives(reply.headers[key]) == directives(local_policy(value,
                                                                                 ADDRESSES))
            else:
                assert reply.headers[key] == value, (path, key)
    local = directives(site.get("/").headers["Content-Security-Policy"])
    production = directives(production_csp)
    assert {k: v for k, v in local.items() if k != "connect-src"} == {
        k: v for k, v in production.items() if k != "connect-src"}
    assert local["connect-src"][:len(production["connect-src"])] == production["connect-src"]
    assert local["connect-src"][len(production["connect-src"]):] == [
        "http://127.0.0.1:9999", "http://127.0.0.1:8123"]  # the Auth emulator, the functions


def test_without_an_auth_emulator_only_the_runs_own_origin_is_added() -> None:
    policy = "default-src 'self'; connect-src 'self' https://a.example; frame-ancestors 'none'"
    no_auth = RunAddresses(project="p", bucket="b", region="us-central1", port=8123,
                           auth_emulator=None)
    assert local_policy(policy, no_auth) == ("default-src 'self'; connect-src 'self' "
                                             "https://a.example http://127.0.0.1:8123; "
                                             "frame-ancestors 'none'")


def test_the_page_that_says_how_to_build_carries_the_headers_too(tmp_path: Path) -> None:
    (tmp_path / "web").mkdir()
    site = client(tmp_path / "web" / "dist", FIREBASE_JSON)
    reply = site.get("/")
    assert "frame-ancestors 'none'" in reply.headers["Content-Security-Policy"]


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for directive in filter(None, (d.strip() for d in policy.split(";"))):
        name, *sources = directive.split()
        parsed[name] = sources
    return parsed


# -- combined_app's routing -----------------------------------------------------------------

def recorder(name: str, seen: list[dict[str, object]]):
    def app(environ, start_response):
        length = int(environ.get("CONTENT_LENGTH") or 0)
        seen.append({"name": name, "path": environ["PATH_INFO"],
                     "query": environ.get("QUERY_STRING"), "method": environ["REQUEST_METHOD"],
                     "body": environ["wsgi.input"].read(length),
                     "auth": environ.get("HTTP_AUTHORIZATION"),
                     "type": environ.get("CONTENT_TYPE")})
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [name.encode()]
    return app


@pytest.fixture
def routed(monkeypatch: pytest.MonkeyPatch, dist: Path, tmp_path: Path):
    seen: list[dict[str, object]] = []
    monkeypatch.setattr(function_apps, "function_signatures",
                        lambda: {"upload_parts": "http", "listParts": "http"})
    monkeypatch.setattr(function_apps, "function_app", lambda name: recorder(name, seen))
    app = function_apps.combined_app(project="demo-site", region="us-central1",
                                     site=console_site(ADDRESSES, dist=dist,
                                                       firebase_json=firebase_json(tmp_path,
                                                                                   None)))
    return Client(app), seen


@pytest.mark.parametrize("rest", ["", "/", "/a/b"])
def test_a_function_sees_the_same_request_at_both_paths(routed, rest: str) -> None:
    site, seen = routed
    for base in ("", "/demo-site/us-central1"):
        reply = site.post(f"{base}/upload_parts{rest}?x=1&y=%C3%A7", data=b'{"data": 1}',
                          headers={"Authorization": "Bearer t",
                                   "Content-Type": "application/json"})
        assert reply.get_data() == b"upload_parts"
    assert len(seen) == 2 and seen[0] == seen[1]
    assert seen[0] == {"name": "upload_parts", "path": rest if rest.startswith("/a") else "/",
                       "query": "x=1&y=%C3%A7", "method": "POST", "body": b'{"data": 1}',
                       "auth": "Bearer t", "type": "application/json"}


def test_the_console_the_list_and_unknown_functions(routed, dist: Path) -> None:
    site, seen = routed
    assert site.get("/").get_data(as_text=True) == (dist / "index.html").read_text()
    assert site.get("/__/functions").get_json()["functions"] == ["listParts", "upload_parts"]
    assert site.post("/demo-site/us-central1/nope").status_code == 404
    assert site.post("/demo-site/europe-west1/upload_parts").status_code in (404, 405)
    assert seen == []
