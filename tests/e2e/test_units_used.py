"""Units taken from stock end to end: the mark_units_used / markUnitsUsed callables through
firebase-functions' callable protocol, on the Firestore emulator."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from identity import STAFF_MISSING
from infra.firestore_qr_repository import FirestoreQrRepository
from qr import render
from tests.support.moderation import callable_


def upload(call: Any, token: str, parts: list[tuple[str, int]]) -> dict[str, list[str]]:
    """Upload parts (code, quantity); return each part's new qr_ids."""
    reply = call("upload_parts", "POST", token=token, json={"parts": [
        {"part_code": code, "part_name": f"name of {code}", "quantity": n}
        for code, n in parts]})
    assert reply.status_code == 201, reply.get_data(as_text=True)
    by_part: dict[str, list[str]] = {code: [] for code, _ in parts}
    for qr_id in reply.get_json()["qr_ids"]:
        by_part[qr_id.rsplit("-", 1)[0]].append(qr_id)
    return by_part


def mark(call: Any, data: Any, token: str | None, name: str = "mark_units_used") -> Any:
    return callable_(call, name, data, token)


def unit(firestore_client: Any, qr_id: str) -> dict[str, Any]:
    return firestore_client.collection("qr_codes").document(qr_id).get().to_dict()


def used_count(firestore_client: Any, part_code: str) -> int | None:
    return firestore_client.collection("parts").document(part_code).get().to_dict().get(
        "used_count")


def everything(firestore_client: Any) -> dict[str, dict[str, dict]]:
    return {name: {d.id: d.to_dict() for d in firestore_client.collection(name).stream()}
            for name in ("qr_codes", "parts")}


@pytest.fixture
def stock(functions_env, call, user_token, drain) -> dict[str, list[str]]:
    units = upload(call, user_token, [("USE-A", 4), ("USE-B", 3)])
    drain()
    return units


# -- marking --------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["mark_units_used", "markUnitsUsed"])
def test_staff_marks_units_used_and_the_parts_count_them(stock, call, user_token,
                                                         firestore_client, name):
    a, b = stock["USE-A"], stock["USE-B"]
    reply = mark(call, {"qr_ids": [a[0], b[0], a[1]], "reason": "sold to customer 17"},
                 user_token, name)
    assert reply.status_code == 200, reply.get_data(as_text=True)
    assert reply.get_json()["result"] == {"marked": 3, "already_used": [],
                                          "parts": {"USE-A": 2, "USE-B": 1}}
    for qr_id in (a[0], a[1], b[0]):
        record = unit(firestore_client, qr_id)
        assert (record["used"], record["used_by"], record["used_reason"]) == (
            True, "staff-1", "sold to customer 17")
        assert record["used_at"] is not None
    assert "used" not in unit(firestore_client, a[2])  # the others are untouched
    assert (used_count(firestore_client, "USE-A"), used_count(firestore_client, "USE-B")) == (
        2, 1)


def test_a_used_unit_is_reported_and_keeps_its_first_reason_and_time(
        stock, call, user_token, admin_token, firestore_client):
    a = stock["USE-A"]
    assert mark(call, {"qr_ids": [a[0]], "reason": "broken"}, user_token).status_code == 200
    first = unit(firestore_client, a[0])

    # An admin is staff too; the id sent twice is one unit.
    again = mark(call, {"qr_ids": [a[1], a[0], a[1]], "reason": "  sold  "}, admin_token,
                 "markUnitsUsed")
    assert again.status_code == 200, again.get_data(as_text=True)
    assert again.get_json()["result"] == {"marked": 1, "already_used": [a[0]],
                                          "parts": {"USE-A": 2}}
    assert unit(firestore_client, a[0]) == first
    second = unit(firestore_client, a[1])
    assert (second["used_reason"], second["used_by"]) == ("sold", "admin-1")

    # Sending the same list again changes nothing and still answers the totals.
    repeat = mark(call, {"qr_ids": [a[0], a[1]], "reason": "sold"}, user_token)
    assert repeat.get_json()["result"] == {"marked": 0, "already_used": [a[0], a[1]],
                                           "parts": {"USE-A": 2}}
    assert used_count(firestore_client, "USE-A") == 2


def test_the_record_tells_other_use_cases_a_unit_is_used(stock, call, user_token,
                                                         firestore_client):
    a = stock["USE-A"]
    mark(call, {"qr_ids": [a[0]], "reason": "scrapped"}, user_token)
    records = FirestoreQrRepository(firestore_client).get_many(a[:2])
    assert [r.used for r in records] == [True, False]  # False too for records without it


def test_two_calls_at_once_count_each_unit_once(stock, call, user_token, firestore_client):
    wanted = stock["USE-A"] + stock["USE-B"]
    start = threading.Barrier(2)

    def mark_all(reason: str) -> dict[str, Any]:
        start.wait()
        reply = mark(call, {"qr_ids": wanted, "reason": reason}, user_token)
        assert reply.status_code == 200, reply.get_data(as_text=True)
        return reply.get_json()["result"]

    with ThreadPoolExecutor(max_workers=2) as pool:
        one, two = pool.map(mark_all, ["first caller", "second caller"])

    assert one["marked"] + two["marked"] == len(wanted)
    # What one call marked, the other found used: never both, never neither.
    assert sorted(one["already_used"] + two["already_used"]) == sorted(wanted)
    assert (used_count(firestore_client, "USE-A"), used_count(firestore_client, "USE-B")) == (
        4, 3)
    reasons = {unit(firestore_client, q)["used_reason"] for q in two["already_used"]}
    assert reasons <= {"first caller"}


def test_twenty_calls_at_once_all_answer_and_count_each_unit_once(stock, call, user_token,
                                                                  firestore_client):
    """Hammered from 20 threads: nobody waits on anybody's lock, every call answers 200, and
    exactly one of them marks each unit."""
    wanted = stock["USE-A"] + stock["USE-B"]
    start = threading.Barrier(20)

    def mark_all(n: int) -> dict[str, Any]:
        start.wait()
        reply = mark(call, {"qr_ids": wanted, "reason": f"caller {n}"}, user_token)
        assert reply.status_code == 200, reply.get_data(as_text=True)
        return reply.get_json()["result"]

    with ThreadPoolExecutor(max_workers=20) as pool:
        results = list(pool.map(mark_all, range(20)))

    assert sum(r["marked"] for r in results) == len(wanted)
    for qr_id in wanted:
        assert sum(qr_id in r["already_used"] for r in results) == 19
    assert (used_count(firestore_client, "USE-A"), used_count(firestore_client, "USE-B")) == (
        4, 3)
    # Every reply's counts are the totals after its own commit: never above the truth.
    assert all(r["parts"]["USE-A"] <= 4 and r["parts"]["USE-B"] <= 3 for r in results)


def test_a_call_of_500_units_over_many_parts_spans_transactions_and_counts_right(
        functions_env, call, user_token, firestore_client, drain):
    # 400 units of one part (more than one transaction holds) and 100 parts of one unit
    # (more parts than one transaction writes).
    units = upload(call, user_token, [("BIG", 400)] + [(f"S-{i:03d}", 1) for i in range(100)])
    drain()
    wanted = [q for ids in units.values() for q in ids]
    assert len(wanted) == 500
    reply = mark(call, {"qr_ids": wanted, "reason": "moved to the other site"}, user_token)
    assert reply.status_code == 200, reply.get_data(as_text=True)
    result = reply.get_json()["result"]
    assert result["marked"] == 500 and result["already_used"] == []
    assert result["parts"] == {"BIG": 400, **{f"S-{i:03d}": 1 for i in range(100)}}
    parts = everything(firestore_client)["parts"]
    assert {code: doc["used_count"] for code, doc in parts.items()} == result["parts"]
    assert all(doc["used"] for doc in everything(firestore_client)["qr_codes"].values())


def test_a_used_unit_still_has_its_image(stock, call, user_token):
    qr_id = stock["USE-A"][0]
    mark(call, {"qr_ids": [qr_id], "reason": "sold"}, user_token)
    reply = call("generate_qr_image", "GET", qr_id, token=user_token)
    assert reply.status_code == 200
    assert reply.get_data() == render.render_png(qr_id)


# -- refused --------------------------------------------------------------------------------

@pytest.mark.parametrize("who, status, code", [
    ("no_role_token", 403, "PERMISSION_DENIED"),
    (None, 401, "UNAUTHENTICATED"),
])
def test_only_staff_may_mark(stock, call, firestore_client, request, who, status, code):
    token = request.getfixturevalue(who) if who else None
    before = everything(firestore_client)
    reply = mark(call, {"qr_ids": [stock["USE-A"][0]], "reason": "sold"}, token)
    assert reply.status_code == status, reply.get_data(as_text=True)
    error = reply.get_json()["error"]
    assert error["status"] == code
    if who:
        assert error["message"] == STAFF_MISSING
    assert everything(firestore_client) == before


GOOD_ID = "USE-A-placeholder"  # replaced by a real unit of the stock fixture


@pytest.mark.parametrize("data, status, code, fragment", [
    ({"qr_ids": [GOOD_ID]}, 400, "INVALID_ARGUMENT", '"reason" is required'),
    ({"qr_ids": [GOOD_ID], "reason": "   "}, 400, "INVALID_ARGUMENT", '"reason" is empty'),
    ({"qr_ids": [GOOD_ID], "reason": 7}, 400, "INVALID_ARGUMENT", '"reason" must be text'),
    ({"qr_ids": [GOOD_ID], "reason": "x" * 201}, 400, "INVALID_ARGUMENT",
     '"reason" may be at most 200 characters'),
    ({"qr_ids": [], "reason": "sold"}, 400, "INVALID_ARGUMENT", '"qr_ids" is empty'),
    ({"qr_ids": [GOOD_ID] + [f"USE-A-{i:012d}" for i in range(500)], "reason": "sold"}, 400,
     "INVALID_ARGUMENT", '"qr_ids" may hold at most 500'),
    ({"qr_ids": [GOOD_ID, "a/b"], "reason": "sold"}, 400, "INVALID_ARGUMENT",
     '"qr_ids"[1]: A QR id may only contain'),
    ({"qr_ids": [GOOD_ID, 5], "reason": "sold"}, 400, "INVALID_ARGUMENT",
     '"qr_ids"[1]: A QR id must be text'),
    ({"qr_ids": GOOD_ID, "reason": "sold"}, 400, "INVALID_ARGUMENT",
     '"qr_ids" must be a list'),
    ({"reason": "sold"}, 400, "INVALID_ARGUMENT", '"qr_ids" must be a list'),
    ([GOOD_ID], 400, "INVALID_ARGUMENT", '{"qr_ids"'),
    ({"qr_ids": [GOOD_ID, "NOPE-abcdefabcdef"], "reason": "sold"}, 404, "NOT_FOUND",
     "NOPE-abcdefabcdef"),
])
def test_a_bad_request_is_refused_and_changes_nothing(stock, call, user_token, firestore_client,
                                                      data, status, code, fragment):
    data = _with_real_id(data, stock["USE-A"][0])
    before = everything(firestore_client)
    reply = mark(call, data, user_token)
    assert reply.status_code == status, reply.get_data(as_text=True)
    error = reply.get_json()["error"]
    assert error["status"] == code
    assert fragment in error["message"], error["message"]
    assert everything(firestore_client) == before


def test_not_found_lists_every_unknown_id(stock, call, user_token):
    unknown = [f"NOPE-{i:012d}" for i in range(12)]
    reply = mark(call, {"qr_ids": [stock["USE-A"][0], *unknown], "reason": "sold"},
                 user_token)
    error = reply.get_json()["error"]
    assert error["status"] == "NOT_FOUND"
    assert error["details"] == {"unknown": unknown}
    assert "nothing was marked" in error["message"]


def _with_real_id(data: Any, real_id: str) -> Any:
    def swap(value: Any) -> Any:
        return real_id if value == GOOD_ID else value

    if isinstance(data, list):
        return [swap(v) for v in data]
    if isinstance(data, dict) and "qr_ids" in data:
        ids = data["qr_ids"]
        return {**data, "qr_ids": [swap(v) for v in ids] if isinstance(ids, list) else swap(ids)}
    return data
