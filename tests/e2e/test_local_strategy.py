"""The 'local' fallback strategy end to end: the real open_nsfw model on onnxruntime judges
uploads and pre-upload checks while Vision cannot, through the real storage trigger and
callable protocol; Vision's later verdict replaces the local one. (Only safe, synthetic
images here: the rejecting side of the real model is not exercised with real content; the
use-case tests cover it with a scripted model.)"""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from tests.support.moderation import callable_, deliver, moderation_records, upload, usage


@pytest.fixture
def local(env, call, admin_token, monkeypatch):
    import composition

    monkeypatch.setenv("RECHECK_DELAY_S", "0.2")
    monkeypatch.setenv("RECHECK_RETRY_MIN_S", "0.2")
    monkeypatch.setenv("RECHECK_RETRY_MAX_S", "1")
    composition.reset()
    reply = callable_(call, "setVisionApiFallbackStrategy", {"strategy": "LOCAL"}, admin_token)
    assert reply.status_code == 200, reply.get_data(as_text=True)
    assert reply.get_json()["result"]["strategy"] == "local"
    return env


def landscape_jpeg() -> bytes:
    """Blue sky over green fields, 640x480: nothing the model should call adult."""
    image = Image.new("RGB", (640, 480), (110, 160, 230))
    image.paste((60, 140, 60), (0, 300, 640, 480))
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def test_vision_off_the_local_model_judges_and_vision_replaces_it_later(
        local, call, vision, admin_token, firestore_client):
    import composition

    assert callable_(call, "set_vision_api_enabled", {"enabled": False},
                     admin_token).status_code == 200
    blob = upload(local, "uploads/carol/field.jpg", landscape_jpeg(), "image/jpeg")
    deliver(call, blob)

    assert vision.request_count == 0 and usage(firestore_client) == 0
    (record,) = moderation_records(firestore_client)
    result = record["result"]
    assert (result["status"], result["checked"], result["verdictBy"], result["strategy"]) == (
        "approved", False, "local_model", "local")
    assert 0.0 <= result["localScore"] < 0.2
    assert result["cause"] == "disabled" and record["recheck"] == "pending"
    assert "on-device" in record["message"]
    blob.reload()
    assert blob.metadata["moderationStatus"] == "approved"
    assert blob.metadata["moderationRecheck"] == "pending"

    # Vision back on: the waiting re-check asks Vision, whose verdict replaces the local one.
    assert callable_(call, "set_vision_api_enabled", {"enabled": True},
                     admin_token).status_code == 200
    assert composition.recheck_queue().drain(90)
    (record,) = moderation_records(firestore_client)
    assert (record["result"]["verdictBy"], record["result"]["checked"]) == ("vision", True)
    assert record["firstResult"]["verdictBy"] == "local_model"
    assert vision.request_count == 1 and usage(firestore_client) == 1


def test_vision_failing_the_local_model_judges_and_the_unit_goes_back(
        local, call, vision, firestore_client):
    vision.fail_unavailable()
    deliver(call, upload(local, "uploads/d.jpg", landscape_jpeg(), "image/jpeg"))
    (record,) = moderation_records(firestore_client)
    assert (record["result"]["status"], record["result"]["verdictBy"]) == (
        "approved", "local_model")
    assert record["result"]["cause"] == "unavailable"
    assert usage(firestore_client) == 0


def test_the_pre_upload_check_uses_the_local_model_when_the_budget_is_used_up(
        local, call, vision, admin_token, user_token):
    assert callable_(call, "setVisionApiMonthlyQuota", {"limit": 0},
                     admin_token).status_code == 200
    image = base64.b64encode(landscape_jpeg()).decode()
    for _ in range(2):  # a local verdict is not cached: Vision judges it once it can
        reply = callable_(call, "analyzeImageBeforeUpload", {"image": image}, user_token)
        assert reply.status_code == 200, reply.get_data(as_text=True)
        result = reply.get_json()["result"]
        assert (result["verdict"], result["allowed"], result["checked"]) == (
            "approved", True, False)
        assert (result["verdictBy"], result["cause"], result["cached"]) == (
            "local_model", "quota_exhausted", False)
    assert vision.request_count == 0


def test_an_image_the_model_cannot_read_is_kept_for_review(local, call, admin_token,
                                                           firestore_client):
    assert callable_(call, "set_vision_api_enabled", {"enabled": False},
                     admin_token).status_code == 200
    # A JPEG header and then garbage: sniffed as an image, undecodable by the model.
    deliver(call, upload(local, "uploads/broken.jpg", b"\xff\xd8\xff\xe0" + b"\x00" * 64,
                         "image/jpeg"))
    (record,) = moderation_records(firestore_client)
    assert record["result"]["status"] == "needs_review"
    assert "no score (bad_image)" in record["result"]["reasons"][0]
