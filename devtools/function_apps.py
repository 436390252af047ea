"""Serve the functions of functions/main.py through functions-framework, the way Cloud
Functions does: one Flask app per function, each mounted at /<function name>.

Shared by the local run and the end-to-end tests, so both exercise the real request
handling of functions-framework and firebase-functions.
"""

from __future__ import annotations

import functools
import importlib
import sys
from pathlib import Path

import flask
from werkzeug.middleware.dispatcher import DispatcherMiddleware

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


@functools.cache
def function_app(target: str) -> flask.Flask:
    """The functions-framework app of one function (cached: it re-imports main.py)."""
    import functions_framework

    signature = function_signatures()[target]
    return functions_framework.create_app(target=target, source=str(MAIN),
                                          signature_type=signature)


def combined_app() -> DispatcherMiddleware:
    """Every function at /<name>, like https://<region>-<project>.cloudfunctions.net/<name>."""
    root = flask.Flask("local-functions")
    names = sorted(function_signatures())

    @root.get("/")
    def index() -> flask.Response:
        return flask.jsonify({"functions": names})

    return DispatcherMiddleware(root, {f"/{name}": function_app(name) for name in names})
