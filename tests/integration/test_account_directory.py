"""CachedAccountDirectory (what Auth knows of an account, for allowances and for naming a
claim's holder) against firebase-tools' Auth emulator: facts, unknown accounts, the cache,
and a lookup that fails (Auth, or credentials that cannot be had) answered as unknown for a
short while rather than raised."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import firebase_admin
import pytest
from firebase_admin import auth, credentials
from google.auth import exceptions as google_auth_exceptions

from infra.account_directory import CachedAccountDirectory
from infra.firebase_app import ensure_app


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def directory(auth_accounts, clock: Clock) -> CachedAccountDirectory:
    return CachedAccountDirectory(lambda: ensure_app(os.environ["GOOGLE_CLOUD_PROJECT"]),
                                  ttl_s=300, failure_ttl_s=30, clock=clock)


def test_an_accounts_roles_address_and_age_and_none_for_an_unknown_one(directory) -> None:
    assert directory.facts("nobody") is None  # also initialises the app for the SDK below
    before = datetime.now(UTC) - timedelta(seconds=5)
    auth.create_user(uid="mona", email="mona@example.com")
    auth.set_custom_user_claims("mona", {"moderator": True, "staff": "true", "vip": True})
    facts = directory.facts("mona")
    assert facts is not None
    assert (facts.uid, facts.email, facts.roles) == (
        "mona", "mona@example.com", frozenset({"moderator"}))
    assert facts.created_at is not None and before <= facts.created_at <= datetime.now(UTC)


def test_facts_are_cached_for_their_time_and_then_read_again(directory, clock) -> None:
    directory.facts("nobody")
    auth.create_user(uid="mel", email="mel@example.com")
    assert directory.facts("mel") is not None
    auth.delete_user("mel")
    clock.now += 299
    assert directory.facts("mel") is not None  # from the cache
    clock.now += 2
    assert directory.facts("mel") is None
    auth.create_user(uid="mel", email="mel@example.com")
    clock.now += 299
    assert directory.facts("mel") is None  # "unknown" is cached as long as facts are


class NoCredentials(credentials.Base):
    """A credential that cannot be had, as on a machine without Application Default
    Credentials."""

    def get_credential(self):  # type: ignore[no-untyped-def]
        raise google_auth_exceptions.DefaultCredentialsError("no credentials here")


@pytest.fixture
def app_without_credentials(auth_accounts, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("FIREBASE_AUTH_EMULATOR_HOST")
    firebase_admin.delete_app(ensure_app(os.environ["GOOGLE_CLOUD_PROJECT"]))
    app = firebase_admin.initialize_app(NoCredentials(),
                                        {"projectId": os.environ["GOOGLE_CLOUD_PROJECT"]})
    yield
    firebase_admin.delete_app(app)


def test_a_lookup_without_credentials_is_unknown_for_a_short_while_and_logged(
        app_without_credentials, clock, caplog: pytest.LogCaptureFixture) -> None:
    directory = CachedAccountDirectory(lambda: firebase_admin.get_app(), ttl_s=300,
                                       failure_ttl_s=30, clock=clock)
    with caplog.at_level(logging.WARNING, logger="infra.account_directory"):
        assert directory.facts("mona") is None
        assert directory.facts("mona") is None  # remembered: one slow call, not one each
    assert [r.getMessage() for r in caplog.records] == [
        "Firebase Auth gave no account for an allowance (DefaultCredentialsError); it counts "
        "as new for 30 s"]
    clock.now += 31
    with caplog.at_level(logging.WARNING, logger="infra.account_directory"):
        assert directory.facts("mona") is None
    assert len(caplog.records) == 2  # asked again once the failure's time was up
