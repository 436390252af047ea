"""Test-wide fixtures: the real Firestore emulator, started once per session.

Tests that use `firestore_client` (or `emulator`) get a wiped database before they run.
Environment variables are set before any module under test reads them.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

TEST_PROJECT = "demo-test"

# Set before functions/ code is imported: the project, the emulated auth (unsigned
# tokens), a storage bucket for the storage trigger decorator, and a throwaway blob dir.
os.environ.setdefault("GOOGLE_CLOUD_PROJECT", TEST_PROJECT)
os.environ["GCLOUD_PROJECT"] = os.environ["GOOGLE_CLOUD_PROJECT"]
os.environ.setdefault("FIREBASE_AUTH_EMULATOR_HOST", "127.0.0.1:9099")
os.environ.setdefault("STORAGE_BUCKET", "demo-test.appspot.com")
os.environ.setdefault(
    "FIREBASE_CONFIG",
    f'{{"projectId": "{os.environ["GOOGLE_CLOUD_PROJECT"]}", '
    f'"storageBucket": "{os.environ["STORAGE_BUCKET"]}"}}',
)
os.environ.pop("K_SERVICE", None)
for _name in ("B2_APPLICATION_KEY_ID", "B2_APPLICATION_KEY", "B2_BUCKET_NAME"):
    os.environ.pop(_name, None)


@pytest.fixture(scope="session")
def emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    from devtools import firestore_emulator

    log = Path(tmp_path_factory.mktemp("firestore")) / "emulator.log"
    instance = firestore_emulator.attach_or_start(log_path=log)
    os.environ["FIRESTORE_EMULATOR_HOST"] = instance.host
    yield instance
    instance.stop()


@pytest.fixture
def firestore_client(emulator: object) -> Iterator[object]:
    """A google-cloud-firestore client on a wiped emulator database."""
    from google.cloud import firestore

    emulator.clear(os.environ["GOOGLE_CLOUD_PROJECT"])  # type: ignore[attr-defined]
    yield firestore.Client(project=os.environ["GOOGLE_CLOUD_PROJECT"])


@pytest.fixture(scope="session")
def auth_emulator() -> Iterator[object]:
    """firebase-tools' Auth emulator (offline), for the tests of role management."""
    from devtools.auth_emulator import start_auth_emulator

    instance = start_auth_emulator(os.environ["GOOGLE_CLOUD_PROJECT"])
    yield instance
    instance.stop()


def _forget_firebase_app() -> None:
    """firebase_admin's auth client keeps the emulator address it was made with: drop the
    app so the next one is made with the current environment."""
    import firebase_admin

    with contextlib.suppress(ValueError):  # no app yet
        firebase_admin.delete_app(firebase_admin.get_app())


@pytest.fixture
def auth_accounts(auth_emulator: object, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """firebase_admin (and the composition root) pointed at an empty Auth emulator."""
    import composition

    monkeypatch.setenv("FIREBASE_AUTH_EMULATOR_HOST", auth_emulator.host)  # type: ignore[attr-defined]
    auth_emulator.clear()  # type: ignore[attr-defined]
    _forget_firebase_app()
    composition.reset()
    yield auth_emulator
    _forget_firebase_app()
    composition.reset()
    # The callable protocol verifies ID tokens with the default app before any of our code
    # runs: give the next test one made for the restored environment.
    monkeypatch.undo()
    composition._firebase_app()
