"""End-to-end fixtures: the deployed functions served by functions-framework, on the
Firestore emulator, a local blob folder and unsigned emulator ID tokens."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devtools.storage_emulator import running_storage_emulator
from devtools.tokens import mint_id_token
from devtools.vision_server import running_vision_server


@pytest.fixture
def functions_env(firestore_client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                  ) -> Iterator[Path]:
    """A clean environment for the functions: wiped Firestore, empty blob folder, and a
    fresh composition root (so settings are read again)."""
    import composition

    blob_dir = tmp_path / "blobs"
    monkeypatch.setenv("LOCAL_BLOB_DIR", str(blob_dir))
    monkeypatch.setenv("QR_STORE_MODE", "in_process")
    composition.reset()
    yield blob_dir
    _drain_if_built()
    composition.reset()


def _drain_if_built() -> None:
    import composition

    if composition.store_queue.cache_info().currsize:
        composition.store_queue().drain(30)


@pytest.fixture
def call() -> Callable[..., object]:
    """call(function_name, method="GET", path="", token=None, **kwargs) -> Flask response."""
    from devtools.function_apps import function_app

    def _call(name: str, method: str = "GET", path: str = "", *, token: str | None = None,
              headers: dict[str, str] | None = None, **kwargs: object):
        client = function_app(name).test_client()
        all_headers = dict(headers or {})
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        return client.open(f"/{path}", method=method, headers=all_headers, **kwargs)

    return _call


@pytest.fixture
def user_token() -> str:
    """A member of the warehouse staff (custom claim staff: true)."""
    return mint_id_token("staff-1", project_id=os.environ["GOOGLE_CLOUD_PROJECT"], staff=True)


@pytest.fixture
def no_role_token() -> str:
    """Someone who signed up (the moderation half serves such apps) and holds no role."""
    return mint_id_token("member-1", project_id=os.environ["GOOGLE_CLOUD_PROJECT"])


@pytest.fixture
def admin_token() -> str:
    return mint_id_token("admin-1", project_id=os.environ["GOOGLE_CLOUD_PROJECT"], admin=True)


@pytest.fixture
def drain() -> Callable[[], None]:
    """drain(): wait for the in-process store worker (production: Cloud Tasks) to finish."""
    import composition

    def _drain() -> None:
        assert composition.store_queue().drain(60), "the store queue did not drain"

    return _drain


# -- moderation: Cloud Storage and Vision stand-ins -----------------------------------------

@pytest.fixture(scope="module")
def gcs():
    with running_storage_emulator(os.environ["STORAGE_BUCKET"],
                                  project=os.environ["GOOGLE_CLOUD_PROJECT"]) as gcs:
        yield gcs


@pytest.fixture(scope="module")
def vision():
    with running_vision_server() as server:
        yield server


@pytest.fixture
def env(functions_env, gcs, vision, monkeypatch):
    """The moderation functions on fresh stand-ins (re-checks at their default delays)."""
    import composition

    gcs.server.wipe(keep_buckets=True)
    vision.reset()
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", gcs.host)
    monkeypatch.setenv("VISION_API_ENDPOINT", vision.endpoint)
    monkeypatch.setenv("VISION_TIMEOUT_S", "2")
    monkeypatch.setenv("VISION_FALLBACK_STRATEGY", "warn")
    composition.reset()
    return gcs


@pytest.fixture
def fast(env, monkeypatch):
    """The moderation functions with re-checks retried after 0.2-1 s instead of minutes."""
    import composition

    monkeypatch.setenv("RECHECK_DELAY_S", "0.2")
    monkeypatch.setenv("RECHECK_RETRY_MIN_S", "0.2")
    monkeypatch.setenv("RECHECK_RETRY_MAX_S", "1")
    composition.reset()
    return env
