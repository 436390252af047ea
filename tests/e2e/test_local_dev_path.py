"""The local developer path through the HTTP functions: a token minted for another project
is answered with what to do about it (only against the Auth emulator), and the example
parts lists the README uploads are imported."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from devtools.tokens import mint_id_token

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
PARTS = [{"part_code": "P1", "part_name": "Çelik vida", "quantity": 1}]


def upload(call, token):
    return call("upload_parts", "POST", token=token, json={"parts": PARTS})


def message(reply) -> str:
    assert reply.status_code == 401, reply.get_data(as_text=True)
    return reply.get_json()["error"]["message"]


def test_a_token_for_another_project_says_which_projects(functions_env, call):
    served = os.environ["GOOGLE_CLOUD_PROJECT"]
    text = message(upload(call, mint_id_token("alice", project_id="demo-elsewhere")))
    assert f"for project 'demo-elsewhere' but this run serves project '{served}'" in text
    assert f"python -m devtools.tokens <uid> --project {served}" in text


def test_other_refusals_keep_the_plain_message(functions_env, call):
    served = os.environ["GOOGLE_CLOUD_PROJECT"]
    wrong_issuer = mint_id_token("alice", project_id=served,
                                 claims={"iss": "https://securetoken.google.com/other"})
    for token in (wrong_issuer, "not-a-jwt", "a.b.c", "a.bm90IGpzb24.c"):
        assert message(upload(call, token)) == \
            "The ID token is invalid or expired; sign in again."


def test_production_gives_no_details(functions_env, call, monkeypatch):
    # Without the Auth emulator firebase_admin refuses the unsigned token before any
    # network call (no "kid"), and the reply must not describe the token.
    import composition

    monkeypatch.delenv("FIREBASE_AUTH_EMULATOR_HOST")
    composition.reset()
    text = message(upload(call, mint_id_token("alice", project_id="demo-elsewhere")))
    assert text == "The ID token is invalid or expired; sign in again."


def test_the_right_token_is_accepted(functions_env, call, user_token):
    assert upload(call, user_token).status_code == 201


@pytest.mark.parametrize("filename", ["parts.xlsx", "parts.csv"])
def test_the_readme_example_files_are_imported(functions_env, call, user_token, filename,
                                               firestore_client):
    with (EXAMPLES / filename).open("rb") as file:
        reply = call("upload_parts", "POST", token=user_token,
                     content_type="multipart/form-data", data={"file": (file, filename)})
    assert reply.status_code == 201, reply.get_data(as_text=True)
    body = reply.get_json()
    assert body["summary"]["units_added"] == 13 == len(body["qr_ids"])
    saft = firestore_client.collection("parts").document("SAFT_YATAK-20").get().to_dict()
    assert saft["part_name"] == "Şaft yatağı" and saft["qr_count"] == 2
