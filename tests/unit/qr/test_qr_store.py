"""The QR label use cases (qr.service.QrLabels) over in-memory fakes of the repository, blob
store and store queue (tests/support/fakes.py): import, durable storage, view, download,
ZIP, label sheets, units used and clear-all. The adapters are tested against the real
parts (Firestore emulator, b2sdk's simulator, a local folder) elsewhere."""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass
from typing import Any

import pytest

from errors import (
    DomainError,
    FailedPrecondition,
    InvalidInput,
    NotFound,
    PermissionDenied,
    Unauthenticated,
    Unavailable,
)
from identity import ADMIN_MISSING, STAFF_MISSING, Caller
from qr import render
from qr.ports import PartRequest
from qr.service import (
    CLEAR_CONFIRMATION,
    MAX_IDS_PER_USE,
    MAX_IDS_PER_ZIP,
    MAX_USED_REASON_CHARS,
    QrLabels,
    StoreReport,
    blob_key,
)
from tests.support.fakes import FakeBlobStore, FakeQrRepository, FakeStoreQueue

STAFF = Caller(uid="alice", has_staff_claim=True)
ADMIN = Caller(uid="root", is_admin=True)
MEMBER = Caller(uid="member")


@dataclass
class World:
    labels: QrLabels
    repo: FakeQrRepository
    blobs: FakeBlobStore
    queue: FakeStoreQueue

    def add(self, code: str = "VIDA-M8", quantity: int = 3, name: str = "Vida M8"
            ) -> list[str]:
        """Units created straight in the repository, with cheap predictable ids."""
        counter = itertools.count(len(self.repo.records))
        (outcome,) = self.repo.add_missing_units(
            [PartRequest(code, name, quantity)], lambda c: f"{c}-u{next(counter):06d}", "seed")
        return list(outcome.added_ids)


def world(batch_size: int = 100) -> World:
    repo, blobs, queue = FakeQrRepository(), FakeBlobStore(), FakeStoreQueue()
    return World(QrLabels(repo, blobs, queue, batch_size=batch_size), repo, blobs, queue)


def parts(*rows: tuple[str, str, int]) -> dict[str, Any]:
    return {"parts": [{"part_code": c, "part_name": n, "quantity": q} for c, n, q in rows]}


# -- auth -------------------------------------------------------------------------------------


@pytest.mark.parametrize(("caller", "error", "message"), [
    (None, Unauthenticated, "Sign in first: this function needs a Firebase ID token."),
    (MEMBER, PermissionDenied, STAFF_MISSING),
])
@pytest.mark.parametrize("call", [
    lambda s, c: s.upload_parts(c, body=parts(("P", "Bolt", 1))),
    lambda s, c: s.image(c, "P-1"),
    lambda s, c: s.download(c, "P-1"),
    lambda s, c: s.zip_selection(c, part_code="P", qr_ids=None),
    lambda s, c: s.label_sheet(c, {"part_code": "P"}),
    lambda s, c: s.mark_used(c, {"qr_ids": ["P-1"], "reason": "sold"}),
])
def test_the_inventory_needs_a_signed_in_staff_member(
        call: Any, caller: Caller | None, error: type[DomainError], message: str) -> None:
    w = world()
    ids = w.add("P", 1)
    with pytest.raises(error) as err:
        call(w.labels, caller)
    assert err.value.message == message
    assert list(w.repo.records) == ids and w.queue.batches == []
    assert w.repo.records[ids[0]]["download_count"] == 0


@pytest.mark.parametrize(("caller", "error", "message"), [
    (None, Unauthenticated, "Sign in first: this function needs a Firebase ID token."),
    (MEMBER, PermissionDenied, ADMIN_MISSING),
    (STAFF, PermissionDenied, ADMIN_MISSING),
])
def test_only_an_admin_may_clear_everything(
        caller: Caller | None, error: type[DomainError], message: str) -> None:
    w = world()
    w.add()
    with pytest.raises(error) as err:
        w.labels.clear_all(caller, {"confirm": CLEAR_CONFIRMATION})
    assert err.value.message == message
    assert len(w.repo.records) == 3


# -- import -----------------------------------------------------------------------------------


def test_an_upload_creates_each_missing_unit_and_queues_it_for_storage() -> None:
    w = world(batch_size=2)

    reply = w.labels.upload_parts(STAFF, body=parts(("VIDA-M8", "Vida M8", 3),
                                                    ("ÇİVİ-M8", "Çivi M8", 2)))

    new_ids = reply["qr_ids"]
    assert [q.rsplit("-", 1)[0] for q in new_ids] == ["VIDA-M8"] * 3 + ["CIVI-M8"] * 2
    assert w.queue.batches == [new_ids[0:2], new_ids[2:4], new_ids[4:]]
    assert reply["summary"] == {
        "parts": 2, "units_requested": 5, "units_added": 5, "units_existing": 0,
        "quantity_decreases_not_applied": 0,
        "details": [
            {"part_code": "VIDA-M8", "part_name": "Vida M8", "requested": 3, "existing": 0,
             "added": 3},
            {"part_code": "ÇİVİ-M8", "part_name": "Çivi M8", "requested": 2, "existing": 0,
             "added": 2}]}
    assert w.repo.parts["ÇİVİ-M8"]["qr_count"] == 2
    record = w.repo.records[new_ids[0]]
    assert (record["payload"], record["blob_key"], record["stored"], record["created_by"]) == (
        new_ids[0], f"qr_codes/{new_ids[0]}.png", False, "alice")


def test_an_upload_again_adds_only_what_is_missing_and_never_removes() -> None:
    w = world()
    first = w.labels.upload_parts(STAFF, body=parts(("A", "Alpha", 2), ("B", "Beta", 3)))
    w.queue.batches.clear()

    reply = w.labels.upload_parts(STAFF, body=parts(("A", "Alpha", 4), ("B", "Beta v2", 1)))

    summary = reply["summary"]
    assert (summary["units_added"], summary["units_existing"],
            summary["quantity_decreases_not_applied"]) == (2, 5, 1)
    assert summary["details"] == [
        {"part_code": "A", "part_name": "Alpha", "requested": 4, "existing": 2, "added": 2},
        {"part_code": "B", "part_name": "Beta v2", "requested": 1, "existing": 3, "added": 0,
         "not_removed": 2, "renamed_from": "Beta"}]
    assert len(w.repo.records) == 7 and set(first["qr_ids"]) < set(w.repo.records)
    assert w.queue.batches == [reply["qr_ids"]]
    assert (w.repo.parts["A"]["qr_count"], w.repo.parts["B"]["qr_count"]) == (4, 3)


def test_the_same_list_twice_adds_nothing_and_queues_nothing() -> None:
    w = world()
    w.labels.upload_parts(STAFF, body=parts(("A", "Alpha", 2)))
    reply = w.labels.upload_parts(STAFF, body=parts(("A", "Alpha", 2)))
    assert reply["qr_ids"] == [] and reply["summary"]["units_added"] == 0
    assert len(w.queue.batches) == 1 and len(w.repo.records) == 2


def test_a_csv_file_is_imported() -> None:
    w = world()
    reply = w.labels.upload_parts(ADMIN, filename="parts.csv",
                                  content=b"part_code,part_name,quantity\nP-1,Bolt,2\n")
    assert reply["summary"]["units_added"] == 2
    assert {r["part_code"] for r in w.repo.records.values()} == {"P-1"}


def test_an_upload_without_a_list_is_invalid() -> None:
    w = world()
    with pytest.raises(InvalidInput) as err:
        w.labels.upload_parts(STAFF)
    assert err.value.message == ('Send the parts list as a multipart field "file" (.xlsx or '
                                 '.csv) or as JSON {"parts": [...]}.')


def test_a_list_with_a_bad_row_changes_nothing() -> None:
    w = world()
    with pytest.raises(InvalidInput) as err:
        w.labels.upload_parts(STAFF, body=parts(("A", "Alpha", 2), ("B", "Beta", -1)))
    assert err.value.details["errors"][0]["row"] == 2
    assert w.repo.records == {} and w.repo.parts == {} and w.queue.batches == []


def test_a_refused_hand_off_loses_nothing_the_sweeper_queues_it_later() -> None:
    w = world(batch_size=2)
    w.queue.down = True

    reply = w.labels.upload_parts(STAFF, body=parts(("A", "Alpha", 3)))

    assert len(reply["qr_ids"]) == 3 and w.queue.batches == []
    w.queue.down = False
    assert w.labels.requeue_unstored() == 3
    assert w.queue.batches == [reply["qr_ids"][:2], reply["qr_ids"][2:]]


def test_an_unreachable_repository_is_unavailable_and_nothing_is_queued() -> None:
    w = world()
    w.repo.unavailable = True
    with pytest.raises(Unavailable):
        w.labels.upload_parts(STAFF, body=parts(("A", "Alpha", 1)))
    assert w.queue.batches == []


# -- durable storage --------------------------------------------------------------------------


def test_storing_renders_each_png_and_marks_the_records() -> None:
    w = world()
    ids = w.add()

    report = w.labels.store_files(ids)

    assert report == StoreReport(stored=3, already_stored=0, missing=0, failed=())
    for qr_id in ids:
        png = render.render_png(qr_id)
        assert w.blobs.files[blob_key(qr_id)] == png
        assert w.blobs.content_types[blob_key(qr_id)] == "image/png"
        record = w.repo.records[qr_id]
        assert (record["stored"], record["sha1"], record["size"]) == (
            True, hashlib.sha1(png).hexdigest(), len(png))
    assert w.repo.unstored_ids(10) == []


def test_storing_again_skips_stored_files_and_counts_cleared_ones() -> None:
    w = world()
    ids = w.add()
    w.labels.store_files(ids[:2])
    del w.repo.records[ids[1]]  # cleared since it was queued
    w.blobs.puts.clear()

    report = w.labels.store_files([ids[0], ids[1], ids[2], "GONE-1"])

    assert report == StoreReport(stored=1, already_stored=1, missing=2, failed=())
    assert w.blobs.puts == [blob_key(ids[2])]


def test_a_failed_put_fails_the_batch_for_a_retry_and_keeps_what_was_stored() -> None:
    w = world()
    ids = w.add()
    w.blobs.fail_puts = {blob_key(ids[1])}

    with pytest.raises(Unavailable) as err:
        w.labels.store_files(ids)

    assert err.value.message == ("1 of 3 QR files could not be stored yet; they will be "
                                 "retried.")
    assert err.value.details == {"failed": [ids[1]]}
    assert [w.repo.records[q]["stored"] for q in ids] == [True, False, True]
    assert w.repo.unstored_ids(10) == [ids[1]]

    w.blobs.fail_puts.clear()
    w.blobs.puts.clear()
    assert w.labels.store_files(ids) == StoreReport(1, 2, 0, ())
    assert w.blobs.puts == [blob_key(ids[1])]


def test_a_batch_whose_puts_all_fail_marks_nothing() -> None:
    w = world()
    ids = w.add(quantity=2)
    w.blobs.down = True
    with pytest.raises(Unavailable) as err:
        w.labels.store_files(ids)
    assert err.value.details == {"failed": ids}
    assert w.repo.unstored_ids(10) == ids


def test_a_batch_with_an_unsafe_id_is_refused_before_anything_is_stored() -> None:
    w = world()
    ids = w.add(quantity=1)
    with pytest.raises(InvalidInput) as err:
        w.labels.store_files([ids[0], "../etc/passwd"])
    assert err.value.message == ("A QR id may only contain letters, digits, '.', '_' "
                                 "and '-'")
    assert w.blobs.puts == []


def test_an_id_twice_in_a_batch_is_stored_once_and_not_reported_missing() -> None:
    w = world()
    (qr_id,) = w.add(quantity=1)

    report = w.labels.store_files([qr_id, qr_id])

    assert w.blobs.puts == [blob_key(qr_id)]
    assert report == StoreReport(stored=1, already_stored=0, missing=0, failed=())


def test_the_sweeper_requeues_only_unstored_records_up_to_its_limit() -> None:
    w = world(batch_size=2)
    ids = w.add(quantity=5)
    w.labels.store_files(ids[:1])

    assert w.labels.requeue_unstored(limit=3) == 3
    assert w.queue.batches == [ids[1:3], ids[3:4]]


# -- view and download ------------------------------------------------------------------------


def test_an_unstored_label_is_rendered_on_the_fly() -> None:
    w = world()
    (qr_id,) = w.add(quantity=1)

    image = w.labels.image(STAFF, qr_id)

    assert image.png == render.render_png(qr_id)
    assert (image.qr_id, image.part_code) == (qr_id, "VIDA-M8")
    assert image.etag == hashlib.sha1(image.png).hexdigest()
    assert w.repo.records[qr_id]["download_count"] == 0  # viewing is not downloading


def test_a_stored_label_is_read_from_the_blob_store() -> None:
    w = world()
    (qr_id,) = w.add(quantity=1)
    w.labels.store_files([qr_id])
    w.blobs.files[blob_key(qr_id)] = b"the stored copy"

    image = w.labels.image(STAFF, qr_id)

    assert image.png == b"the stored copy"
    assert image.etag == hashlib.sha1(b"the stored copy").hexdigest()


@pytest.mark.parametrize("trouble", ["missing", "down"])
def test_a_stored_label_the_blob_store_cannot_give_is_rendered(trouble: str) -> None:
    w = world()
    (qr_id,) = w.add(quantity=1)
    w.labels.store_files([qr_id])
    if trouble == "missing":
        del w.blobs.files[blob_key(qr_id)]
    else:
        w.blobs.down = True

    assert w.labels.image(STAFF, qr_id).png == render.render_png(qr_id)


@pytest.mark.parametrize(("raw", "error", "message"), [
    ("NOPE-1", NotFound, "No QR code with id 'NOPE-1'."),
    ("a b", InvalidInput, "A QR id may only contain letters, digits, '.', '_' and '-'"),
    ("", InvalidInput, "A QR id is required"),
    ("A..B", InvalidInput, "A QR id may not contain '..'"),
])
def test_a_wrong_id_is_not_found_or_invalid(
        raw: str, error: type[DomainError], message: str) -> None:
    w = world()
    w.add()
    for call in (w.labels.image, w.labels.download):
        with pytest.raises(error) as err:
            call(STAFF, raw)
        assert err.value.message == message


def test_each_download_is_counted() -> None:
    w = world()
    (qr_id,) = w.add(quantity=1)

    first = w.labels.download(STAFF, qr_id)
    w.labels.download(STAFF, qr_id)

    assert first.png == render.render_png(qr_id)
    record = w.repo.records[qr_id]
    assert (record["is_downloaded"], record["download_count"]) == (True, 2)


# -- ZIP --------------------------------------------------------------------------------------


def test_a_zip_of_a_part_holds_its_labels_in_id_order() -> None:
    w = world()
    ids = w.add("VIDA-M8", 3)
    w.add("OTHER", 2)

    records = w.labels.zip_selection(STAFF, part_code=" VIDA-M8 ", qr_ids=None)

    assert [r.qr_id for r in records] == sorted(ids)


def test_a_zip_of_ids_keeps_their_order_once_each() -> None:
    w = world()
    ids = w.add("VIDA-M8", 3)
    records = w.labels.zip_selection(STAFF, part_code=None,
                                     qr_ids=[ids[2], ids[0], ids[2]])
    assert [r.qr_id for r in records] == [ids[2], ids[0]]


@pytest.mark.parametrize(("part_code", "qr_ids"), [(None, None), ("", []),
                                                   ("VIDA-M8", ["VIDA-M8-u000000"])])
def test_a_zip_needs_exactly_one_of_part_or_ids(part_code: str | None,
                                                 qr_ids: list[str] | None) -> None:
    w = world()
    w.add()
    with pytest.raises(InvalidInput) as err:
        w.labels.zip_selection(STAFF, part_code=part_code, qr_ids=qr_ids)
    assert err.value.message == 'Give either "part_code" or "qr_ids" (a list of QR ids).'


def test_a_zip_of_an_unknown_part_or_unknown_ids_is_not_found() -> None:
    w = world()
    ids = w.add()
    with pytest.raises(NotFound) as err:
        w.labels.zip_selection(STAFF, part_code="NOPE", qr_ids=None)
    assert err.value.message == "No QR codes exist for part 'NOPE'."
    unknown = [f"X-{i:02d}" for i in range(12)]
    with pytest.raises(NotFound) as err:
        w.labels.zip_selection(STAFF, part_code=None, qr_ids=[ids[0], *reversed(unknown)])
    assert err.value.message == f"Unknown QR id(s): {', '.join(unknown[:10])} ..."


def test_a_zip_of_more_ids_than_it_takes_is_refused() -> None:
    w = world()
    with pytest.raises(InvalidInput) as err:
        w.labels.zip_selection(STAFF, part_code=None,
                               qr_ids=[f"P-{i}" for i in range(MAX_IDS_PER_ZIP + 1)])
    assert err.value.message == f"At most {MAX_IDS_PER_ZIP} QR ids fit in one ZIP."


def test_a_zip_of_a_part_with_more_labels_than_it_takes_is_refused() -> None:
    w = world()
    w.add("BIG", MAX_IDS_PER_ZIP + 1)
    with pytest.raises(InvalidInput) as err:
        w.labels.zip_selection(STAFF, part_code="BIG", qr_ids=None)
    assert err.value.message == (f"Part 'BIG' has more than {MAX_IDS_PER_ZIP} QR codes, more "
                                 "than one ZIP takes; ask for smaller lists of ids.")


def test_zip_entries_stream_and_mark_downloaded_after_the_last() -> None:
    w = world()
    ids = w.add("VIDA-M8", 2)
    entries = w.labels.zip_entries(STAFF, w.labels.zip_selection(STAFF, part_code="VIDA-M8",
                                                                 qr_ids=None))

    name, png = next(entries)
    assert (name, png) == (f"VIDA-M8_{ids[0]}.png", render.render_png(ids[0]))
    assert w.repo.records[ids[0]]["download_count"] == 0
    assert [n for n, _ in entries] == [f"VIDA-M8_{ids[1]}.png"]
    assert [w.repo.records[q]["download_count"] for q in ids] == [1, 1]


@pytest.mark.parametrize(("part_code", "name"), [
    (None, "qr_codes.zip"), ("VIDA-M8", "VIDA-M8_qr_codes.zip"),
    ("ÇİVİ-M8", "CIVI-M8_qr_codes.zip")])
def test_a_zip_is_named_after_its_part_in_ascii(part_code: str | None, name: str) -> None:
    assert QrLabels.zip_name(part_code) == name


# -- label sheets -----------------------------------------------------------------------------


def test_a_label_sheet_marks_its_labels_printed_and_can_leave_printed_ones_out() -> None:
    w = world()
    ids = w.add("VIDA-M8", 3)
    first = w.labels.label_sheet(STAFF, {"qr_ids": [ids[1]]})

    sheet = w.labels.label_sheet(STAFF, {"part_code": "VIDA-M8", "not_printed": True})

    assert first.count == 1 and sheet.count == 2
    assert sheet.pdf.startswith(b"%PDF-")
    assert sheet.filename == "VIDA-M8_avery-l7160.pdf"
    assert [w.repo.records[q].get("print_count", 0) for q in ids] == [1, 1, 1]


def test_a_label_sheet_of_nothing_left_to_print_is_refused_and_marks_nothing() -> None:
    w = world()
    ids = w.add("VIDA-M8", 2)
    w.repo.mark_printed(w.repo.get_many(ids), "staff-1", "avery-l7160")
    with pytest.raises(InvalidInput) as err:
        w.labels.label_sheet(STAFF, {"part_code": "VIDA-M8", "not_printed": "true"})
    assert err.value.message == "No labels match the selection: nothing to print."
    assert [w.repo.records[q]["print_count"] for q in ids] == [1, 1]


# -- units taken from stock ---------------------------------------------------------------------


def test_marking_units_used_raises_their_parts_totals_once() -> None:
    w = world()
    a = w.add("A", 3)
    b = w.add("B", 2)

    reply = w.labels.mark_used(STAFF, {"qr_ids": [a[0], b[0], a[1], a[0]], "reason": " sold "})

    assert reply == {"marked": 3, "already_used": [], "parts": {"A": 2, "B": 1}}
    assert (w.repo.parts["A"]["used_count"], w.repo.parts["B"]["used_count"]) == (2, 1)
    record = w.repo.records[a[0]]
    assert (record["used"], record["used_by"], record["used_reason"]) == (True, "alice",
                                                                          "sold")

    again = w.labels.mark_used(ADMIN, {"qr_ids": [a[0], a[2]], "reason": "broken"})

    assert again == {"marked": 1, "already_used": [a[0]], "parts": {"A": 3}}
    assert w.repo.records[a[0]]["used_reason"] == "sold", "the first reason is kept"
    assert w.repo.parts["A"]["used_count"] == 3


def test_marking_an_unknown_unit_marks_nothing() -> None:
    w = world()
    a = w.add("A", 2)
    with pytest.raises(NotFound) as err:
        w.labels.mark_used(STAFF, {"qr_ids": [a[0], "A-zzz", a[1]], "reason": "sold"})
    assert err.value.message == "Unknown QR id(s), nothing was marked: A-zzz"
    assert err.value.details == {"unknown": ["A-zzz"]}
    assert not any(r.get("used") for r in w.repo.records.values())
    assert "used_count" not in w.repo.parts["A"]


@pytest.mark.parametrize(("data", "message"), [
    (None, 'Send {"qr_ids": [QR ids], "reason": "why they left the stock"}.'),
    ({"qr_ids": "A-1", "reason": "x"}, '"qr_ids" must be a list of QR id strings.'),
    ({"reason": "x"}, '"qr_ids" must be a list of QR id strings.'),
    ({"qr_ids": [], "reason": "x"}, '"qr_ids" is empty: give at least one QR id.'),
    ({"qr_ids": ["A-1"] * (MAX_IDS_PER_USE + 1), "reason": "x"},
     f'"qr_ids" may hold at most {MAX_IDS_PER_USE} ids a call, got '
     f"{MAX_IDS_PER_USE + 1}; send them in several calls."),
    ({"qr_ids": ["A-1", "a b"], "reason": "x"},
     '"qr_ids"[1]: A QR id may only contain letters, digits, \'.\', \'_\' and \'-\'.'),
    ({"qr_ids": ["A-1", 5], "reason": "x"}, '"qr_ids"[1]: A QR id must be text.'),
    ({"qr_ids": ["A-1"]}, '"reason" is required: say why the units left the stock.'),
    ({"qr_ids": ["A-1"], "reason": 3}, '"reason" must be text.'),
    ({"qr_ids": ["A-1"], "reason": "   "},
     '"reason" is empty: say why the units left the stock.'),
    ({"qr_ids": ["A-1"], "reason": "x" * (MAX_USED_REASON_CHARS + 1)},
     f'"reason" may be at most {MAX_USED_REASON_CHARS} characters, got '
     f"{MAX_USED_REASON_CHARS + 1}."),
])
def test_a_bad_mark_used_request_changes_nothing(data: Any, message: str) -> None:
    w = world()
    w.add("A", 2)
    with pytest.raises(InvalidInput) as err:
        w.labels.mark_used(STAFF, data)
    assert err.value.message == message
    assert not any(r.get("used") for r in w.repo.records.values())


def test_a_reason_of_exactly_the_limit_is_accepted() -> None:
    w = world()
    a = w.add("A", 1)
    reply = w.labels.mark_used(STAFF, {"qr_ids": a, "reason": "x" * MAX_USED_REASON_CHARS})
    assert reply["marked"] == 1


# -- clear all --------------------------------------------------------------------------------


@pytest.mark.parametrize("body", [None, [], {}, {"confirm": "yes"},
                                  {"confirm": CLEAR_CONFIRMATION.lower()},
                                  {"confirm": CLEAR_CONFIRMATION + " "}])
def test_clearing_needs_the_exact_confirmation(body: Any) -> None:
    w = world()
    w.add()
    with pytest.raises(InvalidInput) as err:
        w.labels.clear_all(ADMIN, body)
    assert err.value.message == ('To delete every QR code and file, send {"confirm": '
                                 '"DELETE ALL QR CODES"}.')
    assert len(w.repo.records) == 3 and w.repo.parts


def test_clearing_deletes_records_parts_and_their_files_only() -> None:
    w = world()
    ids = w.add("A", 2) + w.add("B", 1)
    w.labels.store_files(ids)
    w.blobs.files["exports/keep.csv"] = b"not ours"

    reply = w.labels.clear_all(ADMIN, {"confirm": CLEAR_CONFIRMATION})

    assert reply == {"deleted_records": 3, "deleted_parts": 2, "deleted_files": 3}
    assert w.repo.records == {} and w.repo.parts == {}
    assert list(w.blobs.files) == ["exports/keep.csv"]


def test_clearing_with_the_blob_store_down_says_to_run_it_again() -> None:
    w = world()
    ids = w.add("A", 3)
    w.labels.store_files(ids)
    w.blobs.down = True

    with pytest.raises(FailedPrecondition) as err:
        w.labels.clear_all(ADMIN, {"confirm": CLEAR_CONFIRMATION})

    assert err.value.message == ("Deleted 3 QR records, but the stored files could not all "
                                 "be deleted yet; run the clear again to finish.")
    assert w.repo.records == {}
    w.blobs.down = False
    assert w.labels.clear_all(ADMIN, {"confirm": CLEAR_CONFIRMATION}) == {
        "deleted_records": 0, "deleted_parts": 0, "deleted_files": 3}
    assert w.blobs.files == {}
