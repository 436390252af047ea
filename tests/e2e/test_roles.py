"""Roles end to end: the inventory functions need the staff role (custom claim
staff: true), an admin is also staff, and someone who merely signed up gets a 403 that
says what is missing and changes nothing."""

from __future__ import annotations

import os

import pytest

from devtools.tokens import mint_id_token
from identity import STAFF_MISSING

PROJECT = os.environ["GOOGLE_CLOUD_PROJECT"]


@pytest.fixture
def one_label(functions_env, call, user_token, drain) -> str:
    reply = call("upload_parts", "POST", token=user_token,
                 json={"parts": [{"part_code": "ROLE-1", "part_name": "x", "quantity": 1}]})
    assert reply.status_code == 201, reply.get_data(as_text=True)
    drain()
    return reply.get_json()["qr_ids"][0]


def inventory_requests(qr_id: str) -> list[tuple[str, str, str, dict]]:
    return [
        ("upload_parts", "POST", "",
         {"json": {"parts": [{"part_code": "ROLE-2", "part_name": "y", "quantity": 1}]}}),
        ("generate_qr_image", "GET", qr_id, {}),
        ("download_single_qr", "GET", qr_id, {}),
        ("download_qr_zip", "GET", "", {"query_string": {"part_code": "ROLE-1"}}),
        ("download_qr_zip", "POST", "", {"json": {"qr_ids": [qr_id]}}),
    ]


def forged(**claims: object) -> str:
    return mint_id_token("mallory", project_id=PROJECT, claims=claims)


@pytest.mark.parametrize("token_kind", ["no_role", "staff_string", "role_admin",
                                        "staff_number"])
def test_without_the_staff_role_every_inventory_function_answers_403(
        one_label, call, firestore_client, no_role_token, token_kind):
    token = {"no_role": no_role_token, "staff_string": forged(staff="true"),
             "role_admin": forged(role="admin"), "staff_number": forged(staff=1)}[token_kind]
    before = sorted(d.id for d in firestore_client.collection("qr_codes").stream())
    for name, method, path, kwargs in inventory_requests(one_label):
        reply = call(name, method, path, token=token, **kwargs)
        assert reply.status_code == 403, (name, reply.get_data(as_text=True))
        assert reply.get_json()["error"]["message"] == STAFF_MISSING
    assert sorted(d.id for d in firestore_client.collection("qr_codes").stream()) == before
    record = firestore_client.document(f"qr_codes/{one_label}").get().to_dict()
    assert not record.get("is_downloaded")  # the refused download marked nothing


@pytest.mark.parametrize("token_fixture", ["user_token", "admin_token"])
def test_staff_and_admins_reach_every_inventory_function(one_label, call, request,
                                                         token_fixture):
    token = request.getfixturevalue(token_fixture)
    for name, method, path, kwargs in inventory_requests(one_label):
        reply = call(name, method, path, token=token, **kwargs)
        assert reply.status_code in (200, 201), (name, reply.get_data(as_text=True))


def test_clear_all_stays_admin_only_for_staff(one_label, call, user_token):
    reply = call("clear_all_qrs", "POST", token=user_token,
                 json={"confirm": "DELETE ALL QR CODES"})
    assert reply.status_code == 403
    assert "administrators" in reply.get_json()["error"]["message"]


def test_the_moderation_check_stays_open_to_any_signed_in_user(functions_env, call,
                                                                no_role_token):
    # The moderation half serves apps where anyone signs up: no role needed to ask.
    reply = call("analyze_image_before_upload", "POST", token=no_role_token,
                 json={"data": {"image": "not base64 %%%"}})
    assert reply.status_code == 400  # judged on its input, not refused for a role
