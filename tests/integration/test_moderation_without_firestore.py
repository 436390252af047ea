"""When Firestore cannot be reached, the ledger cannot reserve: Vision is not called (the
budget stays hard), the configured default strategy decides, and the object's metadata
tells the client; the image is queued for a re-check, whose task carries everything it
needs since Firestore could not record it. Real ledger on a dead port, real Cloud Storage
emulator, real Vision client against the local Vision server."""

from __future__ import annotations

import io
import os
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from google.cloud import firestore
from PIL import Image

from devtools.firestore_emulator import free_port
from devtools.storage_emulator import running_storage_emulator
from devtools.vision_server import running_vision_server
from infra.firestore_rechecks import FirestoreRecheckStore
from infra.firestore_vision_ledger import FirestoreVisionLedger
from infra.frame_sampler import PillowFrameSampler
from infra.gcs_objects import GcsObjectStore
from infra.vision_safesearch import VisionSafeSearch
from moderation.accounts import Spenders
from moderation.fallback import LocalThresholds, StrategyFallback
from moderation.image_reader import ImageReader
from moderation.paid_vision import PaidVision
from moderation.placement import Placement
from moderation.ports import ObjectInfo
from moderation.rechecks import ModerationRechecks, parse_task
from moderation.settings import VisionSettings
from moderation.strategy import FallbackStrategy
from moderation.uploaded_images import UploadModeration

BUCKET = "no-firestore-test"


class RecordingQueue:
    """The RecheckQueue port, keeping what was enqueued (Cloud Tasks in production)."""

    def __init__(self) -> None:
        self.tasks: list[tuple[dict, float]] = []

    def enqueue(self, payload: dict, delay_s: float = 0.0) -> None:
        self.tasks.append((payload, delay_s))


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buffer, "PNG")
    return buffer.getvalue()


@pytest.mark.parametrize("strategy, status, kept", [
    ("warn", "needs_review", True),
    ("allow", "unchecked", True),
    ("deny", "rejected", False),
])
def test_unreachable_ledger_applies_the_default_strategy_without_vision(
        monkeypatch, strategy, status, kept):
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", f"127.0.0.1:{free_port()}")
    defaults = VisionSettings(fallback_strategy=FallbackStrategy(strategy))
    client = firestore.Client(project=os.environ["GOOGLE_CLOUD_PROJECT"])
    clock = lambda: datetime.now(UTC)  # noqa: E731
    tz = ZoneInfo("America/Los_Angeles")
    ledger = FirestoreVisionLedger(client, defaults, tz, clock, rpc_timeout_s=1.0,
                                   unavailable_budget_s=0.5)
    queue = RecordingQueue()
    with running_storage_emulator(BUCKET) as gcs, running_vision_server() as vision:
        blob = gcs.bucket().blob("uploads/p.png")
        blob.upload_from_string(png(), content_type="image/png")
        blob.reload()
        objects = GcsObjectStore.create("demo-test")
        classifier = VisionSafeSearch.create(vision.endpoint, 2.0)
        placement = Placement(objects, "quarantine/", clock)
        store = FirestoreRecheckStore(client, clock, rpc_timeout_s=1.0,
                                      unavailable_budget_s=0.5)
        paid = PaidVision(ledger, classifier, defaults)
        rechecks = ModerationRechecks(
            store=store, queue=queue, ledger=ledger, paid=paid, spenders=Spenders(None),
            reader=ImageReader(objects, PillowFrameSampler()), objects=objects,
            placement=placement, clock=clock, tz=tz, retry_delay_s=30.0)
        moderation = UploadModeration(
            paid=paid, spenders=Spenders(None), placement=placement,
            reader=ImageReader(objects, PillowFrameSampler()),
            fallback=StrategyFallback(None, LocalThresholds()),
            rechecks=rechecks, records=store, quarantine_prefix="quarantine/",
            skip_prefixes=(), clock=clock)

        outcome = moderation.moderate_event("e1", ObjectInfo(
            BUCKET, "uploads/p.png", str(blob.generation), "image/png", blob.size, {}))

        assert outcome is not None and outcome.status == status
        assert outcome.cause == "ledger_unavailable"
        assert vision.request_count == 0
        where = "uploads/p.png" if kept else "quarantine/uploads/p.png"
        stored = gcs.bucket().get_blob(where)
        assert stored is not None, f"the image must survive at {where}"
        assert stored.metadata["moderationStatus"] == status
        assert stored.metadata["moderationCause"] == "ledger_unavailable"
        assert stored.metadata["moderationRecheck"] == "pending"
        ((payload, delay),) = queue.tasks
        task = parse_task(payload)
        assert (task.name, task.cause, delay) == ("uploads/p.png", "ledger_unavailable", 30.0)
        assert task.location is not None
        assert (task.location.name, task.location.generation) == (where, str(stored.generation))
