"""Image moderation end to end: real CloudEvents through functions-framework and the
firebase-functions storage wrapper, callables through the callable protocol, the real
google-cloud-vision client against a local Vision server, Cloud Storage in
gcp-storage-emulator, the quota ledger on the Firestore emulator."""

from __future__ import annotations

import base64
import json

import pytest

from tests.support.moderation import (
    BUCKET,
    callable_,
    deliver,
    moderation_records,
    png_bytes,
    upload,
    usage,
)

# -- the storage trigger --------------------------------------------------------------------

def test_safe_image_is_approved_recorded_and_counted_once(env, call, vision, firestore_client):
    blob = upload(env, "uploads/alice/cat.png", png_bytes(), metadata={"uploaderUid": "alice"})
    deliver(call, blob, event_id="e1")
    deliver(call, blob, event_id="e1")  # the same event delivered again
    deliver(call, blob, event_id="e2")  # the same object in another event

    assert vision.request_count == 1
    assert usage(firestore_client) == 1
    (record,) = moderation_records(firestore_client)
    assert (record["status"], record["message"]) == ("approved", "The image passed moderation.")
    assert record["result"]["status"] == "approved" and record["recheck"] is None
    assert record["uploaderUid"] == "alice" and record["name"] == "uploads/alice/cat.png"
    assert record["location"] == {"name": "uploads/alice/cat.png",
                                  "generation": str(blob.generation)}
    # The uploader reads this record: the ledger's bookkeeping lives elsewhere.
    assert not {"leaseOwner", "leaseUntil", "deliveries", "eventId", "state"} & set(record)
    (job,) = [d.to_dict() for d in firestore_client.collection("moderation_jobs").stream()]
    assert job["state"] == "done" and job["deliveries"] == 1 and job["eventId"] == "e1"
    blob.reload()
    assert blob.metadata["moderationStatus"] == "approved"
    assert blob.metadata["uploaderUid"] == "alice"  # existing metadata kept


def test_the_uploader_comes_from_the_path_never_from_client_metadata(env, call,
                                                                     firestore_client):
    # alice uploads under her own path and claims, in metadata she wrote, to be bob.
    deliver(call, upload(env, "users/alice/forged.png", png_bytes(),
                         metadata={"uploaderUid": "bob", "uid": "bob", "ownerUid": "bob"}))
    # An object outside the per-user paths has no uploader, whatever its metadata says.
    deliver(call, upload(env, "public/x.png", png_bytes(), metadata={"uploaderUid": "bob"}))
    owners = {r["name"]: r["uploaderUid"] for r in moderation_records(firestore_client)}
    assert owners == {"users/alice/forged.png": "alice", "public/x.png": None}


def test_out_of_order_generations_are_each_judged_once(env, call, vision, firestore_client):
    first = upload(env, "uploads/a.png", png_bytes("blue"))
    second = upload(env, "uploads/b.png", png_bytes("green"))
    for blob in (second, first, second, first):
        deliver(call, blob)
    assert vision.request_count == 2
    assert usage(firestore_client) == 2
    assert len(moderation_records(firestore_client)) == 2


def test_unsafe_image_is_quarantined(env, call, vision, firestore_client):
    blob = upload(env, "uploads/bad.png", png_bytes())
    vision.set_for_uri(f"gs://{BUCKET}/uploads/bad.png", {"adult": "VERY_LIKELY"})
    deliver(call, blob)
    assert env.bucket().get_blob("uploads/bad.png") is None
    moved = env.bucket().get_blob("quarantine/uploads/bad.png")
    assert moved is not None and moved.metadata["moderationStatus"] == "rejected"
    assert "adult=VERY_LIKELY" in moved.metadata["moderationReasons"]
    (record,) = moderation_records(firestore_client)
    assert record["result"]["status"] == "rejected"
    # The quarantined copy's own finalize event is our output: skipped, not judged again.
    deliver(call, moved)
    assert vision.request_count == 1


@pytest.mark.parametrize("name, data, content_type", [
    ("uploads/empty.png", b"", "image/png"),
    ("uploads/notes.txt", b"just text", "text/plain"),
    ("quarantine/old.png", png_bytes(), "image/png"),
])
def test_objects_it_cannot_judge_are_skipped_without_cost(env, call, vision, firestore_client,
                                                          name, data, content_type):
    deliver(call, upload(env, name, data, content_type))
    assert vision.request_count == 0
    assert moderation_records(firestore_client) == []
    assert usage(firestore_client) == 0


def test_spoofed_content_type_is_rejected_without_calling_vision(env, call, vision,
                                                                 firestore_client):
    blob = upload(env, "uploads/fake.jpg", b"<html><script>alert(1)</script></html>",
                  "image/jpeg")
    deliver(call, blob)
    assert vision.request_count == 0
    assert env.bucket().get_blob("quarantine/uploads/fake.jpg") is not None
    (record,) = moderation_records(firestore_client)
    assert record["result"]["status"] == "rejected"
    assert record["result"]["cause"] == "spoofed_content_type"
    assert record["name"] == "uploads/fake.jpg"  # described like any other record
    assert usage(firestore_client) == 0


def test_vision_failure_follows_deny_and_gives_the_unit_back(env, call, vision, admin_token,
                                                             firestore_client):
    reply = callable_(call, "setVisionApiFallbackStrategy", {"strategy": "deny"}, admin_token)
    assert reply.status_code == 200, reply.get_data(as_text=True)
    vision.fail_unavailable()
    blob = upload(env, "uploads/x.png", png_bytes())
    deliver(call, blob)
    assert env.bucket().get_blob("uploads/x.png") is None  # denied: moved, never deleted
    moved = env.bucket().get_blob("quarantine/uploads/x.png")
    assert moved.metadata["moderationStatus"] == "rejected"
    assert "unavailable" in moved.metadata["moderationMessage"]
    assert usage(firestore_client) == 0  # the reserved unit was given back


@pytest.mark.parametrize("strategy, status", [("allow", "unchecked"), ("warn", "needs_review")])
def test_disabled_vision_is_never_called_and_the_strategy_applies(
        env, call, vision, admin_token, firestore_client, strategy, status):
    assert callable_(call, "set_vision_api_enabled", {"enabled": False},
                     admin_token).status_code == 200
    assert callable_(call, "set_vision_api_fallback_strategy", {"strategy": strategy},
                     admin_token).status_code == 200
    blob = upload(env, "uploads/bob/y.png", png_bytes())
    deliver(call, blob)
    assert vision.request_count == 0
    (record,) = moderation_records(firestore_client)
    assert record["uploaderUid"] == "bob"  # the uploader can read it (firestore.rules)
    blob.reload()
    assert blob.metadata["moderationStatus"] == status
    assert blob.metadata["moderationCause"] == "disabled"


def test_exhausted_quota_stops_vision_at_the_limit(env, call, vision, admin_token,
                                                   firestore_client):
    assert callable_(call, "setVisionApiMonthlyQuota", {"limit": 2},
                     admin_token).status_code == 200
    for i in range(4):
        deliver(call, upload(env, f"uploads/{i}.png", png_bytes()))
    assert vision.request_count == 2
    assert usage(firestore_client) == 2
    statuses = sorted(r["result"]["status"] for r in moderation_records(firestore_client))
    assert statuses == ["approved", "approved", "needs_review", "needs_review"]


def test_image_too_large_for_vision_follows_the_admins_strategy(env, call, vision,
                                                                admin_token, firestore_client):
    assert callable_(call, "setVisionApiFallbackStrategy", {"strategy": "deny"},
                     admin_token).status_code == 200
    blob = upload(env, "uploads/huge.png", png_bytes())
    deliver(call, blob, size=25 * 1024 * 1024)  # the event says 25 MB: over Vision's 20 MB
    assert vision.request_count == 0
    moved = env.bucket().get_blob("quarantine/uploads/huge.png")
    assert moved is not None and moved.metadata["moderationCause"] == "too_large"
    assert usage(firestore_client) == 0


def test_billing_disabled_keeps_the_image(env, call, vision, firestore_client):
    vision.fail_billing_disabled()
    blob = upload(env, "uploads/z.png", png_bytes())
    deliver(call, blob)
    blob.reload()
    assert blob.metadata["moderationStatus"] == "needs_review"
    assert blob.metadata["moderationCause"] == "billing_disabled"
    assert usage(firestore_client) == 0


# -- analyze before upload ------------------------------------------------------------------

def test_analyze_same_bytes_twice_costs_one_unit(env, call, vision, user_token,
                                                 firestore_client):
    image = base64.b64encode(png_bytes("purple")).decode()
    first = callable_(call, "analyze_image_before_upload", {"image": image}, user_token)
    assert first.status_code == 200, first.get_data(as_text=True)
    result = first.get_json()["result"]
    assert result["verdict"] == "approved" and result["allowed"] is True
    assert result["cached"] is False
    second = callable_(call, "analyzeImageBeforeUpload", {"image": image}, user_token)
    assert second.get_json()["result"]["cached"] is True
    assert vision.request_count == 1 and usage(firestore_client) == 1


def test_analyze_a_path_in_our_bucket(env, call, vision, user_token):
    uid = token_uid(user_token)
    upload(env, f"uploads/{uid}/check.png", png_bytes("yellow"))
    reply = callable_(call, "analyze_image_before_upload",
                      {"path": f"uploads/{uid}/check.png"}, user_token)
    assert reply.status_code == 200 and reply.get_json()["result"]["verdict"] == "approved"
    missing = callable_(call, "analyze_image_before_upload",
                        {"path": f"uploads/{uid}/none.png"}, user_token)
    assert missing.get_json()["error"]["status"] == "NOT_FOUND"


def test_analyze_refuses_a_path_the_caller_may_not_read(env, call, vision, user_token):
    upload(env, "users/someone-else/private.png", png_bytes("yellow"))
    for path in ("users/someone-else/private.png", "users/someone-else/none.png",
                 "uploads/check.png"):
        reply = callable_(call, "analyze_image_before_upload", {"path": path}, user_token)
        assert reply.get_json()["error"]["status"] == "PERMISSION_DENIED"
    assert vision.request_count == 0


def token_uid(token: str) -> str:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"]


@pytest.mark.parametrize("data, fragment", [
    ({"image": "%%% not base64 %%%"}, "base64"),
    ({"image": base64.b64encode(b"plain text, not an image").decode()}, "not an image"),
    ({"image": base64.b64encode(b"\x89PNG" + b"0" * (5 * 1024 * 1024)).decode()}, "KB"),
    ({"path": "https://example.com/cat.png"}, "not a URL"),
    ({"path": "gs://other-bucket/cat.png"}, "not a URL"),
    ({"path": "../secrets.png"}, "path"),
    ({}, "either"),
    ("just a string", "either"),
])
def test_analyze_bad_input_is_invalid_argument(env, call, vision, user_token, data, fragment):
    reply = callable_(call, "analyze_image_before_upload", data, user_token)
    assert reply.status_code == 400, reply.get_data(as_text=True)
    error = reply.get_json()["error"]
    assert error["status"] == "INVALID_ARGUMENT"
    assert fragment in error["message"]
    assert vision.request_count == 0


def test_analyze_needs_a_signed_in_caller(env, call):
    reply = callable_(call, "analyze_image_before_upload", {"image": "AAAA"})
    assert reply.status_code == 401
    assert reply.get_json()["error"]["status"] == "UNAUTHENTICATED"


# -- admin callables ------------------------------------------------------------------------

ADMIN_CALLS = [
    ("get_vision_api_quota_status", {}),
    ("getVisionApiQuotaStatus", {}),
    ("set_vision_api_enabled", {"enabled": True}),
    ("setVisionApiEnabled", {"enabled": True}),
    ("set_vision_api_fallback_strategy", {"strategy": "deny"}),
    ("setVisionApiFallbackStrategy", {"strategy": "deny"}),
    ("set_vision_api_monthly_quota", {"limit": 10}),
    ("setVisionApiMonthlyQuota", {"limit": 10}),
    ("reset_vision_api_quota", {}),
    ("resetVisionApiQuota", {}),
]


@pytest.mark.parametrize("name, data", ADMIN_CALLS)
def test_admin_callables_refuse_users_and_signed_out_callers(env, call, user_token,
                                                             no_role_token, firestore_client,
                                                             name, data):
    for token in (user_token, no_role_token):  # staff, and someone who merely signed up
        denied = callable_(call, name, data, token)
        assert denied.status_code == 403
        assert denied.get_json()["error"]["status"] == "PERMISSION_DENIED"
        assert "admin: true" in denied.get_json()["error"]["message"]
    anonymous = callable_(call, name, data)
    assert anonymous.status_code == 401
    assert anonymous.get_json()["error"]["status"] == "UNAUTHENTICATED"
    assert list(firestore_client.collection("admin_actions").stream()) == []
    assert list(firestore_client.collection("system_config").stream()) == []


@pytest.mark.parametrize("name, data, field", [
    ("set_vision_api_enabled", {"enabled": "yes"}, "enabled"),
    ("set_vision_api_enabled", {}, "enabled"),
    ("set_vision_api_fallback_strategy", {"strategy": "maybe"}, "strategy"),
    ("set_vision_api_monthly_quota", {"limit": -1}, "limit"),
    ("set_vision_api_monthly_quota", {"limit": "lots"}, "limit"),
    ("set_vision_api_monthly_quota", {"limit": 1.5}, "limit"),
])
def test_admin_bad_input_names_the_field(env, call, admin_token, firestore_client, name, data,
                                         field):
    reply = callable_(call, name, data, admin_token)
    assert reply.status_code == 400
    error = reply.get_json()["error"]
    assert error["status"] == "INVALID_ARGUMENT" and f"'{field}'" in error["message"]
    assert list(firestore_client.collection("admin_actions").stream()) == []


def test_admin_changes_persist_are_audited_and_reset_keeps_history(
        env, call, admin_token, firestore_client):
    deliver(call, upload(env, "uploads/one.png", png_bytes()))
    assert callable_(call, "setVisionApiMonthlyQuota", {"limit": 500},
                     admin_token).status_code == 200
    status = callable_(call, "getVisionApiQuotaStatus", {}, admin_token).get_json()["result"]
    assert status["used"] == 1 and status["limit"] == 500 and status["remaining"] == 499
    assert status["enabled"] is True and status["strategy"] == "warn"
    assert {"monthKey", "projectedMonthEndUsage", "projectedCostUsd"} <= set(status)

    reset = callable_(call, "resetVisionApiQuota", {}, admin_token).get_json()["result"]
    assert reset["previousUsage"] == 1
    month = firestore_client.collection("vision_api_quota").document(status["monthKey"]).get()
    assert month.exists and month.to_dict()["usageCount"] == 0  # kept, not deleted
    actions = sorted((a.to_dict() for a in firestore_client.collection("admin_actions").stream()),
                     key=lambda a: a["at"])
    assert [a["action"] for a in actions][-1].lower().startswith("reset")
    assert actions[-1]["adminUid"] == "admin-1"
    assert actions[-1]["before"]["usageCount"] == 1
    config = firestore_client.collection("system_config").document("vision_api").get().to_dict()
    assert config["monthlyLimit"] == 500 and config["updatedBy"] == "admin-1"
