"""Firestore paused (the emulator's process stopped, as a hung database looks to a client):
every HTTP function, callable and task queue function answers 503 / UNAVAILABLE within 15 s,
in the caller's language, and writes nothing. Called all at once, as a real outage meets
them; each with input that is valid, so that it gets as far as the database."""

from __future__ import annotations

import base64
import os
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest

from devtools import firestore_emulator
from devtools.tokens import mint_id_token
from tests.support.moderation import png_bytes

PROJECT = os.environ["GOOGLE_CLOUD_PROJECT"]
ANSWER_WITHIN_S = 15.0
TURKISH = {"Accept-Language": "tr-TR,tr;q=0.9"}


@dataclass
class Call:
    name: str
    method: str
    path: str = ""
    json: Any = None
    query: str = ""
    token: str = "staff"

    @property
    def callable(self) -> bool:
        return self.method == "CALL"


STAFF = mint_id_token("outage-staff", project_id=PROJECT, staff=True)
ADMIN = mint_id_token("outage-admin", project_id=PROJECT, admin=True)
MEMBER = mint_id_token("outage-member", project_id=PROJECT)
MODERATOR = mint_id_token("outage-moderator", project_id=PROJECT, moderator=True)
TOKENS = {"staff": STAFF, "admin": ADMIN, "member": MEMBER, "moderator": MODERATOR,
          None: None}


def calls(unit: str, session: str) -> list[Call]:
    image = base64.b64encode(png_bytes("red")).decode()
    recheck = {"key": "a" * 64, "bucket": os.environ["STORAGE_BUCKET"],
               "name": "uploads/u1/p.png", "generation": "1", "cause": "unavailable"}
    return [
        # HTTP functions
        Call("upload_parts", "POST", json={"parts": [{"part_code": "OUT-NEW",
                                                      "part_name": "x", "quantity": 2}]}),
        Call("generate_qr_image", "GET", path=unit),
        Call("download_single_qr", "GET", path=unit),
        Call("download_qr_zip", "GET", query="part_code=OUT-A"),
        Call("download_label_sheet", "GET", query="part_code=OUT-A"),
        Call("clear_all_qrs", "POST", json={"confirm": "DELETE ALL QR CODES"}, token="admin"),
        Call("count_session_report", "GET", query=f"session_id={session}&format=json"),
        Call("export_inventory", "GET", query="format=xlsx&scope=units"),
        Call("review_image", "GET", query=f"key={'b' * 64}", token="moderator"),
        # task queue functions
        Call("storeQrBatch", "TASK", json={"qr_ids": [unit]}, token=None),
        Call("recheckUploadedImage", "TASK", json=recheck, token=None),
        # callables
        Call("mark_units_used", "CALL", json={"qr_ids": [unit], "reason": "sold"}),
        Call("list_parts", "CALL", json={}),
        Call("set_part_minimum", "CALL", json={"part_code": "OUT-A", "min_units": 5}),
        Call("get_unit", "CALL", json={"qr_id": unit}),
        Call("start_count_session", "CALL", json={"name": "during the outage"}),
        Call("record_scans", "CALL", json={"session_id": session, "scans": [
            {"client_scan_id": "s-1", "qr_id": unit}]}),
        Call("undo_scan", "CALL", json={"session_id": session, "client_scan_id": "s-0"}),
        Call("finish_count_session", "CALL", json={"session_id": session}),
        Call("cancel_count_session", "CALL", json={"session_id": session}),
        Call("list_count_sessions", "CALL", json={}),
        Call("count_session_live", "CALL", json={"session_id": session}),
        Call("get_vision_api_quota_status", "CALL", json={}, token="admin"),
        Call("set_vision_api_enabled", "CALL", json={"enabled": False}, token="admin"),
        Call("set_vision_api_fallback_strategy", "CALL", json={"strategy": "deny"},
             token="admin"),
        Call("set_vision_api_monthly_quota", "CALL", json={"limit": 5}, token="admin"),
        Call("reset_vision_api_quota", "CALL", json={}, token="admin"),
        Call("set_vision_api_account_allowance", "CALL", json={"daily": 3}, token="admin"),
        Call("manage_vision_account", "CALL", json={"uid": "someone", "action": "flag"},
             token="admin"),
        Call("drain_moderation_rechecks", "CALL", json={}, token="admin"),
        Call("list_admin_activity", "CALL", json={}, token="admin"),
        Call("grant_role", "CALL", json={"uid": "outage-member", "role": "staff"},
             token="admin"),
        Call("revoke_role", "CALL", json={"uid": "outage-staff", "role": "staff"},
             token="admin"),
        Call("list_role_holders", "CALL", json={}, token="admin"),
        Call("list_review_queue", "CALL", json={}, token="moderator"),
        Call("claim_reviews", "CALL", json={"keys": ["b" * 64]}, token="moderator"),
        Call("decide_reviews", "CALL", json={"decisions": [
            {"key": "b" * 64, "decision": "approve"}]}, token="moderator"),
        Call("get_review_status", "CALL", json={}, token="moderator"),
        Call("appeal_moderation", "CALL", json={"path": "users/outage-member/p.png",
                                                "explanation": "mine"}, token="member"),
        # The pre-upload check answers with the default strategy (no Vision call without a
        # reservation), as every moderation path does when the ledger cannot be reached.
        Call("analyze_image_before_upload", "CALL", json={"image": image}, token="member"),
    ]


@pytest.fixture
def outage_firestore(monkeypatch, tmp_path) -> Iterator[firestore_emulator.FirestoreEmulator]:
    """A Firestore emulator of this test's own, which it can pause."""
    import composition

    instance = firestore_emulator.start(log_path=tmp_path / "emulator.log")
    monkeypatch.setenv("FIRESTORE_EMULATOR_HOST", instance.host)
    composition.reset()
    try:
        yield instance
    finally:
        assert instance.process is not None
        instance.process.send_signal(signal.SIGCONT)
        composition.reset()
        instance.stop()


def served_by_request() -> set[str]:
    """Every HTTP function, callable and task queue function main.py deploys, the
    camelCase twin of a callable aside (the same handler under the old name)."""
    import re

    import main
    from devtools.function_apps import function_signatures

    function_signatures()
    names = set()
    for name, value in vars(main).items():
        endpoint = getattr(value, "__firebase_endpoint__", None)
        if endpoint is not None and (endpoint.httpsTrigger is not None
                                     or endpoint.callableTrigger is not None
                                     or endpoint.taskQueueTrigger is not None):
            names.add(name)
    twins = {n for n in names if re.sub(r"(?<!^)([A-Z])", r"_\1", n).lower() in names - {n}}
    return names - twins


def dump(client: Any) -> dict[str, dict]:
    """Every document of the database, by path."""
    found: dict[str, dict] = {}

    def walk(collection: Any) -> None:
        for doc in collection.list_documents():
            snap = doc.get()
            if snap.exists:
                found[doc.path] = snap.to_dict()
            for sub in doc.collections():
                walk(sub)

    for collection in client.collections():
        walk(collection)
    return found


def test_every_function_answers_503_within_15_s_and_writes_nothing(
        functions_env, env, call, outage_firestore):
    from google.cloud import firestore

    import composition

    # Something to find: a part with stored units, and an open count session.
    reply = call("upload_parts", "POST", token=STAFF,
                 json={"parts": [{"part_code": "OUT-A", "part_name": "a", "quantity": 2}]})
    assert reply.status_code == 201, reply.get_data(as_text=True)
    unit = reply.get_json()["qr_ids"][0]
    assert composition.store_queue().drain(30)
    started = call("start_count_session", "POST", token=STAFF,
                   json={"data": {"name": "before the outage"}})
    assert started.status_code == 200, started.get_data(as_text=True)
    session = started.get_json()["result"]["session_id"]
    client = firestore.Client(project=PROJECT)
    before = dump(client)
    composition.reset()  # every function meets the outage with a fresh instance

    assert outage_firestore.process is not None
    outage_firestore.process.send_signal(signal.SIGSTOP)

    def attempt(c: Call) -> tuple[Call, int, Any, float]:
        token = TOKENS[c.token]
        headers = dict(TURKISH)
        if token:
            headers["Authorization"] = f"Bearer {token}"
        t0 = time.monotonic()
        if c.method in ("CALL", "TASK"):
            reply = call(c.name, "POST", headers=headers, json={"data": c.json})
        else:
            target = c.path + (f"?{c.query}" if c.query else "")
            reply = call(c.name, c.method, target, headers=headers,
                         **({"json": c.json} if c.json is not None else {}))
        return c, reply.status_code, reply.get_json(silent=True), time.monotonic() - t0

    planned = calls(unit, session)
    assert {c.name for c in planned} == served_by_request()
    with ThreadPoolExecutor(len(planned)) as pool:
        results = list(pool.map(attempt, planned))
    outage_firestore.process.send_signal(signal.SIGCONT)

    slow = [(c.name, round(s, 1)) for c, _, _, s in results if s > ANSWER_WITHIN_S]
    assert slow == [], f"answered after 15 s: {slow}"
    wrong = []
    for c, status, body, _ in results:
        if c.name == "analyze_image_before_upload":
            if status != 200 or body["result"]["cause"] not in ("ledger_unavailable",
                                                                 "ledger_busy"):
                wrong.append((c.name, status, body))
            continue
        error = (body or {}).get("error") or {}
        unavailable = error.get("status") == "UNAVAILABLE" if c.callable or \
            c.method == "TASK" else error.get("code") == "Unavailable"
        turkish = c.method == "TASK" or any(  # a task queue has no person: English
            ch in (error.get("message") or "") for ch in "ıİşŞğĞüÜöÖçÇ")
        if status != 503 or not unavailable or not turkish:
            wrong.append((c.name, status, body))
    assert wrong == [], "\n".join(map(str, wrong))

    composition.store_queue().drain(30)
    composition.reset()
    assert dump(client) == before, "something was written during the outage"
