"""Serve the functions of functions/main.py through functions-framework, the way Cloud
Functions does: one Flask app per function, each mounted at /<function name>.

Shared by the local run and the end-to-end tests, so both exercise the real request
handling of functions-framework and firebase-functions.
"""

from __future__ import annotations

import functools
import importlib
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


def combined_app() -> Callable[[dict, Callable], Iterable[bytes]]:
    """Every function at /<name>, like https://<region>-<project>.cloudfunctions.net/<name>:
    the function sees the rest of the path, "/" at least (as in Cloud Functions)."""
    root = flask.Flask("local-functions")
    names = sorted(function_signatures())
    apps = {name: function_app(name) for name in names}

    @root.get("/")
    def index() -> flask.Response:
        return flask.jsonify({"functions": names})

    def dispatch(environ: dict, start_response: Callable) -> Iterable[bytes]:
        name, _, rest = environ.get("PATH_INFO", "").lstrip("/").partition("/")
        target = apps.get(name)
        if target is None:
            return root(environ, start_response)
        environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + f"/{name}"
        environ["PATH_INFO"] = f"/{rest}"
        return target(environ, start_response)

    return dispatch
