"""The inventory's use cases over the in-memory repository: minimums, a unit's life, the
dry run of an upload, and a parts list with minimums and an export's columns."""

from __future__ import annotations

from typing import Any

import pytest

from errors import InvalidInput, NotFound, PermissionDenied, StoreUnavailable
from identity import Caller
from qr.parts_import import PartRow, check_parts_upload, parse_parts_json, parse_parts_upload
from qr.service import QrLabels
from tests.support.fakes import FakeBlobStore, FakeQrRepository, FakeStoreQueue

STAFF = Caller(uid="alice", has_staff_claim=True)
MEMBER = Caller(uid="member")


def labels() -> tuple[QrLabels, FakeQrRepository, FakeStoreQueue]:
    repo, queue = FakeQrRepository(), FakeStoreQueue()
    return QrLabels(repo, FakeBlobStore(), queue), repo, queue


def parts(*rows: tuple[Any, ...]) -> dict[str, Any]:
    keys = ("part_code", "part_name", "quantity", "min_units")
    return {"parts": [dict(zip(keys, row, strict=False)) for row in rows]}


# -- minimums -----------------------------------------------------------------------------------

def test_setting_a_minimum_above_what_is_left_alerts_once() -> None:
    service, repo, _ = labels()
    service.upload_parts(STAFF, body=parts(("VIDA", "Vida", 2)))
    reply = service.set_minimum(STAFF, {"part_code": " VIDA ", "min_units": 3})
    assert reply == {"part_code": "VIDA", "min_units": 3, "min_before": None, "available": 2,
                     "below_minimum": True, "alert_raised": True}
    assert service.set_minimum(STAFF, {"part_code": "VIDA", "min_units": 4})[
        "alert_raised"] is False
    assert [k.rsplit("-", 1)[0] for k in repo.notices] == ["low_stock-VIDA-1"]
    assert [a["after"] for a in repo.audit] == [{"min_units": 3}, {"min_units": 4}]


@pytest.mark.parametrize("data, error, code", [
    ({"part_code": "NONE", "min_units": 1}, InvalidInput, "qr.minimum.unknown_part"),
    ({"part_code": "VIDA"}, InvalidInput, "qr.minimum.body"),
    ({"min_units": 1}, InvalidInput, "qr.minimum.body"),
    ("VIDA", InvalidInput, "qr.minimum.body"),
    ({"part_code": "VIDA", "min_units": -2}, InvalidInput, "qr.minimum.out_of_range"),
])
def test_a_bad_minimum_changes_nothing(data: Any, error: type[Exception], code: str) -> None:
    service, repo, _ = labels()
    service.upload_parts(STAFF, body=parts(("VIDA", "Vida", 2)))
    before = {k: dict(v) for k, v in repo.parts.items()}
    with pytest.raises(error) as err:
        service.set_minimum(STAFF, data)
    assert err.value.message.code == code  # type: ignore[attr-defined]
    assert repo.parts == before and repo.audit == []


def test_minimums_and_units_are_for_staff() -> None:
    service, _, _ = labels()
    with pytest.raises(PermissionDenied):
        service.set_minimum(MEMBER, {"part_code": "VIDA", "min_units": 1})
    with pytest.raises(PermissionDenied):
        service.unit(MEMBER, {"qr_id": "VIDA-x"})


# -- a unit's life ------------------------------------------------------------------------------

def test_a_units_life_through_the_use_cases() -> None:
    service, repo, _ = labels()
    (qr_id,) = service.upload_parts(STAFF, body=parts(("VIDA", "Vida", 1)))["qr_ids"]
    service.label_sheet(STAFF, {"qr_ids": [qr_id], "layout": "avery-l7160"})
    service.download(STAFF, qr_id)
    service.mark_used(STAFF, {"qr_ids": [qr_id], "reason": "satıldı"})
    life = service.unit(STAFF, {"qr_id": qr_id})
    assert [(e["kind"], e["by"]) for e in life["events"]] == [
        ("created", "alice"), ("printed", "alice"), ("downloaded", "alice"), ("used", "alice")]
    with pytest.raises(NotFound):
        service.unit(STAFF, {"qr_id": "VIDA-aaaaaaaaaaaa"})
    repo.unavailable = True
    with pytest.raises(StoreUnavailable) as err:
        service.unit(STAFF, {"qr_id": qr_id})
    assert err.value.message.code == "qr.unit.database_down"


# -- the dry run ----------------------------------------------------------------------------------

def test_a_dry_run_answers_what_the_list_would_do_and_writes_nothing() -> None:
    service, repo, queue = labels()
    service.upload_parts(STAFF, body=parts(("VIDA", "Vida", 2, 1)))
    records, part_docs, enqueued = dict(repo.records), {k: dict(v) for k, v in
                                                        repo.parts.items()}, list(queue.batches)
    plan = service.upload_parts(STAFF, body={**parts(("VIDA", "Vida M8", 5, 3),
                                                     ("SOMUN", "Somun", 2),
                                                     ("PUL", "Pul", 0)), "dry_run": True})
    assert plan["dry_run"] is True
    assert [(d["part_code"], d["existing"], d["added"], d.get("renamed_from"))
            for d in plan["summary"]["details"]] == [("VIDA", 2, 3, "Vida"), ("SOMUN", 0, 2,
                                                                               None)]
    assert plan["minimum_changes"] == [{"part_code": "VIDA", "from": 1, "to": 3}]
    assert [(r["row"], r["column"]) for r in plan["refused"]] == [(3, "quantity")]
    assert plan["refused_count"] == 1 and plan["problem"] is not None
    assert (repo.records, repo.parts, queue.batches) == (records, part_docs, enqueued)


@pytest.mark.parametrize("flag, dry", [(True, True), (False, False), ("true", True),
                                       ("1", True), ("0", False), ("", False), (None, False)])
def test_the_dry_run_flag(flag: Any, dry: bool) -> None:
    service, repo, _ = labels()
    reply = service.upload_parts(STAFF, body={**parts(("VIDA", "Vida", 1)), "dry_run": flag})
    assert reply.get("dry_run", False) is dry
    assert bool(repo.records) is not dry


@pytest.mark.parametrize("flag", ["maybe", 2, [], "yes"])
def test_a_dry_run_flag_that_is_neither_is_refused(flag: Any) -> None:
    service, repo, _ = labels()
    with pytest.raises(InvalidInput) as err:
        service.upload_parts(STAFF, body={**parts(("VIDA", "Vida", 1)), "dry_run": flag})
    assert err.value.message.code == "qr.upload.dry_run_flag" and repo.records == {}


# -- the parts list's new columns ---------------------------------------------------------------

def test_a_turkish_export_reads_back_with_its_read_only_columns_ignored() -> None:
    content = ("Parça kodu;Parça adı;Adet;Mevcut;Kullanılan;Basılan;İndirilen;Asgari;"
               "Son sayım\n"
               "VİDA-M8;Vida;3;1;2;0;0;2;2026-12-01 10:00:00\n"
               "A5;'=HYPERLINK(1);1;1;0;0;0;;\n"
               "B5;'-5 cm;1;1;0;0;0;;\n").encode("utf-8-sig")
    assert parse_parts_upload("envanter.csv", content) == [
        PartRow(2, "VİDA-M8", "Vida", 3, 2), PartRow(3, "A5", "=HYPERLINK(1)", 1, None),
        PartRow(4, "B5", "-5 cm", 1, None)]


@pytest.mark.parametrize("cell, problem", [("-1", True), ("2.5", True), ("x", True),
                                           ("0", False), ("", False), ("1000000", False),
                                           ("1000001", True)])
def test_a_minimum_cell_is_empty_or_a_whole_number(cell: str, problem: bool) -> None:
    content = f"part_code,part_name,quantity,min_units\nA,a,1,{cell}\n".encode()
    check = check_parts_upload("p.csv", content)
    assert [(e.row, e.column) for e in check.errors] == ([(2, "min_units")] if problem else [])


def test_json_rows_may_carry_a_minimum() -> None:
    assert parse_parts_json(parts(("A", "a", 1, 4), ("B", "b", 2))) == [
        PartRow(1, "A", "a", 1, 4), PartRow(2, "B", "b", 2, None)]
    with pytest.raises(InvalidInput) as err:
        parse_parts_json(parts(("A", "a", 1, "4")))
    assert err.value.details["errors"][0]["column"] == "min_units"


@pytest.mark.parametrize("data, code", [
    (None, "qr.unit.body"), ("VIDA-x", "qr.unit.body"), ({}, "qr.unit.body"),
    ({"qr_ids": ["VIDA-x"]}, "qr.unit.body"), ({"qr_id": 7}, "qr.qr_id.not_text"),
    ({"qr_id": "VIDA-aaaaaaaaaaaa"}, "qr.not_found")])
def test_a_bad_unit_request_is_refused(data: Any, code: str) -> None:
    service, _, _ = labels()
    with pytest.raises((InvalidInput, NotFound)) as err:
        service.unit(STAFF, data)
    assert err.value.message.code == code  # type: ignore[union-attr]


def _render(message: Any) -> str:
    from messages import render

    return render(message, "en")


@pytest.mark.parametrize("cell, value", [
    (3, 3), (4.0, 4), ("000000005", 5), (" 7 ", 7), (0, 0), (1_000_000, 1_000_000)])
def test_a_minimum_cell_that_is_a_number(cell: Any, value: int) -> None:
    from qr.parts_import import _file_minimum

    assert _file_minimum(cell).value == value and _file_minimum(cell).problem is None


@pytest.mark.parametrize("cell, shown", [
    (True, "'True'"), (2.5, "'2.5'"), (float("nan"), "'nan'"), ("0000000005", "'0000000005'"),
    (" -1 ", "'-1'"), (1_000_001, "'1000001'"), (-1, "'-1'")])
def test_a_minimum_cell_that_is_not_says_so(cell: Any, shown: str) -> None:
    from qr.parts_import import _file_minimum

    got = _file_minimum(cell)
    assert got.value is None
    assert _render(got.problem) == ("the minimum must be empty or a whole number from 0 to "
                                    f"1000000, got {shown}")


@pytest.mark.parametrize("raw, value", [(None, None), (0, 0), (1_000_000, 1_000_000)])
def test_a_json_minimum(raw: Any, value: int | None) -> None:
    from qr.parts_import import _json_minimum

    assert (_json_minimum(raw).value, _json_minimum(raw).problem) == (value, None)


@pytest.mark.parametrize("raw", [-1, 1_000_001, True, "3", 2.0])
def test_a_json_minimum_that_is_not(raw: Any) -> None:
    from qr.parts_import import _json_minimum

    got = _json_minimum(raw)
    assert got.value is None
    assert _render(got.problem).startswith("the minimum must be empty or a whole number from "
                                           "0 to 1000000, got ")


def test_a_dry_run_keeps_a_minimum_the_list_does_not_name() -> None:
    service, _, _ = labels()
    service.upload_parts(STAFF, body=parts(("VIDA", "Vida", 2, 4)))
    plan = service.upload_parts(STAFF, body={**parts(("VIDA", "Vida", 3)), "dry_run": True})
    assert plan == {"dry_run": True, "minimum_changes": [], "refused": [], "refused_count": 0,
                    "problem": None, "summary": {
                        "parts": 1, "units_requested": 3, "units_added": 1,
                        "units_existing": 2, "quantity_decreases_not_applied": 0,
                        "details": [{"part_code": "VIDA", "part_name": "Vida", "requested": 3,
                                     "existing": 2, "added": 1}]}}


@pytest.mark.parametrize("flag", ["false", "FALSE", " False ", "0"])
def test_a_dry_run_flag_that_says_no(flag: str) -> None:
    service, repo, _ = labels()
    assert "dry_run" not in service.upload_parts(STAFF, body={**parts(("VIDA", "Vida", 1)),
                                                              "dry_run": flag})
    assert len(repo.records) == 1


def test_an_unknown_part_is_named_in_the_refusal() -> None:
    service, _, _ = labels()
    with pytest.raises(InvalidInput) as err:
        service.set_minimum(STAFF, {"part_code": "YOK-1", "min_units": 1})
    assert _render(err.value.message) == "There is no part 'YOK-1'; nothing was changed."
