"""Every branch of the storage trigger's use case (UploadModeration.moderate_event), with the
real Placement, ModerationRechecks and StrategyFallback over in-memory fakes of our ports
(tests/support/fakes.py). The adapters are tested against the real parts elsewhere."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

import pytest

from errors import Unavailable
from moderation.accounts import Spenders
from moderation.allowance import Spender
from moderation.fallback import LocalThresholds, StrategyFallback
from moderation.frames import FRAME_SNIFF_BYTES
from moderation.image_reader import ImageReader
from moderation.outcome import LOCAL_MESSAGES, MODERATION_UNAVAILABLE, STATUS_MESSAGES, Outcome
from moderation.paid_vision import PaidVision
from moderation.placement import DOWNLOAD_TOKENS, HAD_DOWNLOAD_TOKEN, PRIVATE_CACHE, Placement
from moderation.ports import (
    ImageTooComplex,
    LocalModelUnavailable,
    ObjectInfo,
    Recheck,
    VisionUnavailable,
)
from moderation.rechecks import (
    RECHECK_KEY_META,
    RECHECK_META,
    RESTORE_TOKEN_META,
    ModerationRechecks,
    parse_task,
)
from moderation.safesearch import Likelihood, SafeSearchAnnotation
from moderation.settings import VisionSettings
from moderation.strategy import FallbackStrategy
from moderation.uploaded_images import (
    JOB_COLLECTION,
    LOCAL_MAX_IMAGE_BYTES,
    VISION_MAX_IMAGE_BYTES,
    UploadModeration,
    moderation_key,
)
from tests.support.fakes import (
    FakeClassifier,
    FakeClock,
    FakeFrameSampler,
    FakeLedger,
    FakeLocalModel,
    FakeObjectStore,
    FakeRecheckQueue,
    FakeRecheckStore,
)

BUCKET = "uploads.example"
QUARANTINE = "quarantine/"
NAME = "users/u1/photo.png"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(64))
RETRY_DELAY_S = 30.0
ADULT = SafeSearchAnnotation(adult=Likelihood.VERY_LIKELY, racy=Likelihood.UNLIKELY,
                             violence=Likelihood.VERY_UNLIKELY,
                             medical=Likelihood.VERY_UNLIKELY, spoof=Likelihood.UNLIKELY)
STRATEGIES = ["deny", "allow", "warn", "local"]
# What each strategy makes of an image Vision did not judge (local: the model's score 0.05).
FALLBACK_STATUS = {"deny": "rejected", "allow": "unchecked", "warn": "needs_review",
                   "local": "approved"}


@dataclass
class World:
    clock: FakeClock
    ledger: FakeLedger
    vision: FakeClassifier
    model: FakeLocalModel
    objects: FakeObjectStore
    queue: FakeRecheckQueue
    store: FakeRecheckStore
    rechecks: ModerationRechecks
    moderation: UploadModeration
    defaults: VisionSettings

    def upload(self, name: str = NAME, data: bytes = PNG,
               content_type: str | None = "image/png", *, size: int | None = None,
               metadata: dict[str, str] | None = None) -> ObjectInfo:
        return self.objects.put(BUCKET, name, data, content_type, metadata, size=size)

    def moderate(self, obj: ObjectInfo, event_id: str = "event-1") -> Outcome | None:
        return self.moderation.moderate_event(event_id, obj)

    def metadata(self, name: str = NAME) -> dict[str, str] | None:
        found = self.objects.stat(BUCKET, name)
        return found.metadata if found else None

    def record(self, obj: ObjectInfo) -> dict[str, Any] | None:
        return self.store.records.get(moderation_key(obj.bucket, obj.name, obj.generation))

    def job(self, obj: ObjectInfo) -> dict[str, Any] | None:
        key = moderation_key(obj.bucket, obj.name, obj.generation)
        return self.ledger.jobs.get(f"{JOB_COLLECTION}/{key}")

    def recheck(self, obj: ObjectInfo) -> Recheck | None:
        return self.store.get(moderation_key(obj.bucket, obj.name, obj.generation))


def world(strategy: str = "warn", *, enabled: bool = True, limit: int = 1000,
          reject_action: str = "quarantine", default_strategy: str = "warn",
          score: float | LocalModelUnavailable = 0.05, local_installed: bool = True,
          skip_prefixes: tuple[str, ...] = ("thumbnails/",),
          frames: FakeFrameSampler | None = None) -> World:
    clock = FakeClock()
    frames = frames or FakeFrameSampler()
    ledger = FakeLedger(VisionSettings(enabled=enabled,
                                       fallback_strategy=FallbackStrategy(strategy),
                                       monthly_limit=limit, reject_action=reject_action),
                        clock=clock)
    vision, model, objects = FakeClassifier(), FakeLocalModel(score), FakeObjectStore()
    queue, store = FakeRecheckQueue(), FakeRecheckStore(ledger)
    placement = Placement(objects, QUARANTINE, clock)
    defaults = VisionSettings(fallback_strategy=FallbackStrategy(default_strategy))
    paid = PaidVision(ledger, vision, defaults)
    reader = ImageReader(objects, frames)
    rechecks = ModerationRechecks(store=store, queue=queue, ledger=ledger, paid=paid,
                                  spenders=Spenders(None), reader=reader, objects=objects,
                                  placement=placement, clock=clock, tz=ledger.tz,
                                  retry_delay_s=RETRY_DELAY_S)
    fallback = StrategyFallback(model.factory if local_installed else None, LocalThresholds())
    moderation = UploadModeration(
        paid=paid, spenders=Spenders(None), fallback=fallback, reader=reader,
        placement=placement, rechecks=rechecks, records=store,
        quarantine_prefix=QUARANTINE, skip_prefixes=skip_prefixes, clock=clock)
    return World(clock, ledger, vision, model, objects, queue, store, rechecks, moderation,
                 defaults)


def where(w: World, status: str, name: str = NAME) -> str:
    """Where a fallback left the image: an unchecked rejection is quarantined."""
    return QUARANTINE + name if status == "rejected" else name


# -- not ours to judge --------------------------------------------------------------------


@pytest.mark.parametrize(("name", "data", "content_type"), [
    (QUARANTINE + NAME, PNG, "image/png"),           # our own output
    ("thumbnails/u1/p.png", PNG, "image/png"),         # a configured skip prefix
    (NAME, b"", "image/png"),                          # empty
    ("docs/report.pdf", b"%PDF-1.7 ...", "application/pdf"),  # not an image
    ("users/u1/icon.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml"),
    ("users/u1/icon.png", b"<svg xmlns='http://www.w3.org/2000/svg'/>", "IMAGE/SVG+XML"),
])
def test_objects_that_are_not_ours_to_judge_are_skipped_untouched(
        name: str, data: bytes, content_type: str) -> None:
    w = world()
    obj = w.upload(name, data, content_type)

    assert w.moderate(obj) is None
    assert w.objects.reads == [] and w.ledger.calls == [] and w.vision.calls == []
    assert w.metadata(name) == {}
    assert w.store.records == {} and w.ledger.jobs == {} and w.queue.tasks == []


def test_an_image_without_a_content_type_is_judged_by_its_extension() -> None:
    w = world()
    obj = w.upload("users/u1/photo.JPG", b"\xff\xd8\xff\xe0" + PNG, None)

    outcome = w.moderate(obj)

    assert outcome is not None and outcome.status == "approved"
    assert len(w.vision.calls) == 1


def test_an_object_gone_before_it_is_read_is_skipped() -> None:
    w = world()
    obj = w.upload()
    w.objects.delete(BUCKET, NAME, obj.generation)

    assert w.moderate(obj) is None
    assert w.objects.reads == [(NAME, FRAME_SNIFF_BYTES)]
    assert w.ledger.calls == [] and w.vision.calls == [] and w.store.records == {}


def test_an_older_generation_is_judged_on_the_bytes_at_its_name() -> None:
    """head reads the live object; set_metadata targets the event's generation."""
    w = world()
    old = w.upload()
    w.upload()  # a newer upload replaced it

    outcome = w.moderate(old)

    assert outcome is not None and outcome.status == "approved"
    assert RECHECK_META not in (w.metadata() or {})
    assert "moderationStatus" not in (w.metadata() or {}), "the newer generation is untouched"


# -- a restored image ---------------------------------------------------------------------


def quarantined_then_restored(w: World) -> tuple[ObjectInfo, ObjectInfo]:
    """Deny while Vision is off (quarantined, waiting), then Vision on: the re-check
    approves it and puts it back at its name, with a restore token."""
    first = w.upload()
    assert w.moderate(first).status == "rejected"  # type: ignore[union-attr]
    assert w.objects.stat(BUCKET, QUARANTINE + NAME) is not None
    w.ledger.settings = replace(w.ledger.settings, enabled=True)
    assert w.rechecks.drain() == 1
    ((payload, delay),) = w.queue.tasks
    assert delay == 0.0
    assert w.rechecks.run(payload) == "approved"
    restored = w.objects.stat(BUCKET, NAME)
    assert restored is not None and restored.generation != first.generation
    assert restored.metadata[RECHECK_KEY_META] == moderation_key(BUCKET, NAME, first.generation)
    return first, restored


def test_a_restored_copy_is_recorded_as_judged_without_vision_or_quota() -> None:
    w = world("deny", enabled=False)
    first, restored = quarantined_then_restored(w)
    assert (len(w.vision.calls), w.ledger.used) == (1, 1)  # the re-check's own unit

    assert w.moderate(restored, "event-2") is None

    assert (len(w.vision.calls), w.ledger.used) == (1, 1)
    first_key = moderation_key(BUCKET, NAME, first.generation)
    assert w.job(restored) is not None
    assert w.job(restored)["state"] == "done" and w.job(restored)["units"] == 0  # type: ignore[index]
    record = w.record(restored)
    assert record is not None
    assert (record["status"], record["restoredFrom"]) == ("approved", first_key)
    assert w.store.get(first_key).restore_token is None  # type: ignore[union-attr]
    # The token is single-use: the same event again is judged (and is then just done).
    assert w.moderate(restored, "event-3") is None
    assert len(w.vision.calls) == 1


def test_a_forged_restore_token_is_judged_as_usual() -> None:
    w = world()
    key = moderation_key(BUCKET, NAME, "1")
    w.store.update(key, {"name": NAME, "restoreToken": "the-real-token"})
    obj = w.upload(metadata={RECHECK_KEY_META: key, RESTORE_TOKEN_META: "guessed"})

    outcome = w.moderate(obj)

    assert outcome is not None and outcome.status == "approved"
    assert len(w.vision.calls) == 1 and w.ledger.used == 1
    assert w.store.get(key).restore_token == "the-real-token"  # type: ignore[union-attr]


# -- judged without Vision ------------------------------------------------------------------


@pytest.mark.parametrize("reject_action", ["quarantine", "delete", "flag"])
def test_a_spoofed_content_type_is_rejected_and_quarantined_without_vision(
        reject_action: str) -> None:
    w = world(reject_action=reject_action)
    obj = w.upload(data=b"#!/bin/sh\necho this is not an image\n", content_type="image/png")

    outcome = w.moderate(obj)

    assert outcome is not None
    assert (outcome.status, outcome.checked, outcome.cause) == (
        "rejected", False, "spoofed_content_type")
    assert outcome.message == "The file is not a valid image; it was rejected."
    assert w.vision.calls == [] and "begin" not in w.ledger.calls and w.ledger.used == 0
    # An unchecked rejection is never deleted: quarantined instead (flagged in place).
    now_at = NAME if reject_action == "flag" else QUARANTINE + NAME
    assert {name for (_, name) in w.objects.objects} == {now_at}
    metadata = w.metadata(now_at)
    assert metadata is not None
    assert (metadata["moderationStatus"], metadata["moderationCause"]) == (
        "rejected", "spoofed_content_type")
    assert RECHECK_META not in metadata
    record = w.record(obj)
    assert record is not None
    assert (record["status"], record["recheck"], record["location"]["name"]) == (
        "rejected", None, now_at)
    assert w.job(obj)["state"] == "done"  # type: ignore[index]
    assert w.recheck(obj) is None and w.queue.tasks == []


def test_a_spoofed_content_type_is_rejected_even_with_the_ledger_down() -> None:
    w = world()
    w.ledger.unavailable = True
    obj = w.upload(data=b"GIF88a not quite", content_type="image/gif")

    outcome = w.moderate(obj)

    assert outcome is not None and outcome.cause == "spoofed_content_type"
    assert w.objects.stat(BUCKET, QUARANTINE + NAME) is not None
    assert w.vision.calls == []


@pytest.mark.parametrize(("strategy", "status"), [
    ("deny", "rejected"), ("allow", "unchecked"), ("warn", "needs_review")])
def test_an_image_too_large_for_vision_gets_the_strategy_and_no_recheck(
        strategy: str, status: str) -> None:
    w = world(strategy)
    obj = w.upload(size=VISION_MAX_IMAGE_BYTES + 1)

    outcome = w.moderate(obj)

    assert outcome is not None
    assert (outcome.status, outcome.cause, outcome.checked) == (status, "too_large", False)
    assert w.vision.calls == [] and "begin" not in w.ledger.calls and w.ledger.used == 0
    assert w.model.built == 0 and w.model.calls == []
    metadata = w.metadata(where(w, status))
    assert metadata is not None and metadata["moderationStatus"] == status
    assert RECHECK_META not in metadata  # Vision would not judge it better later
    assert w.recheck(obj) is None and w.queue.tasks == []
    assert w.record(obj)["recheck"] is None  # type: ignore[index]


def test_local_judges_an_image_too_large_for_vision_but_small_enough_to_read() -> None:
    w = world("local", score=0.5)
    obj = w.upload(size=VISION_MAX_IMAGE_BYTES + 1)

    outcome = w.moderate(obj)

    assert outcome is not None
    assert (outcome.status, outcome.verdict_by, outcome.cause) == (
        "needs_review", "local_model", "too_large")
    assert w.model.calls == [PNG]
    assert (NAME, LOCAL_MAX_IMAGE_BYTES + 1) in w.objects.reads


def test_local_does_not_read_an_image_larger_than_it_may_hold() -> None:
    w = world("local", score=0.99)
    obj = w.upload(size=LOCAL_MAX_IMAGE_BYTES + 1)

    outcome = w.moderate(obj)

    assert outcome is not None
    assert (outcome.status, outcome.verdict_by, outcome.local_score) == (
        "needs_review", None, None)
    assert outcome.reasons == ("the image is too large for the on-device model",)
    assert w.objects.reads == [(NAME, FRAME_SNIFF_BYTES)]
    assert w.model.built == 0 and w.model.calls == []
    assert w.metadata() is not None  # kept in place for review


# -- the ledger cannot reserve --------------------------------------------------------------


@pytest.mark.parametrize(("switch", "cause"), [
    ("unavailable", "ledger_unavailable"), ("busy", "ledger_busy")])
@pytest.mark.parametrize(("default", "status"), [
    ("deny", "rejected"), ("allow", "unchecked"), ("warn", "needs_review")])
def test_without_a_reservation_the_default_strategy_decides_and_vision_is_not_called(
        switch: str, cause: str, default: str, status: str) -> None:
    # The admin's strategy (in the unreachable ledger) is "allow"; the default decides.
    w = world("allow", default_strategy=default)
    setattr(w.ledger, switch, True)
    obj = w.upload()

    outcome = w.moderate(obj)

    assert outcome is not None
    assert (outcome.status, outcome.cause, outcome.strategy) == (
        status, cause, FallbackStrategy(default))
    assert w.vision.calls == [] and w.ledger.used == 0
    metadata = w.metadata(where(w, status))
    assert metadata is not None
    assert (metadata["moderationStatus"], metadata["moderationCause"],
            metadata[RECHECK_META]) == (status, cause, "pending")
    ((payload, delay),) = w.queue.tasks
    task = parse_task(payload)
    assert (task.name, task.cause, delay) == (NAME, cause, RETRY_DELAY_S)
    assert task.location is not None and task.location.name == where(w, status)
    assert w.recheck(obj).state == "queued"  # type: ignore[union-attr]


def test_with_the_ledger_unreachable_nothing_is_recorded_but_the_recheck_is_queued() -> None:
    w = world()
    w.ledger.unavailable = True
    obj = w.upload()

    w.moderate(obj)

    assert w.job(obj) is None and w.record(obj) is None
    assert len(w.queue.tasks) == 1


def test_with_the_ledger_busy_the_fallback_is_recorded_and_a_redelivery_ignored() -> None:
    w = world()
    w.ledger.busy = True
    obj = w.upload()
    w.moderate(obj)
    w.ledger.busy = False

    job, record = w.job(obj), w.record(obj)
    assert job is not None and record is not None
    # A fallback: the trigger's redeliveries leave it to the re-check, which judges it.
    assert (job["state"], job["units"], record["status"], record["recheck"]) == (
        "fallback", 0, "needs_review", "pending")
    assert w.moderate(obj, "event-2") is None
    assert w.vision.calls == [] and len(w.queue.tasks) == 1


# -- the ledger answers: done, busy ---------------------------------------------------------


def test_a_redelivered_event_is_judged_and_counted_once() -> None:
    w = world()
    obj = w.upload()
    assert w.moderate(obj, "event-1") is not None
    first = dict(w.metadata() or {})
    w.clock.advance(5)

    assert w.moderate(obj, "event-1-again") is None

    assert len(w.vision.calls) == 1 and w.ledger.used == 1
    assert w.metadata() == first
    assert w.job(obj)["eventId"] == "event-1"  # type: ignore[index]


def test_a_delivery_that_finds_the_job_leased_does_nothing_then_takes_over_later() -> None:
    w = world()
    obj = w.upload()
    job = f"{JOB_COLLECTION}/{moderation_key(BUCKET, NAME, obj.generation)}"
    assert w.ledger.begin(job, 1, {"eventId": "event-1"}, Spender(None)).kind == "reserved"

    assert w.moderate(obj, "event-2") is None
    assert w.vision.calls == [] and w.metadata() == {} and w.record(obj) is None

    w.clock.advance(121)  # the first delivery died holding its lease
    outcome = w.moderate(obj, "event-3")

    assert outcome is not None and outcome.status == "approved"
    assert w.ledger.used == 1, "the dead delivery's unit is the one counted"
    assert w.job(obj)["deliveries"] == 2  # type: ignore[index]


# -- disabled / exhausted: the admin's strategy, and a re-check waiting for capacity ---------


@pytest.mark.parametrize(("kind", "cause", "waiting_for"), [
    ("disabled", "disabled", "vision_enabled"), ("exhausted", "quota_exhausted", "budget")])
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_without_capacity_the_strategy_decides_and_the_recheck_waits(
        kind: str, cause: str, waiting_for: str, strategy: str) -> None:
    w = world(strategy, enabled=kind == "exhausted", limit=5, reject_action="delete")
    w.ledger.usage[w.ledger.month] = 5
    obj = w.upload()

    outcome = w.moderate(obj)

    status = FALLBACK_STATUS[strategy]
    assert outcome is not None
    assert (outcome.status, outcome.cause, outcome.checked, outcome.strategy) == (
        status, cause, False, FallbackStrategy(strategy))
    assert w.vision.calls == [] and w.ledger.used == 5
    if strategy == "local":
        assert (outcome.verdict_by, outcome.local_score, w.model.calls) == (
            "local_model", 0.05, [PNG])
        assert outcome.message == LOCAL_MESSAGES["approved"]
    else:
        assert w.model.built == 0 and w.model.calls == []
        assert outcome.verdict_by is None
    metadata = w.metadata(where(w, status))  # never deleted, whatever the reject action
    assert metadata is not None
    assert (metadata["moderationStatus"], metadata[RECHECK_META]) == (status, "pending")
    job, record = w.job(obj), w.record(obj)
    assert job is not None and record is not None
    assert (job["state"], job["units"], job["result"]["cause"]) == ("fallback", 0, cause)
    assert (record["status"], record["recheck"], record["result"]["units"]) == (
        status, "pending", 0)
    assert record["location"]["name"] == where(w, status)
    recheck = w.recheck(obj)
    assert recheck is not None
    assert (recheck.state, recheck.waiting_for, recheck.cause) == ("waiting", waiting_for, cause)
    assert w.queue.tasks == [], "only capacity helps: it waits for a drain"


def test_deny_without_capacity_says_moderation_is_unavailable() -> None:
    w = world("deny", enabled=False)
    outcome = w.moderate(w.upload())
    assert outcome is not None and outcome.message == MODERATION_UNAVAILABLE


# -- Vision fails -----------------------------------------------------------------------------


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_when_vision_fails_the_unit_is_given_back_and_the_recheck_queued(
        strategy: str) -> None:
    w = world(strategy)
    w.vision.script = [VisionUnavailable("unavailable", "Vision answered 503")]
    obj = w.upload()

    outcome = w.moderate(obj)

    status = FALLBACK_STATUS[strategy]
    assert outcome is not None
    assert (outcome.status, outcome.cause, outcome.checked) == (status, "unavailable", False)
    assert len(w.vision.calls) == 1
    assert w.vision.calls[0].gcs_uri == f"gs://{BUCKET}/{NAME}"
    assert w.ledger.used == 0, "the unit reserved for the failed call is given back"
    job = w.job(obj)
    assert job is not None and (job["state"], job["releasedUnits"]) == ("fallback", 1)
    assert (w.model.calls == [PNG]) is (strategy == "local")
    metadata = w.metadata(where(w, status))
    assert metadata is not None and metadata[RECHECK_META] == "pending"
    ((payload, delay),) = w.queue.tasks
    assert (parse_task(payload).cause, delay) == ("unavailable", RETRY_DELAY_S)
    assert w.record(obj)["recheck"] == "pending"  # type: ignore[index]


def test_a_unit_given_back_is_not_reported_as_spent() -> None:
    w = world()
    w.vision.script = [VisionUnavailable("timeout", "Vision did not answer in time")]
    obj = w.upload()

    w.moderate(obj)

    assert w.ledger.used == 0
    assert w.record(obj)["result"]["units"] == 0  # type: ignore[index]


def test_an_image_vision_calls_bad_is_not_rechecked() -> None:
    w = world("warn")
    w.vision.script = [VisionUnavailable("bad_image", "Vision could not decode it")]
    obj = w.upload()

    outcome = w.moderate(obj)

    assert outcome is not None and (outcome.status, outcome.cause) == ("needs_review",
                                                                      "bad_image")
    assert w.ledger.used == 0
    assert w.queue.tasks == [] and w.recheck(obj) is None
    assert RECHECK_META not in (w.metadata() or {})
    assert w.record(obj)["recheck"] is None  # type: ignore[index]


# -- Vision's verdict -------------------------------------------------------------------------


def test_vision_approves_and_the_unit_stays_counted() -> None:
    w = world()
    obj = w.upload(metadata={"uploaderUid": "someone-else"})

    outcome = w.moderate(obj)

    assert outcome is not None
    assert (outcome.status, outcome.checked, outcome.verdict_by) == ("approved", True, "vision")
    assert outcome.likelihoods == {"adult": "VERY_UNLIKELY", "racy": "VERY_UNLIKELY",
                                   "violence": "VERY_UNLIKELY", "medical": "VERY_UNLIKELY",
                                   "spoof": "VERY_UNLIKELY"}
    assert [c.gcs_uri for c in w.vision.calls] == [f"gs://{BUCKET}/{NAME}"]
    assert w.ledger.used == 1
    metadata = w.metadata()
    assert metadata is not None
    assert (metadata["moderationStatus"], metadata["moderationMessage"],
            metadata["moderationCause"]) == ("approved", STATUS_MESSAGES["approved"], "")
    assert RECHECK_META not in metadata
    job, record = w.job(obj), w.record(obj)
    assert job is not None and record is not None
    assert (job["state"], job["units"], job["eventId"]) == ("done", 1, "event-1")
    assert (record["status"], record["recheck"], record["uploaderUid"]) == (
        "approved", None, "u1")  # from the path, never from custom metadata
    assert (record["result"]["units"], record["result"]["monthKey"]) == (1, w.ledger.month)
    assert "eventId" not in record
    assert record["location"] == {"name": NAME, "generation": obj.generation}
    assert w.recheck(obj) is None and w.queue.tasks == []


def test_an_upload_outside_a_user_folder_has_no_uploader() -> None:
    w = world()
    obj = w.upload("public/photo.png")
    w.moderate(obj)
    assert w.record(obj)["uploaderUid"] is None  # type: ignore[index]


@pytest.mark.parametrize(("action", "location"), [
    ("quarantine", QUARANTINE + NAME), ("delete", None), ("flag", NAME)])
def test_vision_rejects_and_the_reject_action_applies(action: str, location: str | None
                                                      ) -> None:
    w = world(reject_action=action)
    w.vision.script = [ADULT]
    obj = w.upload()

    outcome = w.moderate(obj)

    assert outcome is not None
    assert (outcome.status, outcome.checked) == ("rejected", True)
    assert outcome.reasons == ("adult=VERY_LIKELY (threshold LIKELY)",)
    assert outcome.message == STATUS_MESSAGES["rejected"]
    assert w.ledger.used == 1
    live = {name for (_, name) in w.objects.objects}
    assert live == ({location} if location else set())
    if location is not None:
        metadata = w.metadata(location)
        assert metadata is not None and metadata["moderationStatus"] == "rejected"
        assert metadata["moderationReasons"] == "adult=VERY_LIKELY (threshold LIKELY)"
    record = w.record(obj)
    assert record is not None and record["status"] == "rejected"
    assert (record["location"] or {}).get("name") == location
    assert w.queue.tasks == [] and w.recheck(obj) is None


# -- the 'local' strategy ---------------------------------------------------------------------


@pytest.mark.parametrize(("score", "status", "where_now"), [
    (0.05, "approved", NAME), (0.5, "needs_review", NAME),
    (0.95, "rejected", QUARANTINE + NAME)])
def test_local_judges_by_the_model_score_and_vision_rechecks_later(
        score: float, status: str, where_now: str) -> None:
    w = world("local", enabled=False, reject_action="delete", score=score)
    obj = w.upload()

    outcome = w.moderate(obj)

    assert outcome is not None
    assert (outcome.status, outcome.checked, outcome.verdict_by, outcome.local_score) == (
        status, False, "local_model", score)
    assert outcome.message == LOCAL_MESSAGES[status]
    assert w.model.calls == [PNG] and w.vision.calls == []
    live = {name for (_, name) in w.objects.objects}
    assert live == {where_now}, "a local verdict never deletes"
    metadata = w.metadata(where_now)
    assert metadata is not None
    assert (metadata["moderationStatus"], metadata[RECHECK_META]) == (status, "pending")
    record = w.record(obj)
    assert record is not None
    assert (record["result"]["verdictBy"], record["result"]["localScore"]) == (
        "local_model", score)
    recheck = w.recheck(obj)
    assert recheck is not None and recheck.location is not None
    assert (recheck.state, recheck.location.name) == ("waiting", where_now)


def test_local_keeps_the_image_for_review_when_the_model_gives_no_score() -> None:
    w = world("local", enabled=False,
              score=LocalModelUnavailable("bad_image", "could not decode"))
    obj = w.upload()

    outcome = w.moderate(obj)

    assert outcome is not None
    assert (outcome.status, outcome.verdict_by) == ("needs_review", None)
    assert outcome.reasons == ("the on-device model gave no score (bad_image)",)
    assert w.model.calls == [PNG]
    assert w.metadata()["moderationStatus"] == "needs_review"  # type: ignore[index]
    assert w.recheck(obj).state == "waiting"  # type: ignore[union-attr]


def test_local_without_the_model_installed_keeps_the_image_for_review() -> None:
    w = world("local", enabled=False, local_installed=False)
    outcome = w.moderate(w.upload())
    assert outcome is not None
    assert outcome.reasons == ("the on-device model is not installed",)
    assert outcome.status == "needs_review"


def test_local_as_the_default_strategy_judges_when_the_ledger_is_down() -> None:
    w = world("warn", default_strategy="local", score=0.9)
    w.ledger.unavailable = True
    obj = w.upload()

    outcome = w.moderate(obj)

    assert outcome is not None
    assert (outcome.status, outcome.cause, outcome.verdict_by) == (
        "rejected", "ledger_unavailable", "local_model")
    assert w.objects.stat(BUCKET, QUARANTINE + NAME) is not None
    assert w.vision.calls == []


def test_a_recheck_that_meets_a_busy_ledger_frees_the_job_for_its_next_try() -> None:
    w = world()
    w.vision.script = [VisionUnavailable("unavailable", "Vision answered 503")]
    obj = w.upload()
    w.moderate(obj)
    ((payload, _),) = w.queue.tasks
    w.ledger.busy = True  # the shards too busy: the re-check leases the job without a unit

    with pytest.raises(Unavailable):
        w.rechecks.run(payload)

    job = w.job(obj)
    assert job is not None and (job["state"], job["leaseOwner"]) == ("fallback", None)
    w.ledger.busy = False
    assert w.rechecks.run(payload) == "approved"
    assert w.ledger.used == 1


# -- no link survives a rejection -------------------------------------------------------------

LINK = {DOWNLOAD_TOKENS: "token-the-uploader-shared"}


def stored(w: World, name: str) -> Any:
    return w.objects.objects[(BUCKET, name)]


def test_a_quarantined_image_loses_its_download_link_and_public_caching() -> None:
    w = world(reject_action="quarantine")
    w.vision.script = [ADULT]
    w.moderate(w.upload(metadata=LINK))
    held = stored(w, QUARANTINE + NAME)
    assert DOWNLOAD_TOKENS not in held.metadata
    assert held.metadata[HAD_DOWNLOAD_TOKEN] == "true"
    assert held.cache_control == PRIVATE_CACHE


def test_a_rejected_image_flagged_in_place_loses_its_link_too() -> None:
    w = world(reject_action="flag")
    w.vision.script = [ADULT]
    w.moderate(w.upload(metadata=LINK))
    flagged = stored(w, NAME)
    assert flagged.metadata["moderationStatus"] == "rejected"
    assert DOWNLOAD_TOKENS not in flagged.metadata
    assert flagged.cache_control == PRIVATE_CACHE


def test_an_approved_image_keeps_its_link_and_one_without_gets_none() -> None:
    w = world()
    w.moderate(w.upload(metadata=LINK))
    assert stored(w, NAME).metadata[DOWNLOAD_TOKENS] == LINK[DOWNLOAD_TOKENS]
    assert stored(w, NAME).cache_control is None
    other = "users/u1/other.png"
    w.vision.script = [ADULT]
    w.moderate(w.upload(other))
    assert HAD_DOWNLOAD_TOKEN not in stored(w, QUARANTINE + other).metadata


def test_an_image_approved_after_a_quarantine_gets_a_fresh_link_not_the_old_one() -> None:
    w = world("deny", enabled=False)
    w.moderate(w.upload(metadata=LINK))
    assert DOWNLOAD_TOKENS not in stored(w, QUARANTINE + NAME).metadata
    w.ledger.settings = replace(w.ledger.settings, enabled=True)
    assert w.rechecks.drain() == 1
    ((payload, _),) = w.queue.tasks
    assert w.rechecks.run(payload) == "approved"
    back = stored(w, NAME)
    fresh = back.metadata[DOWNLOAD_TOKENS]
    assert fresh and fresh != LINK[DOWNLOAD_TOKENS]
    assert HAD_DOWNLOAD_TOKEN not in back.metadata


# -- frames ------------------------------------------------------------------------------------

GIF = b"GIF89a" + bytes(range(80))


def test_vision_judges_the_sheet_of_an_animation_and_so_does_the_local_model() -> None:
    sheet = b"\xff\xd8\xff sheet of frames"
    w = world(frames=FakeFrameSampler(sheet))
    w.moderate(w.upload("users/u1/anim.gif", GIF, "image/gif"))
    (sent,) = w.vision.calls
    assert (sent.content, sent.gcs_uri) == (sheet, None)
    local = world("local", enabled=False, frames=FakeFrameSampler(sheet))
    local.moderate(local.upload("users/u1/anim.gif", GIF, "image/gif"))
    assert local.model.calls == [sheet]


def test_an_animation_too_complex_to_read_waits_for_a_person_without_a_unit() -> None:
    w = world(frames=FakeFrameSampler(ImageTooComplex("100000 frames are too many to judge")))
    outcome = w.moderate(w.upload("users/u1/bomb.gif", GIF, "image/gif"))
    assert outcome is not None
    assert (outcome.status, outcome.cause, outcome.reasons) == (
        "needs_review", "too_complex", ("100000 frames are too many to judge",))
    assert w.vision.calls == [] and w.ledger.used == 0 and w.queue.tasks == []


def test_a_still_image_is_read_by_vision_itself() -> None:
    frames = FakeFrameSampler(None)
    w = world(frames=frames)
    w.moderate(w.upload("users/u1/still.gif", GIF, "image/gif"))
    assert frames.calls == [(len(GIF), "gif")]
    assert w.vision.calls[0].gcs_uri == f"gs://{BUCKET}/users/u1/still.gif"


def test_an_upload_sent_as_image_jpg_is_judged_as_the_jpeg_it_is() -> None:
    w = world()
    outcome = w.moderate(w.upload("users/u1/phone.jpg", b"\xff\xd8\xff\xe0" + bytes(60),
                                  "image/jpg"))
    assert outcome is not None and (outcome.status, outcome.checked) == ("approved", True)
    assert w.vision.calls[0].gcs_uri == f"gs://{BUCKET}/users/u1/phone.jpg"


@pytest.mark.parametrize("uid", ["a.b@example.com", "user:42", "ünal", "x" * 128])
def test_a_uid_that_is_not_folder_safe_is_still_the_uploader(uid: str) -> None:
    w = world()
    obj = w.upload(f"users/{uid}/photo.png")
    w.moderate(obj)
    assert w.record(obj)["uploaderUid"] == uid  # type: ignore[index]
    assert w.ledger.account_usage(uid).month_units == 1
