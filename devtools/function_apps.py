"""Serve the functions of functions/main.py through functions-framework, the way Cloud
Functions does: one Flask app per function, each mounted at /<function name> (and at the
Functions emulator's /<project>/<region>/<function name>).

Shared by the local run and the end-to-end tests, so both exercise the real request
handling of functions-framework and firebase-functions.
"""

from __future__ import annotations

import functools
import importlib
import os
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path

import flask

REPO = Path(__file__).resolve().parent.parent
FUNCTIONS_DIR = REPO / "functions"
MAIN = FUNCTIONS_DIR / "main.py"


def _ensure_path() -> None:
    if str(FUNCTIONS_DIR) not in sys.path:
        sys.path.insert(0, str(FUNCTIONS_DIR))


def function_signatures() -> dict[str, str]:
    """{function name: functions-framework signature type} for every deployed function."""
    _ensure_path()
    main = importlib.import_module("main")
    found: dict[str, str] = {}
    for name, value in vars(main).items():
        endpoint = getattr(value, "__firebase_endpoint__", None)
        if endpoint is None or not callable(value):
            continue
        found[name] = "cloudevent" if endpoint.eventTrigger else "http"
    return found


_BUILD_LOCK = threading.Lock()


def function_app(target: str) -> flask.Flask:
    """The functions-framework app of one function (cached: it re-imports main.py, which
    must not happen in two threads at once)."""
    with _BUILD_LOCK:
        return _function_app(target)


@functools.cache
def _function_app(target: str) -> flask.Flask:
    import functions_framework

    signature = function_signatures()[target]
    return functions_framework.create_app(target=target, source=str(MAIN),
                                          signature_type=signature)


DEFAULT_REGION = "us-central1"


def emulator_prefix(project: str | None = None, region: str | None = None) -> str:
    """"/<project>/<region>": where the Firebase JS SDK posts callables after
    connectFunctionsEmulator (http://host:port/<project>/<region>/<name>)."""
    project = project or os.environ.get("GOOGLE_CLOUD_PROJECT") or "demo-inventory"
    region = region or os.environ.get("FUNCTION_REGION") or DEFAULT_REGION
    return f"/{project}/{region}"


WsgiApp = Callable[[dict, Callable], Iterable[bytes]]


def combined_app(*, project: str | None = None, region: str | None = None,
                 site: WsgiApp | None = None) -> WsgiApp:
    """Every function at /<name>, like https://<region>-<project>.cloudfunctions.net/<name>,
    and again at /<project>/<region>/<name> (the Functions emulator's path, which the JS SDK
    uses): either way the function sees the rest of the path ("/" at least, as in Cloud
    Functions), the query, the body and the headers unchanged. /__/functions lists them;
    any other path goes to `site` (the console, devtools.console_site), else 404.
    project and region default to $GOOGLE_CLOUD_PROJECT and $FUNCTION_REGION or us-central1."""
    root = flask.Flask("local-functions")
    names = sorted(function_signatures())
    apps = {name: function_app(name) for name in names}
    prefix = emulator_prefix(project, region)

    @root.get("/__/functions")
    def index() -> flask.Response:
        return flask.jsonify({"functions": names, "emulator_prefix": prefix})

    def mount(environ: dict, start_response: Callable, mounted_at: str, name: str,
              rest: str) -> Iterable[bytes]:
        environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + f"{mounted_at}/{name}"
        environ["PATH_INFO"] = f"/{rest}"
        return apps[name](environ, start_response)

    def dispatch(environ: dict, start_response: Callable) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path.startswith(prefix + "/"):
            name, _, rest = path[len(prefix) + 1:].partition("/")
            if name in apps:
                return mount(environ, start_response, prefix, name, rest)
            return root(environ, start_response)  # no such function: 404, not the console
        name, _, rest = path.lstrip("/").partition("/")
        if name in apps:
            return mount(environ, start_response, "", name, rest)
        if site is not None and not path.startswith("/__/functions"):
            return site(environ, start_response)
        return root(environ, start_response)

    return dispatch
