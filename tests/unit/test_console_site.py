"""devtools.console_site and the routing of devtools.function_apps.combined_app, without
servers: the console's files and configuration, and every function at both /<name> and the
Functions emulator's /<project>/<region>/<name>, seeing the same request."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from werkzeug.test import Client

from devtools import function_apps
from devtools.console_site import RunAddresses, console_site

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
    (rule,) = config["hosting"]["headers"]
    assert {"key": "Cache-Control", "value": "no-cache"} in rule["headers"]
    # Firebase's extglob "**/*.@(a|b)" as the plain globs it stands for.
    stem, _, group = rule["source"].partition("@(")
    patterns = [stem + ext for ext in group.rstrip(")").split("|")]
    for name in ("index.html", "app.js", "app.css", "console-config.json"):
        assert any(fnmatch.fnmatch(f"x/{name}", pattern) for pattern in patterns), name


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
