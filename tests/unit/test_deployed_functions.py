"""The shape of what `firebase deploy` would create, read from main.py's declarations."""

from __future__ import annotations

import re

from devtools.function_apps import function_signatures


def endpoints() -> dict[str, object]:
    import main

    function_signatures()  # imports main the way the local run does
    return {name: value.__firebase_endpoint__ for name, value in vars(main).items()
            if getattr(value, "__firebase_endpoint__", None) is not None}


def test_exactly_one_storage_trigger_moderates_uploads() -> None:
    storage = {name: e.eventTrigger for name, e in endpoints().items()
               if e.eventTrigger and "storage" in e.eventTrigger["eventType"]}
    assert list(storage) == ["moderate_uploaded_image"]
    assert storage["moderate_uploaded_image"]["eventType"] == \
        "google.cloud.storage.object.v1.finalized"


def test_every_task_queue_has_a_name_cloud_tasks_accepts() -> None:
    """The queue id is the function's name: letters, digits and hyphens only."""
    import composition

    queues = {name for name, e in endpoints().items() if e.taskQueueTrigger is not None}
    assert queues == {"recheckUploadedImage", "storeQrBatch"}
    assert {composition.RECHECK_TASK_FUNCTION, composition.STORE_TASK_FUNCTION} == queues
    for name in queues:
        assert re.fullmatch(r"[A-Za-z0-9-]{1,100}", name), name


def snake_case(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name).lower()


def test_every_callable_keeps_both_names_with_one_handler() -> None:
    import main

    found = endpoints()
    callables = {name for name, e in found.items() if e.callableTrigger is not None}
    camel = {name for name in callables if name != snake_case(name)}
    assert camel and {snake_case(name) for name in camel} <= callables
    assert callables - camel == {snake_case(name) for name in camel}  # every one twice
    for name in camel:  # the twins serve the same use case: the same code, line by line
        twin = snake_case(name)
        assert _body(main, name) == _body(main, twin), name
    assert "moderateUploadedImage" not in found  # a trigger has no caller to keep


def _body(module: object, name: str) -> list[str]:
    """A function's body in main.py, without its def line and docstring."""
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(module))
    (node,) = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name]
    body = node.body[1:] if isinstance(node.body[0], ast.Expr) and isinstance(
        node.body[0].value, ast.Constant) else node.body
    return [ast.dump(statement) for statement in body]


def test_the_budget_alert_is_a_retried_pubsub_trigger_on_the_topic_param() -> None:
    trigger = endpoints()["on_vision_budget_alert"].eventTrigger
    assert trigger["eventType"] == "google.cloud.pubsub.topic.v1.messagePublished"
    assert trigger["eventFilters"] == {"topic": "{{ params.VISION_BUDGET_TOPIC }}"}
    assert trigger["retry"] is True
