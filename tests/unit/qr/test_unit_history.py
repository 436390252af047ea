"""A unit's life from what its record holds (qr/unit_history.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from qr.ports import QrRecord, UnitFile
from qr.unit_history import unit_life

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def unit(fields: dict[str, Any], names: dict[str, str] | None = None) -> UnitFile:
    record = QrRecord(qr_id="P-1", part_code="P", part_name="Vida", payload="P-1",
                      blob_key="qr_codes/P-1.png", stored=bool(fields.get("stored")),
                      sha1=None, is_downloaded=bool(fields.get("is_downloaded")),
                      download_count=int(fields.get("download_count") or 0),
                      print_count=int(fields.get("print_count") or 0),
                      used=bool(fields.get("used")))
    return UnitFile(record, fields, names or {})


def kinds(life: dict[str, Any]) -> list[str]:
    return [e["kind"] for e in life["events"]]


def test_every_kind_in_time_order_with_its_details() -> None:
    life = unit_life(unit({
        "created_at": at(0), "created_by": "ayse", "stored": True, "stored_at": at(0.1),
        "print_count": 1, "printed_at": at(2), "download_count": 1, "downloaded_at": at(1),
        "events": [{"kind": "printed", "at": at(2), "by": "ayse", "layout": "avery-l7160"},
                   {"kind": "downloaded", "at": at(1), "by": "mehmet"}],
        "counts": {"s2": {"at": at(5), "by": "can"}, "s1": {"at": at(3), "by": "ayse"}},
        "used": True, "used_at": at(6), "used_by": "mehmet", "used_reason": "satıldı"},
        {"s1": "Ocak sayımı"}))
    assert life == {"qr_id": "P-1", "part_code": "P", "part_name": "Vida", "used": True,
                    "events": [
        {"kind": "created", "at": at(0).isoformat(), "by": "ayse"},
        {"kind": "stored", "at": at(0.1).isoformat(), "by": None},
        {"kind": "downloaded", "at": at(1).isoformat(), "by": "mehmet"},
        {"kind": "printed", "at": at(2).isoformat(), "by": "ayse", "layout": "avery-l7160"},
        {"kind": "counted", "at": at(3).isoformat(), "by": "ayse", "session_id": "s1",
         "session_name": "Ocak sayımı"},
        {"kind": "counted", "at": at(5).isoformat(), "by": "can", "session_id": "s2",
         "session_name": None},
        {"kind": "used", "at": at(6).isoformat(), "by": "mehmet", "reason": "satıldı"}]}


def test_an_old_record_shows_what_it_counted_but_never_itemised() -> None:
    life = unit_life(unit({"created_at": at(0), "print_count": 3, "printed_at": at(9),
                           "download_count": 2, "downloaded_at": at(4),
                           "events": [{"kind": "downloaded", "at": at(8), "by": "x"}]}))
    events = {e["kind"]: e for e in life["events"] if e.get("recorded") is False}
    # Nothing itemised for prints: the last print time is theirs.
    assert events["printed"] == {"kind": "printed", "at": at(9).isoformat(), "by": None,
                                 "recorded": False, "times": 3}
    # One download itemised: the earlier one's time is unknown, shown after the making.
    assert events["downloaded"] == {"kind": "downloaded", "at": None, "by": None,
                                    "recorded": False, "times": 1}
    assert kinds(life) == ["created", "downloaded", "downloaded", "printed"]


def test_a_use_whose_time_is_unknown_is_last_and_a_lost_file_is_not_stored() -> None:
    life = unit_life(unit({"created_at": at(0), "stored": False, "stored_at": at(1),
                           "used": True, "counts": {"s": {"at": at(2), "by": "a"}}}))
    assert kinds(life) == ["created", "counted", "used"]
    assert life["events"][-1]["at"] is None


def test_what_the_functions_never_write_is_left_out() -> None:
    life = unit_life(unit({"created_at": "yesterday", "created_by": 5,
                           "events": ["printed", {"kind": "burned", "at": at(1)},
                                      {"kind": "printed", "at": None}],
                           "counts": {"s": "found", "t": {"at": "now"}}}))
    assert life["events"] == []


def test_a_time_without_a_zone_is_read_as_utc() -> None:
    life = unit_life(unit({"created_at": datetime(2026, 1, 5, 9, 0)}))
    assert life["events"][0]["at"] == "2026-01-05T09:00:00+00:00"


def test_an_old_download_alone_shows_at_its_last_time() -> None:
    life = unit_life(unit({"created_at": at(0), "download_count": 2, "downloaded_at": at(3),
                           "created_by": 7}))
    assert life["events"] == [
        {"kind": "created", "at": at(0).isoformat(), "by": None},
        {"kind": "downloaded", "at": at(3).isoformat(), "by": None, "recorded": False,
         "times": 2}]


def test_a_time_in_another_zone_keeps_its_instant() -> None:
    from zoneinfo import ZoneInfo

    istanbul = datetime(2026, 1, 5, 12, 0, tzinfo=ZoneInfo("Europe/Istanbul"))
    life = unit_life(unit({"created_at": istanbul}))
    assert datetime.fromisoformat(life["events"][0]["at"]) == at(0)
