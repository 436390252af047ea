"""No link survives a rejection, end to end on the storage emulator: the metadata of the
objects after each path (quarantined, flagged in place, approved, approved after a
quarantine)."""

from __future__ import annotations

from tests.support.moderation import BUCKET, callable_, deliver, png_bytes, upload

TOKEN = "firebaseStorageDownloadTokens"
LINK = {TOKEN: "token-the-uploader-shared"}


def reject(vision, name: str) -> None:
    vision.set_for_uri(f"gs://{BUCKET}/{name}", {"adult": "VERY_LIKELY"})


def test_a_quarantined_copy_has_no_link_and_no_public_cache(env, call, vision):
    reject(vision, "users/u1/bad.png")
    deliver(call, upload(env, "users/u1/bad.png", png_bytes("red"), metadata=LINK))
    held = env.bucket().get_blob("quarantine/users/u1/bad.png")
    assert held is not None and env.bucket().get_blob("users/u1/bad.png") is None
    assert (held.metadata or {}).get(TOKEN) is None
    assert held.metadata["moderationHadDownloadToken"] == "true"
    assert held.cache_control == "private, no-store"


def test_a_rejection_flagged_in_place_takes_the_link_away(env, call, vision, admin_token,
                                                          firestore_client):
    firestore_client.document("system_config/vision_api").set({"rejectAction": "flag"})
    reject(vision, "users/u1/flagged.png")
    deliver(call, upload(env, "users/u1/flagged.png", png_bytes("red"), metadata=LINK))
    flagged = env.bucket().get_blob("users/u1/flagged.png")
    assert flagged.metadata["moderationStatus"] == "rejected"
    assert (flagged.metadata or {}).get(TOKEN) is None
    assert flagged.cache_control == "private, no-store"


def test_an_approved_image_keeps_its_link(env, call, vision):
    deliver(call, upload(env, "users/u1/fine.png", png_bytes("blue"), metadata=LINK))
    fine = env.bucket().get_blob("users/u1/fine.png")
    assert fine.metadata[TOKEN] == LINK[TOKEN] and fine.cache_control is None


def test_approved_after_a_quarantine_the_image_gets_a_fresh_link(env, call, vision,
                                                                 admin_token,
                                                                 firestore_client):
    import composition

    callable_(call, "setVisionApiFallbackStrategy", {"strategy": "deny"}, admin_token)
    callable_(call, "setVisionApiEnabled", {"enabled": False}, admin_token)
    deliver(call, upload(env, "users/u1/later.png", png_bytes("green"), metadata=LINK))
    held = env.bucket().get_blob("quarantine/users/u1/later.png")
    assert (held.metadata or {}).get(TOKEN) is None
    assert callable_(call, "setVisionApiEnabled", {"enabled": True},
                     admin_token).status_code == 200  # drains the waiting re-check
    assert composition.recheck_queue().drain(60)
    back = env.bucket().get_blob("users/u1/later.png")
    assert back is not None and back.metadata["moderationStatus"] == "approved"
    assert back.metadata[TOKEN] and back.metadata[TOKEN] != LINK[TOKEN]
    assert (back.metadata or {}).get("moderationHadDownloadToken") is None
