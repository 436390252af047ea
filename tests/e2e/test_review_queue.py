"""The review queue through the deployed functions (functions-framework), on the Firestore
and storage emulators and the local Vision server: what the trigger queues, a moderator's
list, preview, claim and decision, the uploader's appeal, and every bad input answered in
the caller's language with nothing written."""

from __future__ import annotations

import io
import os
from typing import Any

import pytest
from PIL import Image

from devtools.tokens import mint_id_token
from tests.support.moderation import (
    BUCKET,
    callable_,
    deliver,
    error_of,
    png_bytes,
    result_of,
    upload,
)

PROJECT = os.environ["GOOGLE_CLOUD_PROJECT"]
TURKISH = {"Accept-Language": "tr-TR,tr;q=0.9"}


def token(uid: str, **roles: bool) -> str:
    return mint_id_token(uid, project_id=PROJECT, **roles)


MOD = token("mod-1", moderator=True)
MOD2 = token("mod-2", moderator=True)
ALICE = token("alice")


def rejected_upload(env: Any, call: Any, vision: Any, name: str) -> Any:
    vision.set_for_uri(f"gs://{BUCKET}/{name}", {"adult": "VERY_LIKELY"})
    blob = upload(env, name, png_bytes("red", 64))
    deliver(call, blob)
    return blob


def queue_page(call: Any, data: Any = None, who: str = MOD) -> list[dict[str, Any]]:
    return result_of(callable_(call, "list_review_queue", data or {}, who))["items"]


def count(firestore_client: Any, collection: str) -> int:
    return len(list(firestore_client.collection(collection).list_documents()))


def test_a_quarantined_image_is_looked_at_claimed_approved_and_back_at_its_path(
        env, call, vision, firestore_client):
    import composition

    blob = rejected_upload(env, call, vision, "users/alice/cat.png")
    assert env.bucket().get_blob("users/alice/cat.png") is None
    (item,) = queue_page(call)
    assert (item["cause"], item["uploaderUid"]) == ("quarantined", "alice")
    assert item["scores"]["likelihoods"]["adult"] == "VERY_LIKELY"

    preview = call("review_image", "GET", f"?key={item['key']}", token=MOD)
    assert preview.status_code == 200 and preview.mimetype == "image/jpeg"
    assert "no-store" in preview.headers["Cache-Control"]
    assert max(Image.open(io.BytesIO(preview.get_data())).size) <= 512
    assert count(firestore_client, "admin_actions") == 0
    revealed = call("review_image", "GET", f"?key={item['key']}&reveal=1", token=MOD)
    assert revealed.status_code == 200
    (reveal,) = [d.to_dict() for d in firestore_client.collection("admin_actions").stream()]
    assert reveal["action"] == "review_reveal" and reveal["adminUid"] == "mod-1"

    claimed = result_of(callable_(call, "claim_reviews", {"keys": [item["key"]]}, MOD))
    assert claimed["results"][0]["claimed"] is True
    held = result_of(callable_(call, "claimReviews", {"keys": [item["key"]]}, MOD2))
    assert held["results"][0]["claimed"] is False
    assert held["results"][0]["claimedBy"] == "mod-1"
    assert queue_page(call, who=MOD2)[0]["claimedBy"] == "mod-1"

    units = vision.billable_units
    decided = result_of(callable_(call, "decide_reviews", {"decisions": [
        {"key": item["key"], "decision": "approve", "revision": item["revision"],
         "note": "a cat"}]}, MOD))
    assert decided["decided"] == 1 and decided["results"][0]["code"] == "review.restored"
    back = env.bucket().get_blob("users/alice/cat.png")
    assert back is not None and env.bucket().get_blob("quarantine/users/alice/cat.png") is None
    assert back.metadata["moderationStatus"] == "approved"
    assert back.metadata["moderationDecidedBy"] == "person"
    deliver(call, back)  # the restored copy's finalized event: recognised, not judged again
    assert composition.recheck_queue().drain(30)
    assert vision.billable_units == units
    record = firestore_client.document(f"image_moderation/{item['key']}").get().to_dict()
    assert record["status"] == "approved" and record["decidedBy"] == "person"
    assert blob.generation != back.generation
    actions = [d.to_dict()["action"] for d in firestore_client.collection(
        "admin_actions").stream()]
    assert sorted(actions) == ["review_decision", "review_reveal"]
    assert queue_page(call) == []


def test_an_appeal_arrives_first_and_the_uploader_reads_the_decision(
        env, call, vision, firestore_client):
    from moderation.records import object_key

    rejected_upload(env, call, vision, "users/bob/first.png")
    rejected_upload(env, call, vision, "users/alice/later.png")
    assert queue_page(call)[0]["name"] == "users/bob/first.png"
    reply = result_of(callable_(call, "appealModeration", {
        "path": "users/alice/later.png", "explanation": "Kedim, çıplaklık yok."}, ALICE))
    assert reply["appealed"] is True
    first = queue_page(call)[0]
    assert first["name"] == "users/alice/later.png" and first["appealed"] is True
    copy = firestore_client.document(
        f"image_verdicts/alice/objects/{object_key('users/alice/later.png')}").get().to_dict()
    assert copy["appeal"]["state"] == "waiting"
    notices = [d.to_dict() for d in firestore_client.collection(
        "admin_notifications").stream()]
    assert [n["kind"] for n in notices] == ["review_appeal"]

    again = error_of(callable_(call, "appeal_moderation", {
        "path": "users/alice/later.png", "explanation": "again"}, ALICE))
    assert again["status"] == "FAILED_PRECONDITION"

    callable_(call, "decide_reviews", {"decisions": [
        {"key": first["key"], "decision": "reject"}]}, MOD)
    copy = firestore_client.document(
        f"image_verdicts/alice/objects/{object_key('users/alice/later.png')}").get().to_dict()
    assert copy["status"] == "rejected" and copy["appeal"]["state"] == "decided"
    assert copy["review"]["messages"]["tr"].startswith("Bir moderatör")
    assert env.bucket().get_blob("quarantine/users/alice/later.png") is not None


@pytest.mark.parametrize(("name", "data"), [
    ("list_review_queue", {"cause": "nsfw"}),
    ("list_review_queue", {"limit": 1000}),
    ("claim_reviews", {"keys": "everything"}),
    ("claim_reviews", {"keys": ["a" * 64] * 51}),
    ("decide_reviews", {"decisions": [{"key": "a" * 64, "decision": "delete"}]}),
    ("decide_reviews", {"decisions": [{"key": "a" * 64, "decision": "approve",
                                       "note": "n" * 501}]}),
    ("decide_reviews", {"decisions": []}),
    ("appeal_moderation", {"path": "users/alice/x.png", "explanation": ""}),
    ("appeal_moderation", {"path": "users/alice/x.png"}),
])
def test_bad_input_is_invalid_argument_in_turkish_and_writes_nothing(
        env, call, vision, firestore_client, name, data):
    rejected_upload(env, call, vision, "users/alice/x.png")
    before = [d.to_dict() for d in firestore_client.collection("review_queue").stream()]
    who = ALICE if name == "appeal_moderation" else MOD
    reply = call(name, "POST", token=who, headers=TURKISH, json={"data": data})
    error = error_of(reply)
    assert reply.status_code == 400 and error["status"] == "INVALID_ARGUMENT"
    assert any(ch in error["message"] for ch in "ıİşŞğĞüÜöÖçÇ"), error["message"]
    assert [d.to_dict() for d in firestore_client.collection("review_queue").stream()] == \
        before
    assert count(firestore_client, "admin_actions") == 0


@pytest.mark.parametrize("who", ["nobody", "staff", "fake_claim"])
def test_no_role_staff_and_a_fake_claim_are_refused_everything_a_moderator_does(
        env, call, vision, firestore_client, who):
    tokens = {"nobody": token("member-1"), "staff": token("staff-1", staff=True),
              "fake_claim": mint_id_token("mallory", project_id=PROJECT,
                                          claims={"moderator": "true"})}
    rejected_upload(env, call, vision, "users/alice/y.png")
    key = queue_page(call)[0]["key"]
    for name, data in [("list_review_queue", {}), ("claim_reviews", {"keys": [key]}),
                       ("decide_reviews", {"decisions": [{"key": key,
                                                          "decision": "approve"}]}),
                       ("get_review_status", {})]:
        reply = call(name, "POST", token=tokens[who], headers=TURKISH, json={"data": data})
        error = error_of(reply)
        assert (reply.status_code, error["status"]) == (403, "PERMISSION_DENIED"), name
        assert "moderatör" in error["message"]
    preview = call("review_image", "GET", f"?key={key}", token=tokens[who])
    assert preview.status_code == 403
    assert env.bucket().get_blob("quarantine/users/alice/y.png") is not None
    assert queue_page(call)[0]["claimedBy"] is None
    assert count(firestore_client, "admin_actions") == 0


def test_the_backlog_says_what_waits(env, call, vision):
    rejected_upload(env, call, vision, "users/alice/z.png")
    status = result_of(callable_(call, "get_review_status", {}, MOD))
    assert status["byCause"]["quarantined"] == 1 and status["waiting"] == 1
    assert status["overdue"] is False and status["slaHours"] == 24


def test_twenty_moderators_claiming_at_once_never_share_an_image(env, call, vision):
    from concurrent.futures import ThreadPoolExecutor

    for n in range(5):
        rejected_upload(env, call, vision, f"users/u{n}/c.png")
    keys = [i["key"] for i in queue_page(call)]

    def claim(n: int) -> list[str]:
        reply = callable_(call, "claim_reviews", {"keys": keys}, token(f"m{n}", moderator=True))
        return [r["key"] for r in result_of(reply)["results"] if r["claimed"]]

    with ThreadPoolExecutor(20) as pool:
        won = list(pool.map(claim, range(20)))
    claimed = [key for keys_won in won for key in keys_won]
    assert sorted(claimed) == sorted(keys)  # each image to exactly one moderator
    owners = {i["key"]: i["claimedBy"] for i in queue_page(call)}
    assert all(owners[key] == f"m{n}" for n, mine in enumerate(won) for key in mine)


def test_twenty_moderators_deciding_one_image_at_once_decide_it_once(
        env, call, vision, firestore_client):
    from concurrent.futures import ThreadPoolExecutor

    rejected_upload(env, call, vision, "users/alice/race.png")
    (item,) = queue_page(call)

    def decide(n: int) -> dict[str, Any]:
        reply = callable_(call, "decide_reviews", {"decisions": [
            {"key": item["key"], "decision": "approve" if n % 2 else "reject",
             "revision": item["revision"]}]}, token(f"m{n}", moderator=True))
        return result_of(reply)["results"][0]

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(decide, range(20)))
    winners = [a for a in answers if a["ok"]]
    assert len(winners) == 1, answers
    assert {a["reason"] for a in answers if not a["ok"]} <= {"held", "decided", "stale"}
    actions = [d.to_dict() for d in firestore_client.collection("admin_actions").stream()]
    assert [a["action"] for a in actions] == ["review_decision"]
    restored = env.bucket().get_blob("users/alice/race.png")
    held = env.bucket().get_blob("quarantine/users/alice/race.png")
    if winners[0]["decision"] == "approve":
        assert restored is not None and held is None
    else:
        assert restored is None and held is not None
    assert queue_page(call, {"state": "decided"})[0]["decision"]["decision"] == \
        winners[0]["decision"]


def test_a_recheck_that_settles_a_held_image_takes_it_out_of_the_queue(
        env, call, vision, firestore_client):
    import composition

    admin = token("admin-1", admin=True)
    callable_(call, "setVisionApiFallbackStrategy", {"strategy": "deny"}, admin)
    callable_(call, "setVisionApiEnabled", {"enabled": False}, admin)
    deliver(call, upload(env, "users/alice/held.png", png_bytes("green", 16)))
    (item,) = queue_page(call)
    assert item["cause"] == "quarantined" and item["reason"] == "disabled"
    callable_(call, "setVisionApiEnabled", {"enabled": True}, admin)  # drains the re-check
    assert composition.recheck_queue().drain(60)
    assert queue_page(call) == []
    settled = firestore_client.document(f"review_queue/{item['key']}").get().to_dict()
    assert settled["state"] == "settled" and settled["latestResult"]["status"] == "approved"
    assert env.bucket().get_blob("users/alice/held.png") is not None
