"""Stock-taking end to end: count sessions through the callable protocol and the report
over HTTP, on the Firestore emulator, with several phones scanning at once."""

from __future__ import annotations

import csv
import io
import json
import os
import threading
from collections.abc import Callable

import pytest

from devtools.tokens import mint_id_token
from tests.support.moderation import callable_
from tests.support.moderation import error_of as error
from tests.support.moderation import result_of as ok
from tests.support.stock import stock_up

PROJECT = os.environ["GOOGLE_CLOUD_PROJECT"]
PARTS = [{"part_code": "VIDA-M8", "part_name": "Çelik vida M8", "quantity": 3},
         {"part_code": "ŞAFT-1", "part_name": "Şaft yatağı", "quantity": 2}]


@pytest.fixture
def stock(functions_env, call, user_token, drain, monkeypatch, firestore_client
          ) -> dict[str, list[str]]:
    """Two parts with labels; the finish grace short, as no scan is in flight here."""
    import composition

    monkeypatch.setenv("COUNT_FINISH_GRACE_S", "0.1")
    composition.reset()
    return stock_up(call, user_token, drain, firestore_client, PARTS)


def scan(qr_id: str, client_id: str, at: str | int | None = None) -> dict:
    item = {"qr_id": qr_id, "client_scan_id": client_id}
    if at is not None:
        item["scanned_at"] = at
    return item


def start(call, token, **data) -> str:
    return ok(callable_(call, "startCountSession", {"name": "Raf A", **data},
                        token))["session_id"]


def scan_docs(firestore_client, session_id: str) -> list[dict]:
    return [d.to_dict() for d in firestore_client.collection(
        f"count_sessions/{session_id}/scans").stream()]


def test_a_count_with_found_missing_duplicate_unknown_and_resent_scans(
        stock, call, user_token, firestore_client):
    session = start(call, user_token)
    vida, saft = stock["VIDA-M8"], stock["ŞAFT-1"]
    batch = [scan(vida[0], "p1-1", "2026-12-01T09:00:02Z"),
             scan(vida[1], "p1-2", "2026-12-01T09:00:01Z"),  # out of order: fine
             scan(saft[0], "p1-3", 1_796_000_000_000),
             scan(vida[0], "p1-4"),                           # the same unit again
             scan("VIDA-M8-aaaaaaaaaaaa", "p1-5")]            # no such label
    first = ok(callable_(call, "record_scans", {"session_id": session, "scans": batch},
                         user_token))
    assert [r["result"] for r in first["results"]] == [
        "accepted", "accepted", "accepted", "duplicate", "unexpected"]
    assert first["results"][4]["reason"] == "unknown"
    assert (first["accepted"], first["duplicate"], first["unexpected"]) == (3, 1, 1)

    # An offline phone resends its whole queue: same answers, nothing counted twice.
    again = ok(callable_(call, "recordScans", {"session_id": session, "scans": batch},
                         user_token))
    assert [r["result"] for r in again["results"]] == [r["result"] for r in first["results"]]
    assert again["resent"] == 5 and again["accepted"] == 0
    assert len(scan_docs(firestore_client, session)) == 5

    done = ok(callable_(call, "finish_count_session", {"session_id": session}, user_token))
    assert done["totals"] == {"expected": 5, "found": 3, "missing": 2, "unexpected": 1}
    parts = {p["part_code"]: p for p in done["parts"]}
    assert parts["VIDA-M8"]["missing_qr_ids"] == [vida[2]]
    assert parts["ŞAFT-1"]["missing_qr_ids"] == [saft[1]]
    assert parts["ŞAFT-1"]["part_name"] == "Şaft yatağı"
    assert parts["(unknown)"]["unexpected_units"] == [
        {"qr_id": "VIDA-M8-aaaaaaaaaaaa", "reason": "unknown"}]

    # Read-only now: a late scan is answered refused, in the caller's language.
    late = ok(callable_(call, "record_scans",
                        {"session_id": session, "scans": [scan(vida[2], "p1-9")]}, user_token))
    (refused,) = late["results"]
    assert (refused["result"], refused["reason"], late["refused"]) == (
        "refused", "session_finished", 1)
    assert refused["message"] == "The session is finished: it takes no more scans."
    assert len(scan_docs(firestore_client, session)) == 5


def test_the_report_as_json_and_as_a_spreadsheet_safe_csv_with_a_bom(
        stock, call, user_token):
    session = start(call, user_token)
    ok(callable_(call, "record_scans", {"session_id": session, "scans": [
        scan(stock["ŞAFT-1"][0], "c1")]}, user_token))
    report = call("count_session_report", "GET", token=user_token,
                  query_string={"session_id": session})
    assert report.status_code == 200
    assert report.get_json()["totals"]["found"] == 1
    as_csv = call("count_session_report", "GET", token=user_token,
                  query_string={"session_id": session, "format": "csv"})
    assert as_csv.status_code == 200 and as_csv.mimetype == "text/csv"
    text = as_csv.data.decode("utf-8")
    assert text.startswith("\ufeffpart_code,part_name,qr_id,status")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert len(rows) == 5
    found = [r for r in rows if r["status"] == "found"]
    assert [(r["part_code"], r["part_name"]) for r in found] == [("ŞAFT-1", "Şaft yatağı")]
    assert {r["status"] for r in rows} == {"found", "missing"}


@pytest.mark.parametrize("query, status, fragment", [
    ({"session_id": "x", "format": "xml"}, 400, "'format'"),
    ({}, 400, "'session_id'"),
    ({"session_id": "no/such"}, 400, "'session_id'"),
    ({"session_id": "nosuchsession"}, 404, "No count session"),
    ({"session_id": "nosuchsession", "format": "csv"}, 404, "No count session"),
])
def test_bad_report_requests_get_a_clear_4xx(stock, call, user_token, query, status,
                                             fragment):
    reply = call("count_session_report", "GET", token=user_token, query_string=query)
    assert reply.status_code == status
    assert fragment in reply.get_data(as_text=True)


def test_scope_and_used_units_are_unexpected_with_their_reason(stock, call, user_token,
                                                              firestore_client):
    used = stock["VIDA-M8"][2]
    ok(callable_(call, "markUnitsUsed", {"qr_ids": [used], "reason": "sold"}, user_token))
    session = start(call, user_token, part_codes=["VIDA-M8"])
    reply = ok(callable_(call, "record_scans", {"session_id": session, "scans": [
        scan(stock["VIDA-M8"][0], "a"), scan(used, "b"), scan(stock["ŞAFT-1"][0], "c")]},
        user_token))
    assert [(r["result"], r["reason"]) for r in reply["results"]] == [
        ("accepted", None), ("unexpected", "used"), ("unexpected", "out_of_scope")]
    done = ok(callable_(call, "finishCountSession", {"session_id": session}, user_token))
    assert done["totals"] == {"expected": 2, "found": 1, "missing": 1, "unexpected": 2}


def test_undo_puts_a_unit_back_to_missing_and_a_new_scan_finds_it_again(
        stock, call, user_token):
    session = start(call, user_token)
    unit = stock["VIDA-M8"][0]
    ok(callable_(call, "record_scans", {"session_id": session, "scans": [scan(unit, "x1")]},
                 user_token))
    undone = ok(callable_(call, "undoScan", {"session_id": session, "client_scan_id": "x1"},
                          user_token))
    assert (undone["undone"], undone["changed"], undone["qr_id"]) == (True, True, unit)
    assert ok(callable_(call, "undo_scan", {"session_id": session, "client_scan_id": "x1"},
                        user_token))["changed"] is False
    report = call("count_session_report", "GET", token=user_token,
                  query_string={"session_id": session}).get_json()
    assert report["totals"]["found"] == 0
    again = ok(callable_(call, "record_scans", {"session_id": session,
                                                "scans": [scan(unit, "x2")]}, user_token))
    assert again["results"][0]["result"] == "accepted"
    missing = callable_(call, "undo_scan", {"session_id": session, "client_scan_id": "zz"},
                        user_token)
    assert error(missing)["status"] == "NOT_FOUND"


def test_phones_scanning_at_once_count_every_unit_once(stock, call, user_token, drain):
    reply = call("upload_parts", "POST", token=user_token,
                 json={"parts": [{"part_code": "BULK-1", "part_name": "b", "quantity": 60}]})
    drain()
    units = sorted(reply.get_json()["qr_ids"])
    session = start(call, user_token, part_codes=["BULK-1"])
    results: list[dict] = []
    lock = threading.Lock()

    def phone(index: int) -> None:
        token = mint_id_token(f"phone-{index}", project_id=PROJECT, staff=True)
        # Every phone scans every unit (two people on one shelf), in its own order.
        mine = units[index * 10:] + units[:index * 10]
        for start_at in range(0, len(mine), 20):
            batch = [scan(u, f"ph{index}-{start_at + n}")
                     for n, u in enumerate(mine[start_at:start_at + 20])]
            got = ok(callable_(call, "record_scans", {"session_id": session, "scans": batch},
                               token))
            with lock:
                results.extend(got["results"])

    threads = [threading.Thread(target=phone, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    accepted = [r["qr_id"] for r in results if r["result"] == "accepted"]
    assert sorted(accepted) == units  # each unit accepted exactly once
    assert sum(1 for r in results if r["result"] == "duplicate") == 3 * len(units)
    done = ok(callable_(call, "finish_count_session", {"session_id": session}, user_token))
    assert done["totals"] == {"expected": 60, "found": 60, "missing": 0, "unexpected": 0}


def test_live_counts_from_the_gates_match_the_report_before_and_after_the_finish(
        stock, call, user_token):
    session = start(call, user_token)
    vida, saft = stock["VIDA-M8"], stock["ŞAFT-1"]

    def live(**extra) -> dict:
        return ok(callable_(call, "countSessionLive", {"session_id": session, **extra},
                            user_token))

    def report() -> dict:
        got = call("count_session_report", "GET", token=user_token,
                   query_string={"session_id": session}).get_json()
        return {"totals": got["totals"], "parts": [
            {k: p[k] for k in ("part_code", "part_name", "expected", "found", "missing",
                               "unexpected")} for p in got["parts"]]}

    empty = live()
    assert {"totals": empty["totals"], "parts": empty["parts"]} == report()
    assert (empty["recent"], empty["cursor"]) == ([], None)
    ok(callable_(call, "record_scans", {"session_id": session, "scans": [
        scan(vida[0], "c1"), scan(saft[0], "c2"), scan(vida[0], "c3"),
        scan("VIDA-M8-aaaaaaaaaaaa", "c4"), scan("KAYIP-bbbbbbbbbbbb", "c5")]}, user_token))
    ok(callable_(call, "undo_scan", {"session_id": session, "client_scan_id": "c2"},
                 user_token))
    now = live()
    assert {"totals": now["totals"], "parts": now["parts"]} == report()
    assert now["totals"] == {"expected": 5, "found": 1, "missing": 4, "unexpected": 2}
    assert [p["part_code"] for p in now["parts"]] == ["(unknown)", "VIDA-M8", "ŞAFT-1"]
    assert {r["client_scan_id"] for r in now["recent"]} == {"c1", "c2", "c3", "c4", "c5"}
    quiet = live(since=now["cursor"])
    assert quiet["recent"] == [] and quiet["cursor"] == now["cursor"]
    bad = callable_(call, "count_session_live", {"session_id": session, "since": "dün",
                                                 "locale": "tr"}, user_token)
    assert error(bad)["status"] == "INVALID_ARGUMENT"
    assert "'since'" in error(bad)["message"] and "olmalı" in error(bad)["message"]

    done = ok(callable_(call, "finish_count_session", {"session_id": session}, user_token))
    final = live()
    assert final["state"] == "finished" and final["totals"] == done["totals"]
    assert {"totals": final["totals"], "parts": final["parts"]} == report()


def test_twenty_phones_polling_the_live_counts_at_once_all_read_the_same(
        stock, call, user_token):
    session = start(call, user_token)
    ok(callable_(call, "record_scans", {"session_id": session, "scans": [
        scan(stock["VIDA-M8"][0], "c1"), scan("KAYIP-dddddddddddd", "c2")]}, user_token))
    answers: list = []
    lock = threading.Lock()

    def poll() -> None:
        reply = callable_(call, "count_session_live", {"session_id": session}, user_token)
        with lock:
            answers.append((reply.status_code, reply.get_json()))

    threads = [threading.Thread(target=poll) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert [status for status, _ in answers] == [200] * 20
    totals = {json.dumps(body["result"]["totals"], sort_keys=True) for _, body in answers}
    assert totals == {json.dumps({"expected": 5, "found": 1, "missing": 4, "unexpected": 1},
                                 sort_keys=True)}


def test_ten_phones_finished_mid_batch_are_told_exactly_what_the_final_count_holds(
        stock, call, user_token, drain, firestore_client):
    """Ten phones each send one batch of 1,000 scans (the same 200 units in their own order,
    and 800 labels nobody made) and the count is finished while they are under way: every
    scan a phone was told counted is in the final count, every one it was told refused is
    not, the saved totals and the report agree, and sending again answers alike."""
    reply = call("upload_parts", "POST", token=user_token,
                 json={"parts": [{"part_code": "BULK-2", "part_name": "b", "quantity": 200}]})
    drain()
    units = sorted(reply.get_json()["qr_ids"])
    session = start(call, user_token, part_codes=["BULK-2"])
    batches = {index: [scan(u, f"ph{index}-{n}") for n, u in enumerate(
        units[index * 20:] + units[:index * 20])] +
        [scan(f"LOST{index}-{n:08d}", f"ph{index}-x{n}") for n in range(800)]
        for index in range(10)}
    answers: dict[int, list[dict]] = {}

    def phone(index: int) -> None:
        token = mint_id_token(f"phone-{index}", project_id=PROJECT, staff=True)
        answers[index] = ok(callable_(call, "record_scans", {
            "session_id": session, "scans": batches[index]}, token))["results"]

    threads = [threading.Thread(target=phone, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    scans = firestore_client.collection(f"count_sessions/{session}/scans")
    while scans.count().get()[0][0].value < 250 and any(t.is_alive() for t in threads):
        threading.Event().wait(0.05)  # the first commits have landed: finish now
    done = ok(callable_(call, "finish_count_session", {"session_id": session}, user_token))
    for thread in threads:
        thread.join(timeout=300)
    assert sorted(answers) == list(range(10))

    every = [a for index in range(10) for a in answers[index]]
    assert [a["client_scan_id"] for a in answers[3]] == [
        s["client_scan_id"] for s in batches[3]]  # one answer a scan, in order
    stored = {d.to_dict()["clientScanId"] for d in scans.stream()}
    told = {a["client_scan_id"] for a in every if a["result"] != "refused"}
    assert told == stored  # refused: not recorded; anything else: recorded
    report = call("count_session_report", "GET", token=user_token,
                  query_string={"session_id": session}).get_json()
    saved = firestore_client.document(f"count_sessions/{session}").get().to_dict()["totals"]
    assert report["totals"] == saved == done["totals"]
    accepted = [a["qr_id"] for a in every if a["result"] == "accepted"]
    assert len(accepted) == len(set(accepted)) == saved["found"]
    found = {u["qr_id"] for p in report["parts"] for u in p["units"] if u["status"] == "found"}
    assert set(accepted) == found
    unexpected = {a["qr_id"] for a in every if a["result"] == "unexpected"}
    assert len(unexpected) == saved["unexpected"]
    assert {u["qr_id"] for p in report["parts"] for u in p["unexpected_units"]} == unexpected
    refused = [a for a in every if a["result"] == "refused"]
    assert {a["reason"] for a in refused} <= {"session_finishing", "session_finished"}
    print(f"accepted {len(accepted)}, refused {len(refused)} of {len(every)}")

    # Each phone sends its batch again: the same answers, what counted now as resent.
    for index in (0, 9):
        token = mint_id_token(f"phone-{index}", project_id=PROJECT, staff=True)
        again = ok(callable_(call, "record_scans", {
            "session_id": session, "scans": batches[index]}, token))["results"]
        assert [(a["result"], a["reason"]) for a in again] == [
            (a["result"], a["reason"] if a["result"] != "refused" else "session_finished")
            for a in answers[index]]
        assert all(a["resent"] for a in again if a["result"] != "refused")
    assert {d.to_dict()["clientScanId"] for d in scans.stream()} == stored


@pytest.mark.parametrize("name, data, status, fragment", [
    ("record_scans", {"session_id": "nosuchsession", "scans": [{"qr_id": "A-aaaaaaaaaaaa",
                                                                 "client_scan_id": "1"}]},
     "NOT_FOUND", "No count session"),
    ("record_scans", {"session_id": "bad id!", "scans": []}, "INVALID_ARGUMENT",
     "'session_id'"),
    ("record_scans", "SESSION", "INVALID_ARGUMENT", "'session_id'"),
])
def test_bad_session_ids_and_shapes(stock, call, user_token, firestore_client, name, data,
                                    status, fragment):
    reply = callable_(call, name, data, user_token)
    assert error(reply)["status"] == status
    assert fragment in error(reply)["message"]
    assert list(firestore_client.collection("count_sessions").stream()) == []


@pytest.mark.parametrize("data, status, fragment", [
    ({}, "INVALID_ARGUMENT", "'name'"),
    ({"name": "   "}, "INVALID_ARGUMENT", "'name'"),
    ({"name": "x" * 101}, "INVALID_ARGUMENT", "'name'"),
    ({"name": "Raf", "note": 5}, "INVALID_ARGUMENT", "'note'"),
    ({"name": "Raf", "part_codes": []}, "INVALID_ARGUMENT", "'part_codes'"),
    ({"name": "Raf", "part_codes": "VIDA-M8"}, "INVALID_ARGUMENT", "'part_codes'"),
    ({"name": "Raf", "part_codes": ["NOPE-1", "NOPE-2"]}, "NOT_FOUND", "NOPE-1, NOPE-2"),
    (["Raf"], "INVALID_ARGUMENT", "name"),
])
def test_bad_starts_are_refused_and_start_nothing(stock, call, user_token, firestore_client,
                                                  data, status, fragment):
    reply = callable_(call, "start_count_session", data, user_token)
    assert error(reply)["status"] == status
    assert fragment in error(reply)["message"]
    assert list(firestore_client.collection("count_sessions").stream()) == []


def test_part_codes_without_units_are_named_when_others_have_units(stock, call, user_token):
    reply = ok(callable_(call, "startCountSession",
                         {"name": "Raf", "part_codes": [" VIDA-M8 ", "NOPE-1"]}, user_token))
    assert (reply["expected"], reply["parts"]) == (3, 1)
    assert reply["part_codes_without_units"] == ["NOPE-1"]


def session_input(session: str) -> Callable[[list], dict]:
    return lambda scans: {"session_id": session, "scans": scans}


@pytest.mark.parametrize("scans, fragment", [
    ([{"qr_id": "A-aaaaaaaaaaaa", "client_scan_id": str(n)} for n in range(1001)],
     "At most 1000 scans"),
    ([{"qr_id": "not an id", "client_scan_id": "1"}], "scans[0]"),
    ([{"qr_id": "A-aaaaaaaaaaaa", "client_scan_id": "has space"}], "'client_scan_id'"),
    ([{"qr_id": "A-aaaaaaaaaaaa", "client_scan_id": "1", "scanned_at": "yesterday"}],
     "'scanned_at'"),
    ([{"qr_id": "A-aaaaaaaaaaaa", "client_scan_id": "1"},
      {"qr_id": "A-bbbbbbbbbbbb", "client_scan_id": "1"}], "give each scan its own id"),
    ([], "non-empty list"),
])
def test_bad_batches_are_refused_whole(stock, call, user_token, firestore_client, scans,
                                       fragment):
    session = start(call, user_token)
    reply = callable_(call, "record_scans", session_input(session)(scans), user_token)
    assert error(reply)["status"] == "INVALID_ARGUMENT"
    assert fragment in error(reply)["message"]
    assert scan_docs(firestore_client, session) == []


def test_who_may_do_what(stock, call, user_token, no_role_token, admin_token):
    assert error(callable_(call, "start_count_session", {"name": "x"},
                           no_role_token))["status"] == "PERMISSION_DENIED"
    session = start(call, user_token)
    other_staff = mint_id_token("staff-2", project_id=PROJECT, staff=True)
    # Any staff member scans into an open session ...
    ok(callable_(call, "record_scans", {"session_id": session,
                                        "scans": [scan(stock["VIDA-M8"][0], "o1")]},
                 other_staff))
    assert error(callable_(call, "record_scans", {"session_id": session, "scans": [
        scan(stock["VIDA-M8"][1], "o2")]}, no_role_token))["status"] == "PERMISSION_DENIED"
    # ... but only who started it, or an admin, finishes or cancels it.
    for name in ("finish_count_session", "cancel_count_session"):
        denied = error(callable_(call, name, {"session_id": session}, other_staff))
        assert denied["status"] == "PERMISSION_DENIED"
    assert ok(callable_(call, "cancelCountSession", {"session_id": session},
                        admin_token))["state"] == "cancelled"
    assert error(callable_(call, "finish_count_session", {"session_id": session},
                           user_token))["status"] == "FAILED_PRECONDITION"
    report = call("count_session_report", "GET", token=no_role_token,
                  query_string={"session_id": session})
    assert report.status_code == 403
    for token in (no_role_token, None):
        refused = error(callable_(call, "count_session_live", {"session_id": session}, token))
        assert refused["status"] in ("PERMISSION_DENIED", "UNAUTHENTICATED")


def test_a_full_batch_of_unknown_labels_is_taken_in_one_call(stock, call, user_token,
                                                            firestore_client):
    """1000 scans write 2000 records (scan + unit each), over several commits."""
    session = start(call, user_token)
    batch = [scan(f"X-{n:012d}", f"big-{n}") for n in range(1000)]
    reply = ok(callable_(call, "record_scans", {"session_id": session, "scans": batch},
                         user_token))
    assert reply["unexpected"] == 1000
    assert len(scan_docs(firestore_client, session)) == 1000
    done = ok(callable_(call, "finish_count_session", {"session_id": session}, user_token))
    assert done["totals"] == {"expected": 5, "found": 0, "missing": 5, "unexpected": 1000}
