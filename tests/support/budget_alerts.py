"""Cloud Billing budget notifications as Eventarc delivers them to a Pub/Sub-triggered
function: a `google.cloud.pubsub.topic.v1.messagePublished` CloudEvent in binary mode
(ce-* headers, the data as the JSON body), whose data is the push envelope
{"message": {"data": <base64>, "attributes", "messageId"/"message_id",
"publishTime"/"publish_time"}, "subscription"}. Eventarc sends each field of the message
in both spellings; firebase-functions' wrapper reads the snake_case ones and fails
without them.
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from typing import Any

from cloudevents.http import CloudEvent

from devtools.storage_events import event_time, to_binary_http

PUBLISHED_TYPE = "google.cloud.pubsub.topic.v1.messagePublished"
TOPIC = "vision-budget-alerts"
FUNCTION = "on_vision_budget_alert"
NOVEMBER = "2026-11-01T07:00:00Z"
DECEMBER = "2026-12-01T08:00:00Z"
ATTRIBUTES = {"billingAccountId": "01D4EE-079462-DFD6EC", "budgetId": "budget-e2e",
              "schemaVersion": "1.0"}


def budget_data(cost: Any = 100.0, budget: Any = 100.0, interval: str = NOVEMBER,
                **extra: Any) -> str:
    """The base64 data of a budget notification (fields given as None are left out)."""
    body = {"budgetDisplayName": "Vision budget", "costAmount": cost,
            "costIntervalStart": interval, "budgetAmount": budget,
            "budgetAmountType": "SPECIFIED_AMOUNT", "currencyCode": "USD",
            "alertThresholdExceeded": 1.0, **extra}
    raw = json.dumps({k: v for k, v in body.items() if v is not None}).encode()
    return base64.b64encode(raw).decode()


def message_published_event(data: str | None, attributes: dict[str, str] | None, *,
                            message_id: str | None = None, topic: str = TOPIC) -> CloudEvent:
    project = os.environ["GOOGLE_CLOUD_PROJECT"]
    message_id = message_id or str(uuid.uuid4().int)[:16]
    published = event_time()
    message: dict[str, Any] = {"messageId": message_id, "message_id": message_id,
                               "publishTime": published, "publish_time": published}
    if data is not None:
        message["data"] = data
    if attributes is not None:
        message["attributes"] = attributes
    return CloudEvent({
        "id": message_id,
        "type": PUBLISHED_TYPE,
        "source": f"//pubsub.googleapis.com/projects/{project}/topics/{topic}",
        "time": published,
        "specversion": "1.0",
        "datacontenttype": "application/json",
    }, {"message": message,
        "subscription": f"projects/{project}/subscriptions/eventarc-us-central1-{FUNCTION}"
                        "-481620-sub-000"})


def deliver_alert(call: Any, data: str | None, attributes: dict[str, str] | None = ATTRIBUTES,
                  *, message_id: str | None = None, expect: int = 200) -> Any:
    headers, body = to_binary_http(message_published_event(data, attributes,
                                                           message_id=message_id))
    reply = call(FUNCTION, "POST", headers=headers, data=body)
    assert reply.status_code == expect, reply.get_data(as_text=True)
    return reply
