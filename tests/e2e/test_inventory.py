"""The inventory end to end, through the function frameworks on the Firestore emulator:
minimums and low-stock alerts (exact under concurrency), a unit's life, the export
(opened with openpyxl and csv and compared with the data) and the round trip back through
upload_parts, with its dry run."""

from __future__ import annotations

import csv
import io
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import openpyxl
import pytest

from tests.support.moderation import callable_, error_of, result_of

TURKISH = {"Accept-Language": "tr-TR,tr;q=0.9"}


def upload(call: Any, token: str, parts: list[dict[str, Any]], **extra: Any) -> Any:
    return call("upload_parts", "POST", token=token, json={"parts": parts, **extra})


def add(call: Any, token: str, code: str, quantity: int, **fields: Any) -> list[str]:
    reply = upload(call, token, [{"part_code": code, "part_name": f"name of {code}",
                                  "quantity": quantity, **fields}])
    assert reply.status_code == 201, reply.get_data(as_text=True)
    return list(reply.get_json()["qr_ids"])


def use(call: Any, token: str, qr_ids: list[str], reason: str = "sold") -> dict[str, Any]:
    return dict(result_of(callable_(call, "mark_units_used",
                                    {"qr_ids": qr_ids, "reason": reason}, token)))


def part(client: Any, code: str) -> dict[str, Any]:
    return client.collection("parts").document(code).get().to_dict() or {}


def alerts(client: Any, code: str) -> dict[str, dict[str, Any]]:
    """A part's low-stock notices by id without its random end (low_stock-{part}-{n}),
    each number once."""
    found = [d for d in client.collection("admin_notifications").stream()
             if (d.to_dict() or {}).get("kind") == "low_stock"
             and d.to_dict().get("part_code") == code]
    numbered = {d.id.rsplit("-", 1)[0]: d.to_dict() for d in found}
    assert len(numbered) == len(found), "two alerts of one number"
    return numbered


def everything(client: Any) -> dict[str, dict[str, Any]]:
    return {f"{name}/{d.id}": d.to_dict()
            for name in ("qr_codes", "parts", "admin_actions", "admin_notifications")
            for d in client.collection(name).stream()}


def update_times(client: Any) -> dict[str, Any]:
    return {f"{name}/{d.id}": d.update_time for name in ("qr_codes", "parts")
            for d in client.collection(name).stream()}


# -- minimums and alerts ------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["set_part_minimum", "setPartMinimum"])
def test_a_minimum_is_set_audited_and_listed(functions_env, call, user_token,
                                             firestore_client, name):
    add(call, user_token, "MIN-A", 5)
    reply = result_of(callable_(call, name, {"part_code": " MIN-A ", "min_units": 3},
                                user_token))
    assert reply == {"part_code": "MIN-A", "min_units": 3, "min_before": None,
                     "available": 5, "below_minimum": False, "alert_raised": False}
    listed = result_of(callable_(call, "list_parts", {}, user_token))["parts"]
    assert [(p["part_code"], p["min_units"], p["available"], p["below_minimum"])
            for p in listed] == [("MIN-A", 3, 5, False)]
    (audit,) = [d.to_dict() for d in firestore_client.collection("admin_actions").stream()]
    assert (audit["action"], audit["adminUid"], audit["target"], audit["before"],
            audit["after"]) == ("set_part_minimum", "staff-1", {"part_code": "MIN-A"},
                                {"min_units": None}, {"min_units": 3})


def test_one_alert_per_crossing_and_coming_back_re_arms_it(functions_env, call, user_token,
                                                           firestore_client):
    units = add(call, user_token, "MIN-B", 5, min_units=3)
    use(call, user_token, units[:2])  # 3 left: at the minimum, not below
    assert alerts(firestore_client, "MIN-B") == {}
    use(call, user_token, units[2:3])  # 2 left: below
    use(call, user_token, units[3:4])  # 1 left: still below, no second alert
    first = alerts(firestore_client, "MIN-B")
    assert list(first) == ["low_stock-MIN-B-1"]
    assert first["low_stock-MIN-B-1"] | {"at": None} == {
        "kind": "low_stock", "audience": "staff", "read": False, "part_code": "MIN-B",
        "part_name": "name of MIN-B", "available": 2, "min_units": 3, "at": None, "alert": 1}
    more = add(call, user_token, "MIN-B", 8)  # 3 more: 4 left, back above: re-armed
    assert len(more) == 3 and part(firestore_client, "MIN-B")["below_minimum"] is False
    use(call, user_token, more[:2])  # 2 left: below again, the second alert
    assert sorted(alerts(firestore_client, "MIN-B")) == ["low_stock-MIN-B-1",
                                                          "low_stock-MIN-B-2"]
    low = result_of(callable_(call, "list_parts", {"below_minimum": True}, user_token))
    assert [p["part_code"] for p in low["parts"]] == ["MIN-B"]


def test_twenty_people_taking_the_last_units_at_once_raise_one_alert(
        functions_env, call, user_token, firestore_client):
    units = add(call, user_token, "MIN-C", 20, min_units=20)
    start = threading.Barrier(20)

    def take(qr_id: str) -> int:
        start.wait()
        return int(callable_(call, "mark_units_used", {"qr_ids": [qr_id], "reason": "rush"},
                             user_token).status_code)

    with ThreadPoolExecutor(20) as pool:
        statuses = list(pool.map(take, units))
    assert statuses == [200] * 20
    assert list(alerts(firestore_client, "MIN-C")) == ["low_stock-MIN-C-1"]
    stored = part(firestore_client, "MIN-C")
    assert (stored["used_count"], stored["below_minimum"], stored["low_alerts"]) == (20, True, 1)


def test_two_people_setting_minimums_at_once_raise_one_alert(functions_env, call, user_token,
                                                             firestore_client):
    add(call, user_token, "MIN-D", 2)
    start = threading.Barrier(2)

    def set_to(minimum: int) -> Any:
        start.wait()
        return result_of(callable_(call, "set_part_minimum",
                                   {"part_code": "MIN-D", "min_units": minimum}, user_token))

    with ThreadPoolExecutor(2) as pool:
        replies = list(pool.map(set_to, [5, 6]))
    assert sorted(r["alert_raised"] for r in replies) == [False, True]
    assert list(alerts(firestore_client, "MIN-D")) == ["low_stock-MIN-D-1"]
    assert len(list(firestore_client.collection("admin_actions").stream())) == 2


def test_twenty_people_setting_one_parts_minimum_at_once_are_all_audited(
        functions_env, call, user_token, firestore_client):
    add(call, user_token, "MIN-T", 10)
    start = threading.Barrier(20)

    def set_to(minimum: int) -> Any:
        start.wait()
        return callable_(call, "set_part_minimum", {"part_code": "MIN-T", "min_units": minimum},
                         user_token)

    with ThreadPoolExecutor(20) as pool:
        replies = list(pool.map(set_to, range(1, 21)))
    assert [r.status_code for r in replies] == [200] * 20
    audits = [d.to_dict() for d in firestore_client.collection("admin_actions").stream()]
    assert sorted(a["after"]["min_units"] for a in audits) == list(range(1, 21))
    # Each change saw the one before it: the audit trail is one chain from none to the last.
    befores = {a["before"]["min_units"] for a in audits}
    stored = part(firestore_client, "MIN-T")
    assert befores == {None} | set(range(1, 21)) - {stored["min_units"]}
    raised = [r.get_json()["result"]["alert_raised"] for r in replies]
    assert stored["low_alerts"] == sum(raised) == len(alerts(firestore_client, "MIN-T"))
    assert stored["below_minimum"] is (stored["min_units"] > 10)


def test_a_minimum_above_what_is_left_alerts_at_once_and_removing_it_re_arms(
        functions_env, call, user_token, firestore_client):
    add(call, user_token, "MIN-E", 2)
    raised = result_of(callable_(call, "set_part_minimum",
                                 {"part_code": "MIN-E", "min_units": 4}, user_token))
    assert (raised["below_minimum"], raised["alert_raised"]) == (True, True)
    removed = result_of(callable_(call, "set_part_minimum",
                                  {"part_code": "MIN-E", "min_units": None}, user_token))
    assert (removed["min_units"], removed["below_minimum"]) == (None, False)
    again = result_of(callable_(call, "set_part_minimum",
                                {"part_code": "MIN-E", "min_units": 3}, user_token))
    assert again["alert_raised"] is True
    assert sorted(alerts(firestore_client, "MIN-E")) == ["low_stock-MIN-E-1",
                                                          "low_stock-MIN-E-2"]


@pytest.mark.parametrize("data, status, english, turkish", [
    ({"part_code": "MIN-F", "min_units": -1}, "INVALID_ARGUMENT",
     '"min_units" must be from 0 to 1000000, got -1.',
     '"min_units" 0 ile 1000000 arasında olmalı; gönderilen: -1.'),
    ({"part_code": "MIN-F", "min_units": 2.5}, "INVALID_ARGUMENT",
     '"min_units" must be a whole number from 0 to 1000000, or null to remove the minimum.',
     '"min_units" 0 ile 1000000 arasında bir tam sayı olmalı; asgariyi kaldırmak için null '
     'gönderin.'),
    ({"part_code": "MIN-F", "min_units": "5"}, "INVALID_ARGUMENT", None, None),
    ({"part_code": "MIN-F", "min_units": True}, "INVALID_ARGUMENT", None, None),
    ({"part_code": "MIN-F"}, "INVALID_ARGUMENT",
     'Send {"part_code": "...", "min_units": <a whole number, or null for none>}.', None),
    ({"part_code": "NOPE", "min_units": 1}, "INVALID_ARGUMENT",
     "There is no part 'NOPE'; nothing was changed.",
     "'NOPE' kodlu bir parça yok; hiçbir şey değiştirilmedi."),
    ({"part_code": "", "min_units": 1}, "INVALID_ARGUMENT", None, None),
    ([], "INVALID_ARGUMENT", None, None),
])
def test_a_bad_minimum_is_refused_in_the_callers_language_and_writes_nothing(
        functions_env, call, user_token, firestore_client, drain, data, status, english,
        turkish):
    add(call, user_token, "MIN-F", 2)
    drain()
    before = everything(firestore_client)
    for headers, expected in (({}, english), (TURKISH, turkish)):
        reply = call("set_part_minimum", "POST", token=user_token, headers=headers,
                     json={"data": data})
        error = error_of(reply)
        assert error["status"] == status
        assert reply.status_code == 400
        if expected is not None:
            assert error["message"] == expected
    assert everything(firestore_client) == before


@pytest.mark.parametrize("name", ["set_part_minimum", "get_unit"])
@pytest.mark.parametrize("who, status", [("no_role_token", "PERMISSION_DENIED"),
                                         (None, "UNAUTHENTICATED")])
def test_no_role_no_inventory(functions_env, call, user_token, firestore_client, request,
                              drain, name, who, status):
    units = add(call, user_token, "MIN-G", 1)
    drain()
    token = request.getfixturevalue(who) if who else None
    data = {"part_code": "MIN-G", "min_units": 4} if name == "set_part_minimum" else \
        {"qr_id": units[0]}
    before = everything(firestore_client)
    assert error_of(callable_(call, name, data, token))["status"] == status
    reply = call("export_inventory", "GET", "?format=csv", token=token)
    assert reply.status_code == (403 if token else 401)
    assert everything(firestore_client) == before


# -- a unit's life ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["get_unit", "getUnit"])
def test_a_units_life_in_order(functions_env, call, user_token, admin_token, firestore_client,
                               drain, name):
    units = add(call, user_token, "LIFE-A", 2)
    drain()
    qr_id = units[0]
    sheet = call("download_label_sheet", "GET", token=user_token,
                 query_string={"qr_ids": qr_id, "layout": "avery-l7160"})
    assert sheet.status_code == 200, sheet.get_data(as_text=True)
    assert call("download_single_qr", "GET", qr_id, token=admin_token).status_code == 200
    session = result_of(callable_(call, "start_count_session", {"name": "Aralık sayımı"},
                                  user_token))["session_id"]
    result_of(callable_(call, "record_scans", {"session_id": session, "scans": [
        {"client_scan_id": "c-1", "qr_id": qr_id}]}, user_token))
    result_of(callable_(call, "finish_count_session", {"session_id": session}, user_token))
    use(call, admin_token, [qr_id], "sent to the Ankara site")

    life = result_of(callable_(call, name, {"qr_id": qr_id}, user_token))
    assert (life["qr_id"], life["part_code"], life["part_name"], life["used"]) == (
        qr_id, "LIFE-A", "name of LIFE-A", True)
    events = life["events"]
    assert [e["kind"] for e in events] == ["created", "stored", "printed", "downloaded",
                                           "counted", "used"]
    assert [e["by"] for e in events] == ["staff-1", None, "staff-1", "admin-1", "staff-1",
                                         "admin-1"]
    assert events[2]["layout"] == "avery-l7160"
    assert (events[4]["session_id"], events[4]["session_name"]) == (session, "Aralık sayımı")
    assert events[5]["reason"] == "sent to the Ankara site"
    times = [datetime.fromisoformat(e["at"]) for e in events]
    assert times == sorted(times)
    # The other unit was made and stored, nothing else.
    other = result_of(callable_(call, name, {"qr_id": units[1]}, user_token))
    assert [e["kind"] for e in other["events"]] == ["created", "stored"]


def test_an_undone_scan_is_not_in_the_units_life(functions_env, call, user_token):
    (qr_id,) = add(call, user_token, "LIFE-B", 1)
    session = result_of(callable_(call, "start_count_session", {"name": "s"},
                                  user_token))["session_id"]
    result_of(callable_(call, "record_scans", {"session_id": session, "scans": [
        {"client_scan_id": "c-1", "qr_id": qr_id}]}, user_token))
    counted = result_of(callable_(call, "get_unit", {"qr_id": qr_id}, user_token))
    assert "counted" in [e["kind"] for e in counted["events"]]
    result_of(callable_(call, "undo_scan", {"session_id": session, "client_scan_id": "c-1"},
                        user_token))
    undone = result_of(callable_(call, "get_unit", {"qr_id": qr_id}, user_token))
    assert "counted" not in [e["kind"] for e in undone["events"]]


def test_a_unit_from_before_its_history_starts_with_what_its_record_holds(
        functions_env, call, user_token, firestore_client):
    (qr_id,) = add(call, user_token, "LIFE-C", 1)
    ref = firestore_client.collection("qr_codes").document(qr_id)
    later = datetime.fromtimestamp(ref.get().get("created_at").timestamp() + 3600, UTC)
    # As an old record stands: counts and last times, no events.
    ref.update({"print_count": 3, "printed_at": later, "download_count": 1,
                "is_downloaded": True, "downloaded_at": later})
    life = result_of(callable_(call, "get_unit", {"qr_id": qr_id}, user_token))
    kinds = {e["kind"]: e for e in life["events"]}
    assert (kinds["printed"]["recorded"], kinds["printed"]["times"]) == (False, 3)
    assert kinds["downloaded"]["times"] == 1
    assert datetime.fromisoformat(kinds["printed"]["at"]) == later


@pytest.mark.parametrize("data, status", [
    ({"qr_id": "LIFE-Z-aaaaaaaaaaaa"}, "NOT_FOUND"), ({"qr_id": "../x"}, "INVALID_ARGUMENT"),
    ({}, "INVALID_ARGUMENT"), ("LIFE", "INVALID_ARGUMENT"), ({"qr_id": 5}, "INVALID_ARGUMENT"),
])
def test_a_bad_unit_request_is_refused(functions_env, call, user_token, data, status):
    turkish = error_of(call("get_unit", "POST", token=user_token, headers=TURKISH,
                            json={"data": data}))
    english = error_of(callable_(call, "get_unit", data, user_token))
    assert turkish["status"] == english["status"] == status
    assert turkish["message"] != english["message"]


# -- the export ---------------------------------------------------------------------------------

def export(call: Any, token: str, fmt: str, scope: str, headers: dict[str, str] | None = None
           ) -> Any:
    reply = call("export_inventory", "GET", f"?format={fmt}&scope={scope}", token=token,
                 headers=headers or {})
    assert reply.status_code == 200, reply.get_data(as_text=True)
    assert f"inventory-{scope}-" in reply.headers["Content-Disposition"]
    return reply


def sheet_rows(reply: Any) -> list[list[Any]]:
    book = openpyxl.load_workbook(io.BytesIO(reply.get_data()))
    return [list(row) for row in book.worksheets[0].iter_rows(values_only=True)]


def csv_rows(reply: Any) -> list[list[str]]:
    data = reply.get_data()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM: Excel reads it right
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.fixture
def stocked(functions_env, call, user_token, admin_token, drain) -> dict[str, list[str]]:
    a = add(call, user_token, "EXP-A", 3, min_units=2)
    b = add(call, user_token, "EXP-B", 2)
    formula = upload(call, user_token, [{"part_code": "EXP-C", "part_name": "=HYPERLINK(1)",
                                         "quantity": 1}])
    assert formula.status_code == 201
    drain()
    assert call("download_label_sheet", "GET", token=user_token,
                query_string={"part_code": "EXP-A"}).status_code == 200
    assert call("download_single_qr", "GET", b[0], token=user_token).status_code == 200
    use(call, user_token, a[:2])  # EXP-A: 1 left, below its minimum of 2
    return {"EXP-A": a, "EXP-B": b}


def test_the_parts_export_in_both_formats_and_languages(stocked, call, user_token):
    english = sheet_rows(export(call, user_token, "xlsx", "parts"))
    assert english[0] == ["Part code", "Part name", "Units", "Available", "Used", "Printed",
                          "Downloaded", "Minimum", "Last counted"]
    assert english[1:] == [
        ["EXP-A", "name of EXP-A", 3, 1, 2, 3, 0, 2, None],
        ["EXP-B", "name of EXP-B", 2, 2, 0, 0, 1, None, None],
        ["EXP-C", "'=HYPERLINK(1)", 1, 1, 0, 0, 0, None, None]]
    turkish = csv_rows(export(call, user_token, "csv", "parts", TURKISH))
    assert turkish[0] == ["Parça kodu", "Parça adı", "Adet", "Mevcut", "Kullanılan",
                          "Basılan", "İndirilen", "Asgari", "Son sayım"]
    assert turkish[1:] == [["EXP-A", "name of EXP-A", "3", "1", "2", "3", "0", "2", ""],
                           ["EXP-B", "name of EXP-B", "2", "2", "0", "0", "1", "", ""],
                           ["EXP-C", "'=HYPERLINK(1)", "1", "1", "0", "0", "0", "", ""]]


def test_the_units_export_has_dates_as_dates(stocked, call, user_token):
    session = result_of(callable_(call, "start_count_session", {"name": "Aralık",
                                                                "part_codes": ["EXP-B"]},
                                  user_token))["session_id"]
    result_of(callable_(call, "record_scans", {"session_id": session, "scans": [
        {"client_scan_id": "c-1", "qr_id": stocked["EXP-B"][1]}]}, user_token))
    result_of(callable_(call, "finish_count_session", {"session_id": session}, user_token))

    rows = sheet_rows(export(call, user_token, "xlsx", "units"))
    assert rows[0] == ["QR id", "Part code", "Part name", "Printed", "Downloaded", "Used",
                       "Last counted"]
    by_id = {r[0]: r for r in rows[1:]}
    assert sorted(by_id) == sorted([*stocked["EXP-A"], *stocked["EXP-B"]] + [
        q for q in by_id if q.startswith("EXP-C")])
    a0, b0, b1 = stocked["EXP-A"][0], stocked["EXP-B"][0], stocked["EXP-B"][1]
    assert by_id[a0][3:5] == [1, 0] and isinstance(by_id[a0][5], datetime)
    assert by_id[b0][3:6] == [0, 1, None]
    assert isinstance(by_id[b1][6], datetime) and by_id[b0][6] is None
    # The part counted last: the parts export says when.
    parts = {r[0]: r for r in sheet_rows(export(call, user_token, "xlsx", "parts"))[1:]}
    assert isinstance(parts["EXP-B"][8], datetime) and parts["EXP-A"][8] is None
    text = csv_rows(export(call, user_token, "csv", "units", TURKISH))
    assert text[0][0] == "QR kimliği"
    assert next(r for r in text if r[0] == b1)[6][:4].isdigit()  # "2026-12-07 10:15:00"


@pytest.mark.parametrize("query, english, turkish", [
    ("?format=pdf", '"format" must be xlsx or csv.', '"format" xlsx ya da csv olmalı.'),
    ("?format=csv&scope=shelves", '"scope" must be parts or units.',
     '"scope" parts ya da units olmalı.'),
])
def test_an_unknown_format_or_scope_is_a_400_in_the_callers_language(
        functions_env, call, user_token, query, english, turkish):
    for headers, message in (({}, english), (TURKISH, turkish)):
        reply = call("export_inventory", "GET", query, token=user_token, headers=headers)
        assert reply.status_code == 400
        assert reply.get_json()["error"]["message"] == message


# -- the round trip -----------------------------------------------------------------------------

def upload_file(call: Any, token: str, name: str, content: bytes, **form: str) -> Any:
    return call("upload_parts", "POST", token=token,
                data={"file": (io.BytesIO(content), name), **form},
                content_type="multipart/form-data")


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize("language", [{}, TURKISH])
def test_an_exported_parts_sheet_uploaded_unchanged_adds_and_changes_nothing(
        stocked, call, user_token, firestore_client, fmt, language):
    sheet = export(call, user_token, fmt, "parts", language).get_data()
    before, times = everything(firestore_client), update_times(firestore_client)
    dry = upload_file(call, user_token, f"inventory.{fmt}", sheet, dry_run="true")
    assert dry.status_code == 200, dry.get_data(as_text=True)
    assert (dry.get_json()["summary"]["units_added"], dry.get_json()["minimum_changes"],
            dry.get_json()["refused"]) == (0, [], [])
    reply = upload_file(call, user_token, f"inventory.{fmt}", sheet)
    assert reply.status_code == 201, reply.get_data(as_text=True)
    body = reply.get_json()
    assert (body["qr_ids"], body["summary"]["units_added"], body["minimum_changes"]) == (
        [], 0, [])
    assert everything(firestore_client) == before
    assert update_times(firestore_client) == times  # not even rewritten


def test_an_edited_export_changes_minimums_and_adds_units(stocked, call, user_token,
                                                          firestore_client):
    book = openpyxl.load_workbook(io.BytesIO(
        export(call, user_token, "xlsx", "parts", TURKISH).get_data()))
    sheet = book.worksheets[0]
    sheet["C3"] = 4  # EXP-B: 2 -> 4 units
    sheet["H3"] = 1  # EXP-B gets a minimum
    sheet.append(["EXP-D", "yeni parça", 2, None, None, None, None, 0, None])
    out = io.BytesIO()
    book.save(out)
    dry = upload_file(call, user_token, "envanter.xlsx", out.getvalue(), dry_run="1")
    assert dry.status_code == 200, dry.get_data(as_text=True)
    plan = dry.get_json()
    assert plan["dry_run"] is True and plan["summary"]["units_added"] == 4
    assert plan["minimum_changes"] == [{"part_code": "EXP-B", "from": None, "to": 1},
                                       {"part_code": "EXP-D", "from": None, "to": 0}]
    assert part(firestore_client, "EXP-D") == {}  # nothing written by the dry run
    done = upload_file(call, user_token, "envanter.xlsx", out.getvalue()).get_json()
    assert (done["summary"]["units_added"], done["minimum_changes"]) == (
        4, plan["minimum_changes"])
    assert (part(firestore_client, "EXP-B")["min_units"], part(firestore_client, "EXP-B")[
        "qr_count"]) == (1, 4)


def test_a_dry_run_reports_refused_rows_and_writes_nothing(functions_env, call, user_token,
                                                           firestore_client, drain):
    add(call, user_token, "DRY-A", 2)
    drain()
    before = everything(firestore_client)
    content = ("Parça kodu;Parça adı;Adet;Asgari\n"
               "DRY-A;name of DRY-A;5;3\n"
               "DRY-B;yeni;0;\n"
               "DRY-C;yeni;2;-1\n").encode()
    reply = call("upload_parts", "POST", token=user_token, headers=TURKISH,
                 data={"file": (io.BytesIO(content), "p.csv"), "dry_run": "true"},
                 content_type="multipart/form-data")
    assert reply.status_code == 200, reply.get_data(as_text=True)
    plan = reply.get_json()
    assert plan["summary"]["details"] == [{"part_code": "DRY-A", "part_name": "name of DRY-A",
                                           "requested": 5, "existing": 2, "added": 3}]
    assert plan["minimum_changes"] == [{"part_code": "DRY-A", "from": None, "to": 3}]
    assert [(r["row"], r["column"]) for r in plan["refused"]] == [(3, "quantity"),
                                                                   (4, "min_units")]
    assert plan["refused_count"] == 2
    assert "asgari adet" in plan["refused"][1]["reason"]
    assert everything(firestore_client) == before
    # The same file for real: refused as a whole, nothing written.
    real = call("upload_parts", "POST", token=user_token,
                data={"file": (io.BytesIO(content), "p.csv")},
                content_type="multipart/form-data")
    assert real.status_code == 400 and everything(firestore_client) == before


def test_a_json_dry_run_and_a_bad_flag(functions_env, call, user_token, firestore_client):
    parts = [{"part_code": "DRY-J", "part_name": "j", "quantity": 2, "min_units": 1}]
    plan = upload(call, user_token, parts, dry_run=True)
    assert plan.status_code == 200 and plan.get_json()["summary"]["units_added"] == 2
    bad = call("upload_parts", "POST", token=user_token, headers=TURKISH,
               json={"parts": parts, "dry_run": "maybe"})
    assert bad.status_code == 400
    assert bad.get_json()["error"]["message"] == '"dry_run" true ya da false olmalı.'
    assert part(firestore_client, "DRY-J") == {}


# -- hammered, and the daily digest ---------------------------------------------------------------

def test_twenty_threads_reading_a_unit_and_the_export_at_once_agree(stocked, call,
                                                                    user_token):
    qr_id = stocked["EXP-A"][0]
    start = threading.Barrier(20)

    def read(n: int) -> Any:
        start.wait()
        if n % 2:
            return result_of(callable_(call, "get_unit", {"qr_id": qr_id}, user_token))
        return csv_rows(export(call, user_token, "csv", "parts"))

    with ThreadPoolExecutor(20) as pool:
        answers = list(pool.map(read, range(20)))
    assert all(a == answers[1] for a in answers[1::2])
    assert all(a == answers[0] for a in answers[0::2])
    assert [e["kind"] for e in answers[1]["events"]][-1] == "used"


def test_the_daily_digest_lists_the_low_parts_once_and_is_skipped_without_any(
        functions_env, call, user_token, firestore_client):
    import composition

    add(call, user_token, "DIG-A", 3, min_units=1)
    assert composition.low_stock_digest().send() is False
    add(call, user_token, "DIG-B", 1, min_units=4)  # made below its minimum
    assert composition.low_stock_digest().send() is True
    assert composition.low_stock_digest().send() is False  # once a day
    (digest,) = [d.to_dict() for d in firestore_client.collection("admin_notifications")
                 .stream() if d.id.startswith("low_stock_digest-")]
    assert (digest["count"], digest["more"], digest["parts"]) == (1, False, [
        {"part_code": "DIG-B", "part_name": "name of DIG-B", "available": 1, "min_units": 4}])
    assert "audience" not in digest  # for admins
    assert list(alerts(firestore_client, "DIG-B")) == ["low_stock-DIG-B-1"]


def test_a_part_cleared_and_made_again_alerts_again(functions_env, call, user_token,
                                                    admin_token, firestore_client, drain):
    units = add(call, user_token, "MIN-H", 2, min_units=2)
    use(call, user_token, units[:1])
    drain()
    cleared = call("clear_all_qrs", "POST", token=admin_token,
                   json={"confirm": "DELETE ALL QR CODES"})
    assert cleared.status_code == 200, cleared.get_data(as_text=True)
    again = add(call, user_token, "MIN-H", 2, min_units=2)  # its alerts count from 1 again
    use(call, user_token, again[:1])
    found = [d.to_dict() for d in firestore_client.collection("admin_notifications").stream()
             if (d.to_dict() or {}).get("part_code") == "MIN-H"]
    assert sorted(n["alert"] for n in found) == [1, 1]
