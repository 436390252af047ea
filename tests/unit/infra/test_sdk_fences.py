"""Fences around the two places that lean on SDK internals for want of a public knob.

- infra/b2_blob_store.py bounds b2sdk's retries: b2sdk has no public setting for the number
  of tries, the pauses or the per-request timeouts, so _BoundedB2Http replaces
  B2Http._translate_and_retry and sets B2Http's timeout attributes, through the
  SESSION_CLASS / B2HTTP_CLASS hooks, and caps the upload manager's MAX_UPLOAD_ATTEMPTS.
- infra/gcs_objects.py clears google-cloud-storage's per-client bucket-metadata cache to stop
  a background bucket lookup (the SDK's switch is an environment variable).

(Firestore needs no such fence: the ledger uses only public calls, get_all and batch
commits with preconditions, each taking a timeout and a retry policy.)

When an upgrade moves these internals, these tests fail with a message that names what to
re-check, instead of retries silently going back to b2sdk's 20 tries and 128 s timeouts.
"""

from __future__ import annotations

import inspect
from importlib.metadata import version

import pytest

PINNED_B2SDK = "2.13.1"
PINNED_STORAGE = "3.17.1"


def fence(condition: bool, what: str, sdk: str, pinned: str) -> None:
    if not condition:
        pytest.fail(f"{sdk} {version(sdk)} changed {what}; infra code was written against "
                    f"{sdk} {pinned}. Re-check it before moving the pin.", pytrace=False)


def test_b2sdk_retry_internals_are_where_b2_blob_store_expects_them() -> None:
    from b2sdk.v2 import B2Api, B2Http, B2Session

    sdk = "b2sdk"
    fence(version(sdk) == PINNED_B2SDK, "its version", sdk, PINNED_B2SDK)
    retry = getattr(B2Http, "_translate_and_retry", None)
    fence(retry is not None, "B2Http._translate_and_retry (replaced by _BoundedB2Http)",
          sdk, PINNED_B2SDK)
    fence(list(inspect.signature(retry).parameters)[-3:] == ["fcn", "try_count",
                                                             "post_params"],
          "the parameters of B2Http._translate_and_retry", sdk, PINNED_B2SDK)
    fence(hasattr(B2Http, "_translate_errors"), "B2Http._translate_errors", sdk, PINNED_B2SDK)
    fence("self._translate_and_retry" in inspect.getsource(B2Http.request),
          "how B2Http.request retries (through self._translate_and_retry)", sdk, PINNED_B2SDK)
    for name in ("CONNECTION_TIMEOUT", "TIMEOUT", "TIMEOUT_FOR_UPLOAD", "TIMEOUT_FOR_COPY"):
        fence(isinstance(getattr(B2Http, name, None), int | float), f"B2Http.{name}", sdk,
              PINNED_B2SDK)
    fence(hasattr(B2Session, "B2HTTP_CLASS"), "the B2Session.B2HTTP_CLASS hook", sdk,
          PINNED_B2SDK)
    fence(hasattr(B2Api, "SESSION_CLASS"), "the B2Api.SESSION_CLASS hook", sdk, PINNED_B2SDK)


def test_the_bounded_b2_api_really_carries_our_limits() -> None:
    from infra.b2_blob_store import B2RetryPolicy, bounded_b2_api

    policy = B2RetryPolicy(max_attempts=3, timeout_s=20.0)
    api = bounded_b2_api(policy)
    request_timeout = api.session.raw_api.b2_http.TIMEOUT
    upload_attempts = api.services.upload_manager.MAX_UPLOAD_ATTEMPTS
    assert (request_timeout, upload_attempts) == (policy.request_timeout_s, 3)


def test_google_cloud_storage_metadata_cache_is_where_gcs_objects_expects_it() -> None:
    from google.cloud import storage

    sdk = "google-cloud-storage"
    fence(version(sdk) == PINNED_STORAGE, "its version", sdk, PINNED_STORAGE)
    fence("_bucket_metadata_cache" in inspect.getsource(storage.Client),
          "Client._bucket_metadata_cache (cleared by without_bucket_metadata_fetch)", sdk,
          PINNED_STORAGE)
