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


def test_the_recheck_queue_has_a_name_cloud_tasks_accepts() -> None:
    found = endpoints()
    assert found["recheckUploadedImage"].taskQueueTrigger is not None
    # Cloud Tasks queue ids: letters, digits and hyphens only.
    assert re.fullmatch(r"[A-Za-z0-9-]{1,100}", "recheckUploadedImage")


def test_callables_keep_both_names() -> None:
    names = set(endpoints())
    for snake, camel in [("drain_moderation_rechecks", "drainModerationRechecks"),
                         ("get_vision_api_quota_status", "getVisionApiQuotaStatus"),
                         ("analyze_image_before_upload", "analyzeImageBeforeUpload")]:
        assert {snake, camel} <= names
    assert "moderateUploadedImage" not in names  # a trigger has no caller to keep


def test_the_budget_alert_is_a_retried_pubsub_trigger_on_the_topic_param() -> None:
    trigger = endpoints()["on_vision_budget_alert"].eventTrigger
    assert trigger["eventType"] == "google.cloud.pubsub.topic.v1.messagePublished"
    assert trigger["eventFilters"] == {"topic": "{{ params.VISION_BUDGET_TOPIC }}"}
    assert trigger["retry"] is True
