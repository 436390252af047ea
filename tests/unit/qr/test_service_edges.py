"""QrLabels at its limits, on the in-memory repository, blob store and store queue
(tests/support/fakes.py): selections of exactly the most allowed, a quantity asked again
unchanged, the defaults, file names, and the options a label sheet is printed with."""

from __future__ import annotations

import io
import itertools

import openpyxl
import pytest

from errors import InvalidInput, NotFound
from identity import Caller
from qr.ports import PartRequest
from qr.service import MAX_IDS_PER_USE, MAX_IDS_PER_ZIP, QrLabels
from tests.support.fakes import FakeBlobStore, FakeQrRepository, FakeStoreQueue

STAFF = Caller(uid="alice", has_staff_claim=True)


def labels(repo: FakeQrRepository, queue: FakeStoreQueue | None = None,
           blobs: FakeBlobStore | None = None) -> QrLabels:
    return QrLabels(repo, blobs or FakeBlobStore(), queue or FakeStoreQueue())


def add(repo: FakeQrRepository, code: str, quantity: int) -> list[str]:
    counter = itertools.count(len(repo.records))
    (outcome,) = repo.add_missing_units(
        [PartRequest(code, code, quantity)], lambda c: f"{c}-u{next(counter):06d}", "seed")
    return list(outcome.added_ids)


def test_new_units_are_queued_a_hundred_at_a_time_by_default() -> None:
    repo, queue = FakeQrRepository(), FakeStoreQueue()
    reply = labels(repo, queue).upload_parts(STAFF, body={"parts": [
        {"part_code": "P", "part_name": "Bolt", "quantity": 250}]})
    assert [len(b) for b in queue.batches] == [100, 100, 50]
    assert [q for b in queue.batches for q in b] == reply["qr_ids"]


def test_the_sweeper_requeues_up_to_2000_by_default() -> None:
    repo, queue = FakeQrRepository(), FakeStoreQueue()
    add(repo, "P", 2001)
    assert labels(repo, queue).requeue_unstored() == 2000


def test_a_quantity_asked_again_unchanged_removes_nothing_and_decreases_nothing() -> None:
    repo = FakeQrRepository()
    add(repo, "P", 2)
    summary = labels(repo).upload_parts(STAFF, body={"parts": [
        {"part_code": "P", "part_name": "P", "quantity": 2}]})["summary"]
    assert summary["quantity_decreases_not_applied"] == 0
    assert summary["details"] == [{"part_code": "P", "part_name": "P", "requested": 2,
                                   "existing": 2, "added": 0}]


def test_a_zip_of_exactly_the_most_ids_or_the_most_units_of_a_part() -> None:
    repo = FakeQrRepository()
    units = add(repo, "P", MAX_IDS_PER_ZIP)
    service = labels(repo)
    assert len(service.zip_selection(STAFF, part_code="P", qr_ids=None)) == MAX_IDS_PER_ZIP
    assert len(service.zip_selection(STAFF, part_code=None, qr_ids=units)) == MAX_IDS_PER_ZIP
    add(repo, "P", MAX_IDS_PER_ZIP + 1)  # the part's quantity raised by one
    with pytest.raises(InvalidInput) as err:
        service.zip_selection(STAFF, part_code="P", qr_ids=None)
    assert err.value.message.code == "qr.select.part_too_large"


def test_exactly_the_most_ids_may_be_marked_used_at_once() -> None:
    repo = FakeQrRepository()
    units = add(repo, "P", MAX_IDS_PER_USE)
    reply = labels(repo).mark_used(STAFF, {"qr_ids": units, "reason": "sold"})
    assert reply["marked"] == MAX_IDS_PER_USE


def test_ten_unknown_ids_are_all_named() -> None:
    unknown = [f"Q-{n}" for n in range(10)]
    with pytest.raises(NotFound) as err:
        labels(FakeQrRepository()).mark_used(STAFF, {"qr_ids": unknown, "reason": "sold"})
    assert err.value.message.params == {"ids": ", ".join(unknown)}
    with pytest.raises(NotFound) as more:
        labels(FakeQrRepository()).mark_used(STAFF, {"qr_ids": [*unknown, "Q-10"],
                                                     "reason": "sold"})
    assert more.value.message.params == {"ids": ", ".join(unknown) + " ..."}


def test_a_sheet_of_chosen_ids_is_named_labels_and_keeps_its_options() -> None:
    repo = FakeQrRepository()
    units = add(repo, "P", 2)
    sheet = labels(repo).label_sheet(STAFF, {"qr_ids": units, "layout": "avery-l7160"})
    assert sheet.filename == "labels_avery-l7160.pdf"
    with pytest.raises(InvalidInput) as err:  # the skip reaches the PDF's own check
        labels(repo).label_sheet(STAFF, {"qr_ids": units, "skip": 21})
    assert err.value.message.code == "qr.sheet.skip_too_large"


def test_nothing_stored_is_reported_as_nothing() -> None:
    repo, blobs = FakeQrRepository(), FakeBlobStore()
    (unit,) = add(repo, "P", 1)
    service = labels(repo, blobs=blobs)
    first = service.store_files([unit])
    again = service.store_files([unit])
    assert (first.stored, again.stored, again.already_stored) == (1, 0, 1)


def test_a_sheet_of_too_many_ids_names_the_sheet() -> None:
    ids = [f"P-{n:06d}" for n in range(10_001)]
    with pytest.raises(InvalidInput) as err:
        labels(FakeQrRepository()).label_sheet(STAFF, {"qr_ids": ids})
    assert err.value.message.code == "qr.select.too_many_ids"
    assert err.value.message.params["limit"] == 10_000
    assert err.value.message.params["what"].code == "qr.select.what.label_sheet"


def test_an_upload_is_read_with_its_file_name() -> None:
    workbook = io.BytesIO()
    book = openpyxl.Workbook()
    book.active.append(["part_code", "part_name", "quantity"])
    book.active.append(["P", "Bolt", 1])
    book.save(workbook)
    service = labels(FakeQrRepository())
    with pytest.raises(InvalidInput) as err:
        service.upload_parts(STAFF, filename="parts.csv", content=workbook.getvalue())
    assert err.value.message.code == "qr.upload.csv_named_not_csv"
    assert service.upload_parts(STAFF, filename="parts.xlsx", content=workbook.getvalue()
                                )["summary"]["units_added"] == 1
