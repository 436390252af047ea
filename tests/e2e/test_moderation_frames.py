"""Every frame that matters is judged, end to end: animations whose only bad frame is not
the first, HEIC photos and hostile animations, through the storage trigger and the
pre-upload check, with a Vision stand-in that, like Vision, looks at the first frame of
what it is given and calls a mostly red image adult."""

from __future__ import annotations

import base64
import hashlib

import pytest

from tests.support.animations import RED, heic, innocent_first, red_share
from tests.support.moderation import (
    BUCKET,
    callable_,
    deliver,
    moderation_records,
    png_bytes,
    result_of,
    upload,
    usage,
)

TYPES = {"GIF": "image/gif", "WEBP": "image/webp", "PNG": "image/png", "TIFF": "image/tiff"}


@pytest.fixture
def judge(env, vision):
    """Vision reads the object itself for a gs:// URI, the bytes otherwise; either way it
    looks at the first frame only."""
    def respond(image):
        content = image.content
        if content is None and image.uri and image.uri.startswith(f"gs://{BUCKET}/"):
            content = env.bucket().blob(image.uri[len(f"gs://{BUCKET}/"):]
                                        ).download_as_bytes()
        if content is not None and red_share(content) > 0.05:
            return {"adult": "VERY_LIKELY"}
        return None

    vision.set_responder(respond)
    yield vision
    vision.set_responder(None)


def record(firestore_client, name: str) -> dict:
    (found,) = [r for r in moderation_records(firestore_client) if r["name"] == name]
    return found


def test_a_red_still_image_is_rejected(env, call, judge, firestore_client):
    deliver(call, upload(env, "users/u1/red.png", png_bytes("red")))
    assert record(firestore_client, "users/u1/red.png")["status"] == "rejected"


@pytest.mark.parametrize("image_format", ["GIF", "WEBP", "PNG", "TIFF"])
def test_an_animation_whose_bad_frame_is_not_the_first_is_rejected(
        env, call, judge, firestore_client, image_format):
    name = f"users/u1/anim.{image_format.lower()}"
    content = innocent_first(image_format)
    assert red_share(content) == 0  # its first frame is innocent
    deliver(call, upload(env, name, content, content_type=TYPES[image_format]))
    found = record(firestore_client, name)
    assert found["status"] == "rejected"
    assert usage(firestore_client) == 1 and judge.billable_units == 1  # one sheet, one unit
    (sent,) = [i for r in judge.requests for i in r.images]
    assert sent.content is not None and sent.uri is None  # the sheet, not the object


@pytest.mark.parametrize(("colour", "status"), [(RED, "rejected"), ((20, 40, 220), "approved")])
def test_a_heic_photo_is_judged_as_a_jpeg_and_stays_as_uploaded(env, call, judge,
                                                                firestore_client, colour,
                                                                status):
    photo = heic(colour)
    blob = upload(env, "users/u1/photo.heic", photo, content_type="image/heic")
    deliver(call, blob)
    assert record(firestore_client, "users/u1/photo.heic")["status"] == status
    where = "users/u1/photo.heic" if status == "approved" else "quarantine/users/u1/photo.heic"
    # (Compared by its MD5: the emulator cannot send a Turkish message in download headers.)
    kept = env.bucket().get_blob(where)
    assert kept.md5_hash == base64.b64encode(hashlib.md5(photo).digest()).decode()
    assert kept.content_type == "image/heic"


def test_a_bomb_of_frames_goes_to_a_person_without_a_unit(env, call, judge,
                                                           firestore_client):
    from tests.integration.test_frame_sampler import gif_of_many_frames

    deliver(call, upload(env, "users/u1/bomb.gif", gif_of_many_frames(100_000),
                         content_type="image/gif"))
    found = record(firestore_client, "users/u1/bomb.gif")
    assert (found["status"], found["result"]["cause"]) == ("needs_review", "too_complex")
    assert found["recheck"] is None and judge.request_count == 0 and usage(firestore_client) == 0


def test_the_pre_upload_check_judges_the_frames_too(env, call, judge, no_role_token):
    reply = result_of(callable_(call, "analyzeImageBeforeUpload", {
        "image": base64.b64encode(innocent_first("GIF")).decode()}, no_role_token))
    assert (reply["verdict"], reply["checked"]) == ("rejected", True)
