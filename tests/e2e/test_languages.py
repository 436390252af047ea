"""Replies in the caller's language, end to end: HTTP functions through functions-framework,
callables through firebase-functions' callable protocol, the storage trigger through a real
CloudEvent. Turkish for `Accept-Language: tr...` or a callable's `data.locale`, English
otherwise; every reply says which (Content-Language) and that it depends on the header
(Vary: Accept-Language)."""

from __future__ import annotations

import base64
from typing import Any

from infra.request_limits import TOO_DEEP_MESSAGE
from messages import render
from tests.support.moderation import deliver, moderation_records, png_bytes, upload

TURKISH = {"Accept-Language": "tr-TR,tr;q=0.9,en;q=0.8"}
ENGLISH = {"Accept-Language": "en-US,en;q=0.9"}
DEEP = b"[" * 1000 + b"]" * 1000
BAD_ROWS = {"parts": [{"part_code": "ÇİVİ-M8", "part_name": "Çelik çivi", "quantity": 1},
                      {"part_code": "ÇİVİ M8", "part_name": "x", "quantity": 0}]}


def assert_language(reply: Any, language: str) -> None:
    assert reply.headers["Content-Language"] == language
    assert "accept-language" in {v.strip().lower() for v in
                                 ",".join(reply.headers.getlist("Vary")).split(",")}


def callable_with(call: Any, name: str, data: Any, token: str | None,
                  headers: dict[str, str] | None = None) -> Any:
    return call(name, "POST", token=token, headers=headers, json={"data": data})


# -- HTTP functions ---------------------------------------------------------------------------

def test_an_http_error_in_turkish_with_turkish_row_errors(functions_env, call, user_token,
                                                          firestore_client):
    reply = call("upload_parts", "POST", token=user_token, headers=TURKISH, json=BAD_ROWS)

    assert reply.status_code == 400, reply.get_data(as_text=True)
    assert_language(reply, "tr")
    error = reply.get_json()["error"]
    assert error["code"] == "InvalidInput"  # the code is for programs: never translated
    assert error["message"] == "1 satırda sorun var; hiçbir şey içe aktarılmadı"
    code_error, quantity_error = error["details"]["errors"]
    assert (code_error["row"], code_error["column"]) == (2, "part_code")
    assert code_error["reason"] == (
        "part_code 'ÇİVİ M8' yalnızca şunları içerebilir: harf ve rakam (her alfabeden), "
        "'.', '_' ve '-'; bir boşluk kullanılamaz")  # the code as typed: never case-mapped
    assert quantity_error["reason"] == ("quantity 1 ile 10000 arasında bir tam sayı "
                                        "olmalıdır; girilen: '0'")
    assert list(firestore_client.collection("parts").stream()) == []


def test_the_same_http_error_is_english_by_default(functions_env, call, user_token):
    for headers in (None, ENGLISH, {"Accept-Language": "de-DE,fr;q=0.8"}):
        reply = call("upload_parts", "POST", token=user_token, headers=headers, json=BAD_ROWS)
        assert reply.status_code == 400
        assert_language(reply, "en")
        error = reply.get_json()["error"]
        assert error["message"] == "1 row has problems; nothing was imported"
        assert error["details"]["errors"][1]["reason"] == (
            "quantity must be a whole number from 1 to 10000, got '0'")


def test_sign_in_method_and_limit_refusals_are_turkish_too(functions_env, call, user_token):
    signed_out = call("upload_parts", "POST", headers=TURKISH, json=BAD_ROWS)
    assert signed_out.status_code == 401 and signed_out.get_json()["error"]["message"] == (
        "Önce oturum açın: bu fonksiyon bir Firebase kimlik belirteci (ID token) gerektirir.")
    wrong_method = call("upload_parts", "GET", token=user_token, headers=TURKISH)
    assert wrong_method.status_code == 405
    assert wrong_method.get_json()["error"]["message"] == "Bu fonksiyon için POST kullanın."
    assert_language(wrong_method, "tr")
    either = call("download_qr_zip", "DELETE", token=user_token, headers=TURKISH)
    assert either.get_json()["error"]["message"] == "Bu fonksiyon için GET veya POST kullanın."

    too_deep = call("upload_parts", "POST", token=user_token, headers=TURKISH, data=DEEP,
                    content_type="application/json")
    assert too_deep.status_code == 400
    assert_language(too_deep, "tr")
    assert too_deep.get_json()["error"] == {"code": "InvalidInput",
                                            "message": render(TOO_DEEP_MESSAGE, "tr")}
    assert too_deep.get_json()["error"]["message"].startswith(
        "İstekteki JSON 64 düzeyden daha derin")


def test_a_successful_http_reply_carries_the_language(functions_env, call, user_token):
    made = call("upload_parts", "POST", token=user_token, headers=TURKISH, json={
        "parts": [{"part_code": "DİL-1", "part_name": "Işık", "quantity": 1}]})
    assert made.status_code == 201
    assert_language(made, "tr")
    qr_id = made.get_json()["qr_ids"][0]
    image = call("generate_qr_image", "GET", path=qr_id, token=user_token)
    assert image.status_code == 200 and image.mimetype == "image/png"
    assert_language(image, "en")
    # CORS adds its own Vary on a cross-origin request: both are kept.
    cross = call("upload_parts", "POST", token=user_token,
                 headers={**TURKISH, "Origin": "https://console.example"},
                 json={"parts": [{"part_code": "DİL-1", "part_name": "Işık", "quantity": 1}]})
    assert cross.status_code == 201
    assert_language(cross, "tr")
    # A console on another origin may read a download's name and the language.
    download = call("download_single_qr", "GET", path=qr_id, token=user_token,
                    headers={"Origin": "https://console.example"})
    assert download.status_code == 200
    assert download.headers["Access-Control-Allow-Origin"] in ("*", "https://console.example")
    exposed = {h.strip() for h in download.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"Content-Disposition", "Content-Language"} <= exposed
    assert "attachment" in download.headers["Content-Disposition"]


# -- callables --------------------------------------------------------------------------------

def test_a_callable_error_in_turkish_from_the_header(functions_env, call, user_token):
    reply = callable_with(call, "mark_units_used", {"qr_ids": [], "reason": "satıldı"},
                          user_token, TURKISH)

    assert reply.status_code == 400
    assert_language(reply, "tr")
    assert reply.get_json()["error"] == {"status": "INVALID_ARGUMENT",
                                         "message": '"qr_ids" boş: en az bir QR kimliği verin.'}


def test_data_locale_overrides_the_header(functions_env, call, user_token):
    empty = {"qr_ids": [], "reason": "sold"}
    turkish = callable_with(call, "markUnitsUsed", {**empty, "locale": "tr-TR"}, user_token,
                            ENGLISH)
    assert turkish.get_json()["error"]["message"] == '"qr_ids" boş: en az bir QR kimliği verin.'
    assert_language(turkish, "tr")

    english = callable_with(call, "markUnitsUsed", {**empty, "locale": "en-US"}, user_token,
                            TURKISH)
    assert english.get_json()["error"]["message"] == '"qr_ids" is empty: give at least one QR id.'
    assert_language(english, "en")

    # Not a language we write: ignored, the header decides.
    for locale in ("de-DE", 7, ""):
        ignored = callable_with(call, "markUnitsUsed", {**empty, "locale": locale}, user_token,
                                TURKISH)
        assert ignored.get_json()["error"]["message"].startswith('"qr_ids" boş'), locale
        assert_language(ignored, "tr")


def test_a_callable_success_carries_the_language_and_locale_is_not_data(functions_env, call,
                                                                        admin_token):
    reply = callable_with(call, "get_vision_api_quota_status", {"locale": "tr"}, admin_token)
    assert reply.status_code == 200, reply.get_data(as_text=True)
    assert_language(reply, "tr")
    english = callable_with(call, "getVisionApiQuotaStatus", {}, admin_token)
    assert english.status_code == 200
    assert_language(english, "en")
    # A use case never sees the field: one that checks its fields still takes the call.
    limit = callable_with(call, "set_vision_api_monthly_quota",
                          {"limit": 1000, "locale": "tr"}, admin_token)
    assert limit.status_code == 200 and limit.get_json()["result"]["limit"] == 1000


def test_role_and_permission_refusals_of_callables_in_turkish(functions_env, call, user_token):
    denied = callable_with(call, "get_vision_api_quota_status", {}, user_token, TURKISH)
    assert denied.status_code == 403
    assert denied.get_json()["error"]["message"] == (
        "Bu işlemi yalnızca yöneticiler yapabilir (özel talep admin: true); hesabınızda bu "
        "yetki yok.")
    # firebase-functions refuses a bad token itself, before our code: its word, in Turkish.
    bad_token = call("mark_units_used", "POST", headers={
        **TURKISH, "Authorization": "Bearer not-a-token"}, json={"data": {}})
    assert bad_token.status_code == 401
    assert bad_token.get_json()["error"]["message"].startswith("Kimlik doğrulanamadı")
    assert_language(bad_token, "tr")
    in_english = call("mark_units_used", "POST", headers={"Authorization": "Bearer x"},
                      json={"data": {}})
    assert in_english.get_json()["error"]["message"] == "Unauthenticated"


def test_a_request_limit_rejection_of_a_callable_in_turkish(functions_env, call, admin_token,
                                                            firestore_client):
    reply = call("set_vision_api_monthly_quota", "POST", token=admin_token, headers=TURKISH,
                 data=b'{"data": ' + DEEP + b"}", content_type="application/json")
    assert reply.status_code == 400
    assert_language(reply, "tr")
    assert reply.get_json() == {"error": {"status": "INVALID_ARGUMENT",
                                          "message": render(TOO_DEEP_MESSAGE, "tr")}}
    english = call("set_vision_api_monthly_quota", "POST", token=admin_token,
                   data=b'{"data": ' + DEEP + b"}", content_type="application/json")
    assert english.get_json()["error"]["message"] == TOO_DEEP_MESSAGE
    assert list(firestore_client.collection("admin_actions").stream()) == []


def test_task_queue_functions_answer_in_english(functions_env, call):
    reply = call("storeQrBatch", "POST", headers=TURKISH,
                 json={"data": {"qr_ids": "not a list", "locale": "tr"}})
    assert reply.status_code == 400
    assert reply.get_json()["error"]["message"] == '"qr_ids" must be a list of QR id strings.'
    assert reply.headers["Content-Language"] == "en"
    assert "Accept-Language" not in reply.headers.get("Vary", "")


# -- moderation -------------------------------------------------------------------------------

def test_a_moderation_record_and_the_metadata_carry_both_languages(env, call, vision,
                                                                   firestore_client):
    blob = upload(env, "uploads/ayse/kedi.png", png_bytes("green"))
    deliver(call, blob, event_id="tr-1")

    (record,) = moderation_records(firestore_client)
    assert record["message"] == "The image passed moderation."
    assert record["messages"] == {"en": "The image passed moderation.",
                                  "tr": "Görsel moderasyondan geçti."}
    assert record["result"]["messages"] == record["messages"]
    blob.reload()
    assert blob.metadata["moderationMessage"] == "The image passed moderation."
    assert blob.metadata["moderationMessageTr"] == "Görsel moderasyondan geçti."


def test_the_pre_upload_check_answers_in_the_callers_language(env, call, vision, user_token):
    image = base64.b64encode(png_bytes("teal")).decode()
    first = callable_with(call, "analyze_image_before_upload", {"image": image}, user_token,
                          TURKISH)
    assert first.status_code == 200, first.get_data(as_text=True)
    assert first.get_json()["result"]["message"] == "Görsel moderasyondan geçti."
    assert_language(first, "tr")
    # Answered again from the stored verdict: still in the caller's language.
    cached = callable_with(call, "analyzeImageBeforeUpload", {"image": image, "locale": "tr"},
                           user_token)
    assert cached.get_json()["result"]["cached"] is True
    assert cached.get_json()["result"]["message"] == "Görsel moderasyondan geçti."
    english = callable_with(call, "analyzeImageBeforeUpload", {"image": image}, user_token)
    assert english.get_json()["result"]["message"] == "The image passed moderation."
