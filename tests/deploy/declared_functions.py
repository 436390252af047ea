"""What main.py declares, as trigger kinds, read three ways so they can be compared:
from the SDK's `__firebase_endpoint__` attributes (what firebase-functions will serve to the
CLI), from a functions.yaml manifest (what the CLI received), and from README's table."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

README = Path(__file__).resolve().parents[2] / "README.md"

HTTP = "http"
CALLABLE = "callable"
TASK_QUEUE = "task queue"
SCHEDULED = "scheduled"
STORAGE_EVENT = "storage event"
PUBSUB_MESSAGE = "pubsub message"
PUBSUB_PUBLISHED = "google.cloud.pubsub.topic.v1.messagePublished"


def trigger_kind(endpoint: Mapping[str, Any]) -> str:
    """The kind of one manifest endpoint; a trigger key is present and not None for its
    kind (the YAML manifest drops None fields, the dataclass keeps them)."""
    if endpoint.get("callableTrigger") is not None:
        return CALLABLE
    if endpoint.get("taskQueueTrigger") is not None:
        return TASK_QUEUE
    if endpoint.get("scheduleTrigger") is not None:
        return SCHEDULED
    if endpoint.get("blockingTrigger") is not None:
        return "blocking"
    event = endpoint.get("eventTrigger")
    if event is not None:
        event_type = str(event.get("eventType", ""))
        if event_type.startswith("google.cloud.storage."):
            return STORAGE_EVENT
        if event_type == PUBSUB_PUBLISHED:
            return PUBSUB_MESSAGE
        # Any other event kind is named in full, so a new trigger shows up in a diff.
        return f"event {event_type}"
    if endpoint.get("httpsTrigger") is not None:
        return HTTP
    return f"unknown {sorted(k for k, v in endpoint.items() if v is not None)}"


def kinds_from_manifest(manifest: Mapping[str, Any]) -> dict[str, str]:
    """{function name: kind} from a functions.yaml document (`endpoints:` by name)."""
    return {name: trigger_kind(endpoint)
            for name, endpoint in (manifest.get("endpoints") or {}).items()}


def kinds_from_main() -> dict[str, str]:
    """{function name: kind} from the decorated functions of functions/main.py, found the way
    the local run finds them (devtools.function_apps.function_signatures)."""
    import main
    from devtools.function_apps import function_signatures

    found: dict[str, str] = {}
    for name in function_signatures():
        endpoint = vars(main)[name].__firebase_endpoint__
        found[name] = trigger_kind(dataclasses.asdict(endpoint))
    return found


def signature_agrees(kind: str, signature: str) -> bool:
    """functions-framework serves events as CloudEvents and every other kind over HTTP."""
    is_event = kind in (STORAGE_EVENT, PUBSUB_MESSAGE) or kind.startswith("event ")
    return signature == ("cloudevent" if is_event else "http")


_README_KINDS = ((re.compile(r"^HTTP\b"), HTTP), (re.compile(r"^callable\b"), CALLABLE),
                 (re.compile(r"^Cloud Tasks queue function\b"), TASK_QUEUE),
                 (re.compile(r"^every (\d+ min|day)\b"), SCHEDULED),
                 (re.compile(r"^Storage object finalized\b"), STORAGE_EVENT),
                 (re.compile(r"^Pub/Sub message\b"), PUBSUB_MESSAGE))


def kinds_from_readme(text: str) -> dict[str, str]:
    """{function name: kind} from README's "## Functions" table: `name` or
    `snake` / `camel` in the first column (a `/<arg>` path suffix dropped), the kind in
    the second."""
    section = text.split("\n## Functions\n", 1)[1].split("\n## ", 1)[0]
    found: dict[str, str] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        names = re.findall(r"`([A-Za-z0-9_]+)[^`]*`", cells[0]) if len(cells) >= 2 else []
        kind = next((k for pattern, k in _README_KINDS if pattern.search(cells[1])),
                    f"unrecognised {cells[1]!r}") if names else ""
        found.update(dict.fromkeys(names, kind))
    return found
