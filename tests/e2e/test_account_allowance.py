"""Per-account Vision allowances and abuse flags end to end: the storage trigger, the
pre-upload check and the deferred re-check through the functions framework, on the
Firestore emulator, the storage emulator and the local Vision server."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support.fakes import FakeClock
from tests.support.moderation import (
    callable_,
    deliver,
    error_of,
    moderation_records,
    png_bytes,
    result_of,
    upload,
    usage,
)

TURKISH = {"Accept-Language": "tr-TR,tr;q=0.9"}
COLORS = ["red", "green", "blue", "white", "black", "yellow", "orange", "purple", "pink",
          "gray", "cyan", "magenta", "navy", "olive", "teal"]


@pytest.fixture
def clock(fast, monkeypatch) -> FakeClock:
    """The functions' clock, moved by hand: 04:00 on 10 November in Los Angeles."""
    import composition

    clock = FakeClock(datetime(2026, 11, 10, 12, 0, tzinfo=UTC))
    monkeypatch.setattr(composition, "utc_now", clock)
    composition.reset()
    return clock


def set_allowance(call: Any, admin_token: str, **fields: Any) -> dict:
    return result_of(callable_(call, "setVisionApiAccountAllowance", fields, admin_token))


def records(firestore_client: Any) -> dict[str, dict]:
    return {r["name"]: r for r in moderation_records(firestore_client)}


def account(firestore_client: Any, uid: str, month: str | None = None) -> dict:
    import composition
    from moderation.quota import month_key

    month = month or month_key(composition.utc_now(), composition.settings().quota_timezone)
    snap = firestore_client.document(f"vision_api_quota/{month}/accounts/{uid}").get()
    return snap.to_dict() or {}


def wait_for_rechecks() -> None:
    import composition

    assert composition.recheck_queue().drain(60), "the re-check queue did not drain"


def analyze(call: Any, token: str, data: dict, headers: dict | None = None) -> Any:
    return call("analyzeImageBeforeUpload", "POST", token=token, json={"data": data},
                headers=headers)


def b64(data: bytes) -> str:
    import base64

    return base64.b64encode(data).decode()


# -- the storage trigger and the re-check ----------------------------------------------------

def test_over_the_allowance_an_upload_gets_the_fallback_and_is_judged_when_it_renews(
        fast, clock, call, vision, admin_token, firestore_client):
    import composition

    set_allowance(call, admin_token, new_account_daily=2)
    blobs = [upload(fast, f"users/mallory/{i}.png", png_bytes(COLORS[i])) for i in range(4)]
    for blob in blobs:
        deliver(call, blob)

    seen = records(firestore_client)
    assert [seen[b.name]["result"]["status"] for b in blobs] == [
        "approved", "approved", "needs_review", "needs_review"]
    held = seen[blobs[2].name]
    assert held["result"]["cause"] == "account_allowance"
    assert held["result"]["renewsAt"] == "2026-11-11T08:00:00+00:00"  # midnight in LA
    assert "until 2026-11-11 08:00 UTC" in held["messages"]["en"]
    assert "2026-11-11 08:00 UTC tarihine kadar" in held["messages"]["tr"]
    blobs[2].reload()
    assert blobs[2].metadata["moderationCause"] == "account_allowance"
    waiting = [d.to_dict() for d in firestore_client.collection("moderation_rechecks")
               .stream()]
    assert sorted((w["state"], w["waitingFor"], w["notBefore"]) for w in waiting) == [
        ("waiting", "account_allowance", datetime(2026, 11, 11, 8, 0, tzinfo=UTC))] * 2
    assert usage(firestore_client) == 2 and vision.billable_units == 2

    rechecks = composition.moderation_rechecks()
    assert rechecks.sweep()["drained"] == 0  # not renewed yet
    clock.now = datetime(2026, 11, 11, 8, 1, tzinfo=UTC)
    assert rechecks.sweep()["drained"] == 2
    wait_for_rechecks()

    seen = records(firestore_client)
    assert {seen[b.name]["result"]["status"] for b in blobs} == {"approved"}
    assert usage(firestore_client) == 4 and vision.billable_units == 4
    mallory = account(firestore_client, "mallory")
    assert (mallory["units"], mallory["day"], mallory["dayUnits"]) == (4, "2026_11_11", 2)


def test_a_waiting_recheck_takes_no_more_than_the_renewed_allowance(
        fast, clock, call, vision, admin_token, firestore_client):
    import composition

    set_allowance(call, admin_token, new_account_daily=1)
    blobs = [upload(fast, f"users/oscar/{i}.png", png_bytes(COLORS[i])) for i in range(4)]
    for blob in blobs:
        deliver(call, blob)
        clock.now += timedelta(seconds=1)  # queued one after the other
    assert usage(firestore_client) == 1
    clock.now = datetime(2026, 11, 11, 9, 0, tzinfo=UTC)
    assert composition.moderation_rechecks().sweep()["drained"] == 1  # oldest first
    wait_for_rechecks()
    seen = records(firestore_client)
    assert [seen[b.name]["result"]["status"] for b in blobs] == [
        "approved", "approved", "needs_review", "needs_review"]
    # The others look again at the next renewal, behind everybody else.
    later = sorted(d.to_dict()["notBefore"] for d in firestore_client.collection(
        "moderation_rechecks").stream() if d.to_dict()["state"] == "waiting")
    assert later == [datetime(2026, 11, 12, 8, 0, tzinfo=UTC)] * 2


def test_the_monthly_allowance_renews_with_the_month(fast, clock, call, vision, admin_token,
                                                     firestore_client):
    import composition

    set_allowance(call, admin_token, new_account_daily=10, monthly=1)
    clock.now = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)  # 23:00 on 30 November in LA
    first, second = (upload(fast, f"users/nina/{i}.png", png_bytes(COLORS[i]))
                     for i in range(2))
    deliver(call, first)
    deliver(call, second)
    held = records(firestore_client)[second.name]["result"]
    assert (held["cause"], held["renewsAt"]) == ("account_allowance",
                                                 "2026-12-01T08:00:00+00:00")
    clock.now = datetime(2026, 12, 1, 8, 0, 30, tzinfo=UTC)
    assert composition.moderation_rechecks().sweep()["drained"] == 1
    wait_for_rechecks()
    assert records(firestore_client)[second.name]["result"]["status"] == "approved"
    assert account(firestore_client, "nina", "2026_12")["units"] == 1
    assert account(firestore_client, "nina", "2026_11")["units"] == 1


def test_a_redelivery_is_charged_once_and_a_failed_call_is_given_back(
        env, call, vision, admin_token, firestore_client):
    # (env: the re-check of the failed call waits its 30 s, after this test)
    blob = upload(env, "users/rita/a.png", png_bytes("red"))
    deliver(call, blob)
    deliver(call, blob)  # the same event again
    assert account(firestore_client, "rita")["units"] == 1
    vision.fail_unavailable()  # (the Vision client retries a 503 within its timeout)
    failed = upload(env, "users/rita/b.png", png_bytes("blue"))
    deliver(call, failed)
    vision.reset()
    rita = account(firestore_client, "rita")
    assert (rita["units"], rita["dayUnits"]) == (1, 1), "the refund gave the account its unit"
    assert usage(firestore_client) == 1


def test_images_outside_any_users_folder_share_the_unattributed_allowance(
        fast, call, vision, admin_token, firestore_client):
    set_allowance(call, admin_token, unattributed_daily=2)
    blobs = [upload(fast, f"public/{i}.png", png_bytes(COLORS[i])) for i in range(3)]
    for blob in blobs:
        deliver(call, blob)
    seen = records(firestore_client)
    assert [seen[b.name]["result"]["cause"] for b in blobs] == [None, None,
                                                               "account_allowance"]
    assert account(firestore_client, "~unattributed")["units"] == 2


def test_exempt_roles_are_not_limited_and_the_status_shows_the_top_accounts(
        fast, auth_accounts, call, vision, admin_token, firestore_client):
    from firebase_admin import auth

    import composition

    composition._firebase_app()
    auth.create_user(uid="admin-1")  # the caller of the admin callables: Auth knows it
    auth.set_custom_user_claims("admin-1", {"admin": True})
    staff = auth.create_user(uid="stella", email="stella@example.com").uid
    auth.set_custom_user_claims(staff, {"staff": True})
    newcomer = auth.create_user(uid="nick", email="nick@example.com").uid
    set_allowance(call, admin_token, new_account_daily=1, daily=1)
    for i in range(3):
        deliver(call, upload(fast, f"users/{staff}/{i}.png", png_bytes(COLORS[i])))
        deliver(call, upload(fast, f"users/{newcomer}/{i}.png", png_bytes(COLORS[i + 3])))
    seen = records(firestore_client)
    causes = {name: r["result"]["cause"] for name, r in seen.items()}
    assert [causes[f"users/{staff}/{i}.png"] for i in range(3)] == [None] * 3
    assert [causes[f"users/{newcomer}/{i}.png"] for i in range(3)] == [
        None, "account_allowance", "account_allowance"]
    status = result_of(callable_(call, "getVisionApiQuotaStatus", {}, admin_token))
    top = [(a["uid"], a["email"], a["unitsThisMonth"], a["unitsToday"], a["flagged"])
           for a in status["topAccounts"]]
    assert top == [(staff, "stella@example.com", 3, 3, False),
                   (newcomer, "nick@example.com", 1, 1, False)]
    assert status["allowance"]["daily"] == 1


# -- the pre-upload check --------------------------------------------------------------------

def test_the_pre_upload_check_over_the_allowance_is_429_before_reading_anything(
        fast, call, vision, admin_token, no_role_token, firestore_client):
    set_allowance(call, admin_token, new_account_daily=2)
    for color in ("red", "blue"):
        assert analyze(call, no_role_token, {"image": b64(png_bytes(color))}).status_code \
            == 200
    over = analyze(call, no_role_token, {"image": b64(png_bytes("green"))})
    assert over.status_code == 429
    error = error_of(over)
    assert error["status"] == "RESOURCE_EXHAUSTED"
    assert error["message"].startswith("This account has used up its image checks until ")
    # A path that does not exist is not even looked at: the allowance answers first.
    missing = analyze(call, no_role_token, {"path": "users/member-1/none.png"}, TURKISH)
    assert missing.status_code == 429
    assert "tarihine kadar kullandı" in error_of(missing)["message"]
    assert usage(firestore_client) == 2 and vision.billable_units == 2


def test_concurrent_checks_at_the_edge_spend_exactly_the_allowance(
        fast, call, vision, admin_token, no_role_token, firestore_client):
    set_allowance(call, admin_token, new_account_daily=3)
    start = threading.Barrier(10)

    def one(i: int) -> int:
        start.wait()
        return analyze(call, no_role_token, {"image": b64(png_bytes(COLORS[i]))}).status_code

    with ThreadPoolExecutor(10) as pool:
        codes = list(pool.map(one, range(10)))
    assert sorted(codes) == [200] * 3 + [429] * 7
    assert usage(firestore_client) == 3 and vision.billable_units == 3
    assert account(firestore_client, "member-1")["units"] == 3


# -- flags -----------------------------------------------------------------------------------

def test_three_rejections_flag_an_account_whose_uploads_then_wait_for_a_person(
        fast, call, vision, admin_token, firestore_client):
    from tests.support.moderation import BUCKET

    for i in range(3):
        vision.set_for_uri(f"gs://{BUCKET}/users/eve/bad{i}.png", {"adult": "VERY_LIKELY"})
        deliver(call, upload(fast, f"users/eve/bad{i}.png", png_bytes(COLORS[i])))
    notices = [d.to_dict() for d in firestore_client.collection("admin_notifications")
               .stream()]
    assert [(n["kind"], n["uid"]) for n in notices] == [("vision_account_flagged", "eve")]
    before = vision.request_count
    deliver(call, upload(fast, "users/eve/next.png", png_bytes("white")))
    held = records(firestore_client)["users/eve/next.png"]
    assert (held["result"]["status"], held["result"]["cause"]) == ("needs_review",
                                                                  "account_flagged")
    assert held["recheck"] is None  # a person decides, not a later Vision call
    assert vision.request_count == before and usage(firestore_client) == 3

    reply = result_of(callable_(call, "manageVisionAccount", {"uid": "eve",
                                                              "action": "unflag"},
                                admin_token))
    assert (reply["before"]["flagged"], reply["after"]["flagged"]) == (True, False)
    deliver(call, upload(fast, "users/eve/after.png", png_bytes("black")))
    assert records(firestore_client)["users/eve/after.png"]["result"]["status"] == "approved"
    audit = [d.to_dict() for d in firestore_client.collection("admin_actions").stream()]
    assert [(a["action"], a["target"]["uid"]) for a in audit
            if a["action"].startswith("vision_account")] == [("vision_account_unflag", "eve")]


# -- the admin callables ---------------------------------------------------------------------

@pytest.mark.parametrize(("name", "data", "turkish"), [
    ("setVisionApiAccountAllowance", {}, "alanlardan en az birini"),
    ("setVisionApiAccountAllowance", {"daily": -1}, "'daily' 0 ile"),
    ("setVisionApiAccountAllowance", {"exempt_roles": ["owner"]}, "'exempt_roles'"),
    ("setVisionApiAccountAllowance", {"weekly": 1}, "'weekly' bu fonksiyonun"),
    ("manageVisionAccount", {"uid": "eve", "action": "ban"}, "'action' şunlardan biri"),
    ("manageVisionAccount", {"action": "flag"}, "'uid' bir hesabın"),
])
def test_bad_input_to_the_account_callables_is_refused_in_the_callers_language(
        fast, call, admin_token, firestore_client, name, data, turkish):
    reply = call(name, "POST", token=admin_token, json={"data": data}, headers=TURKISH)
    assert reply.status_code == 400
    error = error_of(reply)
    assert error["status"] == "INVALID_ARGUMENT" and turkish in error["message"]
    assert list(firestore_client.collection("admin_actions").stream()) == []
    assert not firestore_client.document("system_config/vision_api").get().exists


@pytest.mark.parametrize("name", ["setVisionApiAccountAllowance",
                                  "set_vision_api_account_allowance", "manageVisionAccount",
                                  "manage_vision_account"])
def test_only_admins_manage_allowances_and_accounts(fast, call, user_token, no_role_token,
                                                    firestore_client, name):
    data = {"daily": 1} if "allowance" in name.lower() else {"uid": "x", "action": "flag"}
    for token, status in ((None, 401), (no_role_token, 403), (user_token, 403)):
        assert call(name, "POST", token=token, json={"data": data}).status_code == status
    assert list(firestore_client.collection("admin_actions").stream()) == []
    assert list(firestore_client.collection("vision_accounts").stream()) == []


def test_an_allowance_change_is_audited_and_in_force_at_once(
        fast, call, admin_token, firestore_client):
    reply = set_allowance(call, admin_token, daily=7, exempt_roles=["admin"])
    assert reply["allowance"]["daily"] == 7 and reply["previous"]["daily"] == 20
    status = result_of(callable_(call, "getVisionApiQuotaStatus", {}, admin_token))
    assert (status["allowance"]["daily"], status["allowance"]["exempt_roles"]) == (7,
                                                                                 ["admin"])
    (record,) = [d.to_dict() for d in firestore_client.collection("admin_actions").stream()]
    assert (record["action"], record["adminUid"], record["after"]["daily"]) == (
        "set_vision_account_allowance", "admin-1", 7)
    for action in ("flag", "reset_day", "unflag"):
        result_of(callable_(call, "manage_vision_account", {"uid": "zed", "action": action},
                            admin_token))
    actions = sorted(d.to_dict()["action"] for d in firestore_client.collection(
        "admin_actions").stream())
    assert actions == ["set_vision_account_allowance", "vision_account_flag",
                       "vision_account_reset_day", "vision_account_unflag"]


def test_a_new_day_starts_in_the_quota_time_zone(fast, clock, call, vision, admin_token,
                                                 firestore_client):
    set_allowance(call, admin_token, new_account_daily=1)
    clock.now = datetime(2026, 11, 11, 7, 59, tzinfo=UTC)  # 23:59 on the 10th in LA
    deliver(call, upload(fast, "users/dan/a.png", png_bytes("red")))
    deliver(call, upload(fast, "users/dan/b.png", png_bytes("blue")))
    clock.now += timedelta(minutes=1)
    deliver(call, upload(fast, "users/dan/c.png", png_bytes("green")))
    seen = records(firestore_client)
    assert [seen[f"users/dan/{n}.png"]["result"]["cause"] for n in "abc"] == [
        None, "account_allowance", None]
