"""App Check on the pre-upload check: enforced through the local run (ENFORCE_APP_CHECK),
and replay protection (APP_CHECK_REPLAY_PROTECTION) with a fake verifier behind its port,
because the App Check service cannot be reached from here."""

from __future__ import annotations

import base64
import json
import urllib.request
from pathlib import Path

import pytest

from tests.support.fakes import FakeAppCheckTokens
from tests.support.moderation import error_of, png_bytes, result_of

IMAGE = {"image": base64.b64encode(png_bytes("red")).decode()}


def analyze(call, token: str, app_check: str | None = None):
    headers = {"X-Firebase-AppCheck": app_check} if app_check is not None else None
    return call("analyzeImageBeforeUpload", "POST", token=token, json={"data": IMAGE},
                headers=headers)


@pytest.fixture
def replay_protected(env, monkeypatch) -> FakeAppCheckTokens:
    import composition

    tokens = FakeAppCheckTokens()
    monkeypatch.setenv("APP_CHECK_REPLAY_PROTECTION", "true")
    monkeypatch.setattr(composition, "app_check_tokens", lambda: tokens)
    composition.reset()
    return tokens


def test_a_replayed_app_check_token_is_refused_before_any_unit(
        replay_protected, call, vision, no_role_token, firestore_client):
    assert result_of(analyze(call, no_role_token, "token-1"))["verdict"] == "approved"
    for app_check in (None, "token-1", "bad-forged"):
        reply = analyze(call, no_role_token, app_check)
        assert reply.status_code == 401
        assert error_of(reply)["status"] == "UNAUTHENTICATED"
    assert vision.billable_units == 1
    assert replay_protected.consumed == ["token-1"]


@pytest.fixture(scope="module")
def enforcing_run(tmp_path_factory: pytest.TempPathFactory):
    from tests.browser.harness import start_local_run

    run = start_local_run(Path(tmp_path_factory.mktemp("app-check-run")),
                          {"ENFORCE_APP_CHECK": "true"})
    yield run
    run.stop()


def documents(run) -> list[str]:
    """Every top-level collection the run's Firestore holds."""
    url = (f"http://{run.firestore}/v1/projects/{run.project}/databases/(default)/documents"
           ":listCollectionIds")
    request = urllib.request.Request(url, data=b"{}", method="POST",
                                     headers={"Content-Type": "application/json",
                                              "Authorization": "Bearer owner"})
    with urllib.request.urlopen(request, timeout=10) as reply:
        return json.loads(reply.read()).get("collectionIds", [])


def test_with_app_check_enforced_a_call_without_a_valid_token_is_refused_first(
        enforcing_run):
    run = enforcing_run
    run.wipe_firestore()
    member = run.sign_in_token("member")
    body = json.dumps({"data": IMAGE}).encode()
    for name in ("analyzeImageBeforeUpload", "analyze_image_before_upload"):
        status, reply = run.post(name, body, token=member)
        assert status == 401 and reply["error"]["status"] == "UNAUTHENTICATED", reply
    # A token App Check cannot verify is no better than none.
    request = urllib.request.Request(
        f"{run.functions_base}/analyzeImageBeforeUpload", data=body, method="POST",
        headers={"Authorization": f"Bearer {member}", "Content-Type": "application/json",
                 "X-Firebase-AppCheck": "forged"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    assert refused.value.code == 401
    assert documents(run) == []  # nothing read from the ledger, nothing reserved or written
    # Only the app users' callable is affected: the admins' own still answer.
    status, reply = run.call("getVisionApiQuotaStatus", {}, run.sign_in_token("root"))
    assert status == 200 and reply["result"]["used"] == 0
