"""The console's read callables end to end, on the Firestore emulator through the callable
protocol: parts with their counts, recent count sessions, and the admin activity."""

from __future__ import annotations

import pytest

from tests.support.moderation import callable_
from tests.support.moderation import error_of as error
from tests.support.moderation import result_of as ok
from tests.support.stock import stock_up

PARTS = [{"part_code": f"P-{n:02d}", "part_name": f"Parça {n}", "quantity": 2}
         for n in range(5)]


@pytest.fixture
def stock(functions_env, call, user_token, drain, firestore_client) -> dict[str, list[str]]:
    return stock_up(call, user_token, drain, firestore_client, PARTS)


def test_parts_come_in_pages_with_printed_downloaded_and_used_counts(
        stock, call, user_token, firestore_client):
    p0, p1 = stock["P-00"], stock["P-01"]
    assert call("download_single_qr", "GET", p0[0], token=user_token).status_code == 200
    sheet = call("download_label_sheet", "GET", token=user_token,
                 query_string={"part_code": "P-01"})
    assert sheet.status_code == 200
    ok(callable_(call, "markUnitsUsed", {"qr_ids": [p1[1]], "reason": "satıldı"}, user_token))

    # A part names its first unit made: a label the console can show.
    first_0 = firestore_client.collection("parts").document("P-00").get().get("first_qr_id")
    first_1 = firestore_client.collection("parts").document("P-01").get().get("first_qr_id")
    assert first_0 in p0 and first_1 in p1
    first = ok(callable_(call, "list_parts", {"limit": 3}, user_token))
    assert [p["part_code"] for p in first["parts"]] == ["P-00", "P-01", "P-02"]
    assert first["next"] == "P-02"
    assert first["parts"][0] == {"part_code": "P-00", "part_name": "Parça 0", "units": 2,
                                 "printed": 0, "downloaded": 1, "used": 0,
                                 "first_qr_id": first_0, "min_units": None, "available": 2,
                                 "below_minimum": False}
    assert first["parts"][1] | {} == {"part_code": "P-01", "part_name": "Parça 1", "units": 2,
                                      "printed": 2, "downloaded": 0, "used": 1,
                                      "first_qr_id": first_1, "min_units": None,
                                      "available": 1, "below_minimum": False}
    rest = ok(callable_(call, "listParts", {"limit": 3, "after": first["next"]}, user_token))
    assert [p["part_code"] for p in rest["parts"]] == ["P-03", "P-04"]
    assert rest["next"] is None
    assert len(ok(callable_(call, "list_parts", None, user_token))["parts"]) == 5


def test_recent_count_sessions_newest_first_with_totals_once_finished(
        stock, call, user_token, monkeypatch):
    import composition

    monkeypatch.setenv("COUNT_FINISH_GRACE_S", "0.01")
    composition.reset()
    first = ok(callable_(call, "start_count_session", {"name": "Raf A"}, user_token))
    second = ok(callable_(call, "start_count_session", {"name": "Raf B",
                                                        "part_codes": ["P-00"]}, user_token))
    ok(callable_(call, "finish_count_session", {"session_id": first["session_id"]},
                 user_token))
    sessions = ok(callable_(call, "listCountSessions", {}, user_token))["sessions"]
    assert [s["session_id"] for s in sessions] == [second["session_id"], first["session_id"]]
    assert (sessions[0]["name"], sessions[0]["state"], sessions[0]["expected"]) == (
        "Raf B", "open", 2)
    assert sessions[0]["totals"] is None and sessions[0]["started_by"] == "staff-1"
    assert sessions[1]["state"] == "finished"
    assert sessions[1]["totals"] == {"expected": 10, "found": 0, "missing": 10,
                                     "unexpected": 0}
    assert sessions[0]["started_at"] >= sessions[1]["started_at"]  # ISO text sorts by time
    assert len(ok(callable_(call, "list_count_sessions", {"limit": 1}, user_token))[
        "sessions"]) == 1


def test_admin_activity_lists_changes_and_notices_newest_first(
        functions_env, call, admin_token, firestore_client):
    ok(callable_(call, "set_vision_api_fallback_strategy", {"strategy": "deny"}, admin_token))
    ok(callable_(call, "set_vision_api_enabled", {"enabled": False}, admin_token))
    firestore_client.collection("admin_notifications").add(
        {"kind": "vision_quota", "level": 80, "monthKey": "2026_12", "read": False,
         "at": __import__("datetime").datetime(2026, 12, 1, tzinfo=__import__(
             "datetime").UTC)})
    activity = ok(callable_(call, "list_admin_activity", {"limit": 10}, admin_token))
    assert [a["action"] for a in activity["actions"]] == ["set_vision_enabled",
                                                          "set_vision_fallback_strategy"]
    assert activity["actions"][1]["after"] == {"fallbackStrategy": "deny"}
    assert activity["actions"][0]["adminUid"] == "admin-1"
    assert isinstance(activity["actions"][0]["at"], str) and activity["actions"][0]["id"]
    (notice,) = activity["notifications"]
    assert (notice["kind"], notice["level"], notice["at"]) == (
        "vision_quota", 80, "2026-12-01T00:00:00+00:00")


@pytest.mark.parametrize("name, data, fragment", [
    ("list_parts", {"limit": 0}, "'limit'"),
    ("list_parts", {"limit": 101}, "'limit'"),
    ("list_parts", {"limit": True}, "'limit'"),
    ("list_parts", {"after": "bad code!"}, "part_code"),
    ("list_parts", "P-00", "Send an object"),
    ("list_count_sessions", {"limit": 51}, "'limit'"),
    ("list_admin_activity", {"limit": "5"}, "'limit'"),
])
def test_bad_paging_is_refused(functions_env, call, admin_token, name, data, fragment):
    failure = error(callable_(call, name, data, admin_token))
    assert failure["status"] == "INVALID_ARGUMENT" and fragment in failure["message"]


def test_who_may_read_what(functions_env, call, user_token, no_role_token):
    for name in ("list_parts", "list_count_sessions", "list_admin_activity"):
        assert error(callable_(call, name, {}, no_role_token))["status"] == \
            "PERMISSION_DENIED"
        assert error(callable_(call, name, {}, None))["status"] == "UNAUTHENTICATED"
    assert error(callable_(call, "list_admin_activity", {}, user_token))["status"] == \
        "PERMISSION_DENIED"
    assert ok(callable_(call, "list_parts", {}, user_token)) == {"parts": [], "next": None}


def part_doc(firestore_client, code: str) -> dict:
    return firestore_client.collection("parts").document(code).get().to_dict()


def test_printed_and_downloaded_are_counted_once_per_unit_however_many_at_once(
        stock, call, user_token, firestore_client):
    """Four sheets of the same part and eight downloads of one unit, all at once: the part's
    counters say 2 printed and 1 downloaded, as the units do."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    p0 = stock["P-00"]
    start = threading.Barrier(12)

    def sheet(_: int) -> int:
        start.wait()
        return call("download_label_sheet", "GET", token=user_token,
                    query_string={"part_code": "P-00"}).status_code

    def png(_: int) -> int:
        start.wait()
        return call("download_single_qr", "GET", p0[1], token=user_token).status_code

    with ThreadPoolExecutor(max_workers=12) as pool:
        sheets = [pool.submit(sheet, n) for n in range(4)]
        pngs = [pool.submit(png, n) for n in range(8)]
        assert [f.result() for f in sheets + pngs] == [200] * 12
    doc = part_doc(firestore_client, "P-00")
    assert (doc["printed_units"], doc["downloaded_units"]) == (2, 1)
    units = [firestore_client.collection("qr_codes").document(q).get().to_dict() for q in p0]
    assert sorted(u["print_count"] for u in units) == [4, 4]
    assert [u.get("download_count", 0) for u in units] == [0, 8]
    listed = ok(callable_(call, "list_parts", {"limit": 1}, user_token))["parts"][0]
    assert (listed["printed"], listed["downloaded"]) == (2, 1)


def test_a_part_from_before_the_counters_is_counted_by_queries(stock, call, user_token,
                                                               firestore_client):
    from google.cloud import firestore

    p1 = stock["P-01"]
    # As a part created by an earlier version: no counters.
    firestore_client.collection("parts").document("P-01").update(
        {"printed_units": firestore.DELETE_FIELD, "downloaded_units": firestore.DELETE_FIELD,
         "first_qr_id": firestore.DELETE_FIELD})
    assert call("download_single_qr", "GET", p1[0], token=user_token).status_code == 200
    assert call("download_label_sheet", "GET", token=user_token,
                query_string={"qr_ids": p1[1]}).status_code == 200
    doc = part_doc(firestore_client, "P-01")
    assert "printed_units" not in doc and "downloaded_units" not in doc  # never a wrong start
    listed = ok(callable_(call, "list_parts", {"after": "P-00", "limit": 1}, user_token))
    assert listed["parts"][0]["part_code"] == "P-01"
    assert (listed["parts"][0]["printed"], listed["parts"][0]["downloaded"]) == (1, 1)
    assert listed["parts"][0]["first_qr_id"] == p1[0]  # looked up: the first by id
    # Parts made now start with both at 0.
    assert (part_doc(firestore_client, "P-02")["printed_units"],
            part_doc(firestore_client, "P-02")["downloaded_units"]) == (0, 0)
