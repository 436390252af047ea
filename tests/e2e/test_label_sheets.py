"""download_label_sheet end to end: the HTTP function through functions-framework, the
records on the Firestore emulator; every QR in the returned PDF decodes to a label of
the selection, and labels are marked printed only when a PDF was made."""

from __future__ import annotations

import io

import pypdfium2 as pdfium
import pytest
import zxingcpp
from pypdf import PdfReader

PARTS = [{"part_code": "VIDA-M8", "part_name": "Çelik vida M8×20", "quantity": 5},
         {"part_code": "SAFT-6204", "part_name": "Şaft yatağı 6204", "quantity": 3}]


@pytest.fixture
def uploaded(functions_env, call, user_token, drain) -> dict[str, list[str]]:
    reply = call("upload_parts", "POST", token=user_token, json={"parts": PARTS})
    assert reply.status_code == 201, reply.get_data(as_text=True)
    drain()
    by_part: dict[str, list[str]] = {}
    for qr_id in reply.get_json()["qr_ids"]:
        by_part.setdefault(qr_id.rsplit("-", 1)[0], []).append(qr_id)
    return by_part


def qr_texts(pdf: bytes) -> set[str]:
    found: set[str] = set()
    for page in pdfium.PdfDocument(pdf):
        found |= {r.text for r in zxingcpp.read_barcodes(page.render(scale=300 / 72).to_pil())}
    return found


def print_counts(firestore_client) -> dict[str, int]:
    return {d.id: d.to_dict().get("print_count", 0)
            for d in firestore_client.collection("qr_codes").stream()}


def test_a_part_s_labels_come_back_as_a_pdf_and_are_marked_printed(
        uploaded, call, user_token, firestore_client):
    reply = call("download_label_sheet", "GET", token=user_token,
                 query_string={"part_code": "VIDA-M8", "layout": "avery-l7160"})
    assert reply.status_code == 200, reply.get_data(as_text=True)
    assert reply.mimetype == "application/pdf"
    assert reply.headers["Content-Disposition"] == \
        'attachment; filename="VIDA-M8_avery-l7160.pdf"'
    assert qr_texts(reply.data) == set(uploaded["VIDA-M8"])
    text = PdfReader(io.BytesIO(reply.data)).pages[0].extract_text()
    assert "Çelik vida M8×20" in text and "VIDA-M8" in text
    counts = print_counts(firestore_client)
    assert {q: counts[q] for q in uploaded["VIDA-M8"]} == dict.fromkeys(uploaded["VIDA-M8"], 1)
    assert {counts[q] for q in uploaded["SAFT-6204"]} == {0}
    printed = firestore_client.document(f"qr_codes/{uploaded['VIDA-M8'][0]}").get()
    assert printed.to_dict()["printed_at"] is not None


def test_post_with_ids_a_roll_preset_and_not_printed(uploaded, call, user_token,
                                                     firestore_client):
    some = uploaded["SAFT-6204"][:2]
    first = call("download_label_sheet", "POST", token=user_token,
                 json={"qr_ids": some, "layout": "brother-dk-1201"})
    assert first.status_code == 200, first.get_data(as_text=True)
    assert len(pdfium.PdfDocument(first.data)) == 2  # one label a page
    assert qr_texts(first.data) == set(some)
    rest = call("download_label_sheet", "POST", token=user_token,
                json={"part_code": "SAFT-6204", "not_printed": True, "layout": "zebra-2x1"})
    assert rest.status_code == 200
    assert qr_texts(rest.data) == set(uploaded["SAFT-6204"]) - set(some)
    again = call("download_label_sheet", "POST", token=user_token,
                 json={"part_code": "SAFT-6204", "not_printed": True})
    assert again.status_code == 400
    assert "No labels match" in again.get_json()["error"]["message"]


@pytest.mark.parametrize("query, message", [
    ({"part_code": "VIDA-M8", "layout": "avery-9999"}, "'layout' must be one of"),
    ({"part_code": "VIDA-M8", "skip": "-1"}, "'skip' must be 0 or more"),
    ({"part_code": "VIDA-M8", "skip": "21"}, "less than the 21 labels"),
    ({"part_code": "VIDA-M8", "skip": "two"}, "'skip' must be a whole number"),
    ({"part_code": "VIDA-M8", "offset_x_mm": "left"}, "'offset_x_mm' must be a number"),
    ({"part_code": "VIDA-M8", "fields": "price"}, "'fields' must list"),
    ({"part_code": "VIDA-M8", "not_printed": "maybe"}, "'not_printed' must be true or false"),
    ({"layout": "avery-l7160"}, 'Give either "part_code" or "qr_ids"'),
    ({"part_code": "VIDA-M8", "colour": "red"}, "Unknown parameter"),
])
def test_bad_requests_are_400_and_print_nothing(uploaded, call, user_token,
                                                firestore_client, query, message):
    reply = call("download_label_sheet", "GET", token=user_token, query_string=query)
    assert reply.status_code == 400, reply.get_data(as_text=True)
    assert message in reply.get_json()["error"]["message"]
    assert set(print_counts(firestore_client).values()) == {0}


def test_more_than_ten_thousand_ids_are_refused(uploaded, call, user_token):
    ids = [f"X-{n:012d}".replace("0", "a") for n in range(10_001)]
    reply = call("download_label_sheet", "POST", token=user_token, json={"qr_ids": ids})
    assert reply.status_code == 400
    assert "At most 10000 QR ids" in reply.get_json()["error"]["message"]


def test_label_sheets_need_the_staff_role(uploaded, call, no_role_token, firestore_client):
    reply = call("download_label_sheet", "GET", token=no_role_token,
                 query_string={"part_code": "VIDA-M8"})
    assert reply.status_code == 403
    assert set(print_counts(firestore_client).values()) == {0}
