"""What the local run serves for the console, seen from Chromium on the console's origin: the
page at /, the runtime configuration (init.json, console-config.json) and the functions at
the Functions emulator's path, called with real ID tokens from the Auth emulator."""

from __future__ import annotations

from typing import Any

import pytest

from tests.browser.harness import DIST, LocalRun, web_built


def fetch_json(page: Any, path: str, *, method: str = "GET", body: Any = None,
               token: str | None = None) -> dict[str, Any]:
    """fetch() in the page: {status, body} of a same-origin request."""
    return page.evaluate(
        """async ([path, method, body, token]) => {
             const headers = {};
             if (body !== null) headers["Content-Type"] = "application/json";
             if (token) headers["Authorization"] = "Bearer " + token;
             const reply = await fetch(path, {method, headers,
               body: body === null ? undefined : JSON.stringify(body)});
             return {status: reply.status, type: reply.headers.get("content-type"),
                     body: await reply.json()};
           }""", [path, method, body, token])


def test_the_console_loads_at_the_root(page: Any, local_run: LocalRun) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    reply = page.goto("/")
    assert reply is not None and reply.status == 200
    assert reply.headers["content-type"].startswith("text/html")
    if web_built():
        assert reply.body() == (DIST / "index.html").read_bytes()
        page.wait_for_load_state("networkidle")
        assert errors == [], errors
    else:
        # Not built: the page says how to build it (scripts/setup builds web/ when it exists).
        assert "The console is not built" in page.content()
        assert "scripts/setup" in page.content()


def test_every_file_of_dist_is_served_with_its_type(page: Any, local_run: LocalRun) -> None:
    if not web_built():
        pytest.fail("web/dist is not built: run scripts/setup", pytrace=False)
    types = {".js": "text/javascript", ".css": "text/css", ".html": "text/html",
             ".json": "application/json", ".svg": "image/svg+xml", ".png": "image/png"}
    files = [path for path in DIST.rglob("*") if path.is_file() and path.suffix in types
             and path.name != "console-config.json"]
    assert files
    for path in files:
        url = "/" + path.relative_to(DIST).as_posix()
        reply = page.request.get(url)
        assert reply.status == 200, url
        assert reply.headers["content-type"].startswith(types[path.suffix]), url
        assert reply.body() == path.read_bytes(), url


def test_the_functions_list_moved_to_dunder_functions(page: Any, local_run: LocalRun) -> None:
    page.goto("/__/functions")
    reply = fetch_json(page, "/__/functions")
    assert reply["status"] == 200
    assert {"upload_parts", "getVisionApiQuotaStatus"} <= set(reply["body"]["functions"])


def test_init_json_is_the_demo_projects_web_config(page: Any, local_run: LocalRun) -> None:
    page.goto("/__/functions")  # any page of the origin
    reply = fetch_json(page, "/__/firebase/init.json")
    assert reply["status"] == 200 and reply["type"].startswith("application/json")
    assert reply["body"] == {"apiKey": "demo-key",  # pragma: allowlist secret
                             "authDomain": f"{local_run.project}.firebaseapp.com",
                             "projectId": local_run.project,
                             "storageBucket": local_run.bucket}


def test_console_config_names_this_runs_emulators(page: Any, local_run: LocalRun) -> None:
    page.goto("/__/functions")
    reply = fetch_json(page, "/console-config.json")
    assert reply["status"] == 200
    assert reply["body"] == {
        "region": "us-central1",
        "emulators": {"auth": f"http://{local_run.auth}",
                      "functions": {"host": "127.0.0.1", "port": local_run.port}},
        "functionsBase": f"http://127.0.0.1:{local_run.port}/{local_run.project}/us-central1"}


def test_a_callable_at_the_emulator_path_answers_with_a_real_id_token(
        page: Any, local_run: LocalRun, id_token, fresh_firestore) -> None:
    # What httpsCallable posts after connectFunctionsEmulator: {"data": ...} to
    # /<project>/<region>/<name>, with the Auth emulator's ID token.
    page.goto("/__/functions")
    path = f"/{local_run.project}/{local_run.region}/getVisionApiQuotaStatus"
    admin = fetch_json(page, path, method="POST", body={"data": {}}, token=id_token("root"))
    assert admin["status"] == 200, admin
    assert {"limit", "used", "remaining", "enabled"} <= set(admin["body"]["result"])
    staff = fetch_json(page, path, method="POST", body={"data": {}}, token=id_token("alice"))
    assert staff["status"] == 403
    assert staff["body"]["error"]["status"] == "PERMISSION_DENIED"
    signed_out = fetch_json(page, path, method="POST", body={"data": {}})
    assert signed_out["body"]["error"]["status"] == "UNAUTHENTICATED"


def test_an_http_function_at_the_emulator_path_sees_path_and_query(
        page: Any, local_run: LocalRun, id_token, fresh_firestore) -> None:
    page.goto("/__/functions")
    token = id_token("alice")
    # The same refusal at both paths: the function got the same query.
    answers = [fetch_json(page, f"{base}/count_session_report?session_id=nope&format=json",
                          token=token)
               for base in ("", f"/{local_run.project}/{local_run.region}")]
    assert answers[0] == answers[1]
    assert answers[0]["status"] == 404
    unknown = page.request.post(f"/{local_run.project}/{local_run.region}/no_such_function")
    assert unknown.status == 404

