"""Inventory QR labels end to end: HTTP requests through functions-framework and
firebase-functions, on the Firestore emulator and a local blob folder."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

import openpyxl
import pytest
from PIL import Image

from qr import render

TURKISH = "Çelik vida ğüşıöİ – M8×20"


def upload_json(call, token, parts):
    return call("upload_parts", "POST", token=token, json={"parts": parts})


def records(firestore_client, collection="qr_codes"):
    return {d.id: d.to_dict() for d in firestore_client.collection(collection).stream()}


def xlsx_bytes(rows):
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# -- upload_parts ---------------------------------------------------------------------------

def test_upload_creates_one_label_per_unit_and_stores_every_png(
        functions_env, call, user_token, firestore_client, drain):
    reply = upload_json(call, user_token, [
        {"part_code": "BOLT-1", "part_name": TURKISH, "quantity": 3},
        {"part_code": "NUT-2", "part_name": "Nut", "quantity": 2},
    ])
    assert reply.status_code == 201, reply.get_data(as_text=True)
    body = reply.get_json()
    assert body["summary"]["units_added"] == 5
    assert len(body["qr_ids"]) == 5 == len(set(body["qr_ids"]))
    assert all(q.startswith(("BOLT-1-", "NUT-2-")) for q in body["qr_ids"])

    drain()
    stored = records(firestore_client)
    assert set(stored) == set(body["qr_ids"])
    for qr_id, doc in stored.items():
        png = (functions_env / "qr_codes" / f"{qr_id}.png").read_bytes()
        assert doc["stored"] is True
        assert doc["sha1"] == hashlib.sha1(png).hexdigest()
        assert png == render.render_png(qr_id)
        assert doc["payload"] == qr_id
    bolt = firestore_client.collection("parts").document("BOLT-1").get().to_dict()
    assert bolt["part_name"] == TURKISH
    assert bolt["qr_count"] == 3


def test_reupload_adds_only_missing_units_and_never_deletes(
        functions_env, call, user_token, firestore_client):
    first = upload_json(call, user_token, [{"part_code": "P1", "part_name": "A", "quantity": 2}])
    assert first.status_code == 201
    again = upload_json(call, user_token, [{"part_code": "P1", "part_name": "A", "quantity": 2}])
    assert again.get_json()["qr_ids"] == []
    more = upload_json(call, user_token, [{"part_code": "P1", "part_name": "A", "quantity": 5}])
    assert len(more.get_json()["qr_ids"]) == 3
    fewer = upload_json(call, user_token, [{"part_code": "P1", "part_name": "A", "quantity": 1}])
    detail = fewer.get_json()["summary"]["details"][0]
    assert detail["added"] == 0 and detail["existing"] == 5 and detail["not_removed"] == 4
    assert len(records(firestore_client)) == 5


def test_upload_csv_and_xlsx_files(functions_env, call, user_token, firestore_client):
    csv_body = "\ufeffpart_code;part_name;quantity\n 12345 ;" + TURKISH + ";2\n"
    reply = call("upload_parts", "POST", token=user_token, content_type="multipart/form-data",
                 data={"file": (io.BytesIO(csv_body.encode()), "parts.csv")})
    assert reply.status_code == 201, reply.get_data(as_text=True)
    assert all(q.startswith("12345-") for q in reply.get_json()["qr_ids"])

    xlsx = xlsx_bytes([["part_code", "part_name", "quantity"], [67890.0, TURKISH, 1]])
    reply = call("upload_parts", "POST", token=user_token, content_type="multipart/form-data",
                 data={"file": (io.BytesIO(xlsx), "parts.xlsx")})
    assert reply.status_code == 201, reply.get_data(as_text=True)
    assert reply.get_json()["qr_ids"][0].startswith("67890-")
    part = firestore_client.collection("parts").document("67890").get().to_dict()
    assert part["part_name"] == TURKISH


@pytest.mark.parametrize("parts, fragment", [
    ([{"part_code": "P1", "part_name": "A", "quantity": 0}], "quantity"),
    ([{"part_code": "P1", "part_name": "A", "quantity": -2}], "quantity"),
    ([{"part_code": "P1", "part_name": "A", "quantity": "many"}], "quantity"),
    ([{"part_code": "P1", "part_name": "A", "quantity": 10_000_000}], "quantity"),
    ([{"part_code": "a/b", "part_name": "A", "quantity": 1}], "part_code"),
    ([], "no rows"),
])
def test_bad_rows_are_400_and_change_nothing(functions_env, call, user_token, firestore_client,
                                             parts, fragment):
    # A good row first: one bad row must still keep the whole list out.
    good = [{"part_code": "OK-1", "part_name": "x", "quantity": 1}] if parts else []
    reply = upload_json(call, user_token, good + parts)
    assert reply.status_code == 400
    assert fragment in reply.get_data(as_text=True).lower()
    assert records(firestore_client) == {}
    assert records(firestore_client, "parts") == {}


def test_bad_files_are_4xx_with_a_message(functions_env, call, user_token, firestore_client):
    def send(content: bytes, name: str):
        return call("upload_parts", "POST", token=user_token,
                    content_type="multipart/form-data",
                    data={"file": (io.BytesIO(content), name)})

    pdf = send(b"%PDF-1.4 not a parts list", "parts.pdf")
    assert pdf.status_code == 400 and "xlsx" in pdf.get_json()["error"]["message"]
    extra = send(b"part_code,part_name,quantity,notes\nP1,A,1,x\n", "parts.csv")
    assert extra.status_code == 400 and "notes" in extra.get_data(as_text=True)
    missing = send(b"part_code,part_name\nP1,A\n", "parts.csv")
    assert missing.status_code == 400 and "quantity" in missing.get_data(as_text=True)
    huge = send(b"part_code,part_name,quantity\n" + b"x" * (11 * 1024 * 1024), "parts.csv")
    assert huge.status_code == 413
    bomb = io.BytesIO()  # a 100 MB sheet of zeros that zips to about 100 KB
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * (100 * 1024 * 1024))
    bombed = send(bomb.getvalue(), "parts.xlsx")
    assert bombed.status_code in (400, 413), bombed.get_data(as_text=True)
    assert bombed.get_json()["error"]["message"]
    assert records(firestore_client) == {}


def test_upload_needs_a_valid_token_and_post(functions_env, call, user_token):
    assert upload_json(call, None, [{"part_code": "P", "part_name": "A", "quantity": 1}]
                       ).status_code == 401
    forged = call("upload_parts", "POST", token="not-a-jwt", json={"parts": []})
    assert forged.status_code == 401
    assert "sign in" in forged.get_json()["error"]["message"].lower()
    assert call("upload_parts", "GET", token=user_token).status_code == 405
    broken = call("upload_parts", "POST", token=user_token, data=b"{not json",
                  content_type="application/json")
    assert broken.status_code == 400
    assert "json" in broken.get_json()["error"]["message"].lower()


def test_browsers_may_call_with_a_bearer_token(functions_env, call):
    preflight = call("upload_parts", "OPTIONS", headers={
        "Origin": "https://inventory.example", "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert preflight.status_code == 200
    assert preflight.headers["Access-Control-Allow-Origin"] in ("*", "https://inventory.example")
    assert "authorization" in preflight.headers["Access-Control-Allow-Headers"].lower()


# -- view and download ----------------------------------------------------------------------

@pytest.fixture
def one_label(functions_env, call, user_token, drain) -> str:
    reply = upload_json(call, user_token, [{"part_code": "VIEW-1", "part_name": "Viewer",
                                            "quantity": 2}])
    drain()
    return reply.get_json()["qr_ids"][0]


def test_generate_qr_image_serves_the_png_with_cache_headers(call, user_token, one_label):
    reply = call("generate_qr_image", "GET", one_label, token=user_token)
    assert reply.status_code == 200
    assert reply.mimetype == "image/png"
    png = reply.get_data()
    assert png == render.render_png(one_label)
    assert Image.open(io.BytesIO(png)).size[0] > 0
    etag = reply.headers["ETag"]
    assert etag == f'"{hashlib.sha1(png).hexdigest()}"'
    assert "immutable" in reply.headers["Cache-Control"]
    again = call("generate_qr_image", "GET", one_label, token=user_token,
                 headers={"If-None-Match": etag})
    assert again.status_code == 304


@pytest.mark.parametrize("bad_id", ["a/b", "..", "has space", "x" * 201, "ünïcode-1"])
def test_bad_qr_ids_are_400(functions_env, call, user_token, bad_id):
    reply = call("generate_qr_image", "GET", "", token=user_token,
                 query_string={"qr_id": bad_id})
    assert reply.status_code == 400, reply.get_data(as_text=True)
    assert reply.get_json()["error"]["message"]


def test_unknown_qr_id_is_404(functions_env, call, user_token):
    reply = call("generate_qr_image", "GET", "NOPE-abcdefabcdef", token=user_token)
    assert reply.status_code == 404
    assert "NOPE-abcdefabcdef" in reply.get_json()["error"]["message"]


def test_download_single_marks_downloaded(call, user_token, one_label, firestore_client):
    first = call("download_single_qr", "GET", one_label, token=user_token)
    assert first.status_code == 200
    assert first.headers["Content-Disposition"] == f'attachment; filename="{one_label}.png"'
    assert first.get_data() == render.render_png(one_label)
    doc = firestore_client.collection("qr_codes").document(one_label).get().to_dict()
    assert doc["is_downloaded"] is True and doc["download_count"] == 1
    assert doc["downloaded_at"] is not None
    call("download_single_qr", "GET", one_label, token=user_token)
    doc = firestore_client.collection("qr_codes").document(one_label).get().to_dict()
    assert doc["download_count"] == 2
    assert call("download_single_qr", "GET", "NOPE-1", token=user_token).status_code == 404


def test_zip_of_a_part_and_of_a_list(call, user_token, one_label, firestore_client):
    reply = call("download_qr_zip", "GET", token=user_token,
                 query_string={"part_code": "VIEW-1"})
    assert reply.status_code == 200 and reply.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(reply.get_data()))
    names = sorted(archive.namelist())
    assert len(names) == 2 and all(n.startswith("VIEW-1_VIEW-1-") for n in names)
    assert archive.read(f"VIEW-1_{one_label}.png") == render.render_png(one_label)

    listed = call("download_qr_zip", "POST", token=user_token, json={"qr_ids": [one_label]})
    assert zipfile.ZipFile(io.BytesIO(listed.get_data())).namelist() == [
        f"VIEW-1_{one_label}.png"]
    unknown = call("download_qr_zip", "POST", token=user_token,
                   json={"qr_ids": [one_label, "NOPE-1"]})
    assert unknown.status_code == 404
    neither = call("download_qr_zip", "POST", token=user_token, json={})
    assert neither.status_code == 400


# -- durability -----------------------------------------------------------------------------

@pytest.fixture
def storage_outage(functions_env, monkeypatch):
    """Make every put fail (the blob folder's parent is a file); call the returned function
    to bring storage back. The composition root is rebuilt each time, like a new instance."""
    import composition

    blocker = functions_env.parent / "blocked"
    blocker.write_text("not a folder")
    monkeypatch.setenv("LOCAL_BLOB_DIR", str(blocker / "blobs"))
    composition.reset()

    def recover() -> None:
        monkeypatch.setenv("LOCAL_BLOB_DIR", str(functions_env))
        composition.reset()

    return recover


def test_unstored_label_renders_on_the_fly_and_the_sweeper_stores_it(
        functions_env, call, user_token, firestore_client, drain, storage_outage):
    import composition

    reply = upload_json(call, user_token, [{"part_code": "LATE-1", "part_name": "L",
                                            "quantity": 1}])
    qr_id = reply.get_json()["qr_ids"][0]
    drain()
    assert records(firestore_client)[qr_id]["stored"] is False
    view = call("generate_qr_image", "GET", qr_id, token=user_token)
    assert view.status_code == 200 and view.get_data() == render.render_png(qr_id)

    # Storage comes back: the sweeper finds the record and stores it; nothing was lost.
    storage_outage()
    assert composition.qr_labels().requeue_unstored() == 1
    drain()
    assert records(firestore_client)[qr_id]["stored"] is True
    assert (functions_env / "qr_codes" / f"{qr_id}.png").read_bytes() == render.render_png(qr_id)


def test_store_task_function_speaks_the_task_protocol(
        functions_env, call, user_token, firestore_client, drain, storage_outage):
    qr_id = upload_json(call, user_token, [{"part_code": "TASK-1", "part_name": "T",
                                            "quantity": 1}]).get_json()["qr_ids"][0]
    drain()
    failing = call("storeQrBatch", "POST", json={"data": {"qr_ids": [qr_id]}})
    assert failing.status_code == 503  # UNAVAILABLE: Cloud Tasks retries the batch
    storage_outage()
    ok = call("storeQrBatch", "POST", json={"data": {"qr_ids": [qr_id]}})
    assert ok.status_code == 200, ok.get_data(as_text=True)
    assert ok.get_json()["result"] == {"stored": 1, "already_stored": 0}
    bad = call("storeQrBatch", "POST", json={"data": {"qr_ids": "nope"}})
    assert bad.status_code == 400


# -- clear ----------------------------------------------------------------------------------

def test_clear_all_is_admin_only_confirmed_and_leaves_nothing(
        call, user_token, admin_token, one_label, firestore_client, functions_env):
    assert call("clear_all_qrs", "POST", token=user_token,
                json={"confirm": "DELETE ALL QR CODES"}).status_code == 403
    assert call("clear_all_qrs", "POST", json={}).status_code == 401
    unconfirmed = call("clear_all_qrs", "POST", token=admin_token, json={"confirm": "yes"})
    assert unconfirmed.status_code == 400
    assert len(records(firestore_client)) == 2

    reply = call("clear_all_qrs", "POST", token=admin_token,
                 json={"confirm": "DELETE ALL QR CODES"})
    assert reply.status_code == 200, reply.get_data(as_text=True)
    assert reply.get_json() == {"deleted_records": 2, "deleted_parts": 1, "deleted_files": 2}
    assert records(firestore_client) == {} and records(firestore_client, "parts") == {}
    assert list((functions_env / "qr_codes").glob("*")) == []
    assert json.loads(call("clear_all_qrs", "POST", token=admin_token,
                           json={"confirm": "DELETE ALL QR CODES"}).get_data()) == {
        "deleted_records": 0, "deleted_parts": 0, "deleted_files": 0}
