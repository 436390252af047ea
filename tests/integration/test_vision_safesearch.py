"""The real google-cloud-vision client (REST transport) against a local server speaking the
Vision REST API: request shape, likelihood mapping, retries, time bounds and failure mapping."""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from devtools.vision_server import (
    ImageError,
    RawResponse,
    VisionServer,
    running_vision_server,
    unsafe_word_responder,
)
from infra.vision_safesearch import VisionSafeSearch
from moderation.ports import ImageSource, VisionUnavailable
from moderation.safesearch import Likelihood, SafeSearchAnnotation

TIMEOUT_S = 1.5
# Scheduling slack on a loaded machine; the bounds below still fail if a retry or a timeout
# reset let a call run a whole extra timeout.
SLACK_S = 0.6
URI = "gs://demo-test.appspot.com/uploads/cat.jpg"
REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def vision() -> Iterator[VisionServer]:
    with running_vision_server() as server:
        yield server


@pytest.fixture
def classifier(vision: VisionServer) -> VisionSafeSearch:
    classifier = VisionSafeSearch.create(vision.endpoint, timeout_s=TIMEOUT_S)
    # Client imports (about 1 s the first time) must not count against the timing bounds.
    classifier.warm_up()
    return classifier


def _unavailable(classifier: VisionSafeSearch, image: ImageSource) -> tuple[VisionUnavailable,
                                                                           float]:
    started = time.monotonic()
    with pytest.raises(VisionUnavailable) as caught:
        classifier.classify(image)
    return caught.value, time.monotonic() - started


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- request shape and results ------------------------------------------------------------

def test_gs_uri_request_has_one_image_and_exactly_one_safesearch_feature(
        vision: VisionServer, classifier: VisionSafeSearch) -> None:
    vision.set_for_uri(URI, {"adult": "VERY_LIKELY"})

    annotation = classifier.classify(ImageSource(gcs_uri=URI))

    assert annotation.adult is Likelihood.VERY_LIKELY
    assert annotation.racy is Likelihood.VERY_UNLIKELY
    [request] = vision.requests
    assert request.path == "/v1/images:annotate"
    [image] = request.images
    assert image.uri == URI
    assert image.content is None
    assert image.features == ("SAFE_SEARCH_DETECTION",)
    # Anonymous credentials for a plain-http endpoint: nothing to leak over the wire.
    assert request.authorization is None
    assert vision.billable_units == 1


def test_bytes_request_sends_the_exact_content(vision: VisionServer,
                                               classifier: VisionSafeSearch) -> None:
    content = bytes(range(256)) * 4  # every byte value survives the base64 round trip
    vision.set_for_content(content, {"violence": "LIKELY"})

    annotation = classifier.classify(ImageSource(content=content))

    assert annotation.violence is Likelihood.LIKELY
    [request] = vision.requests
    [image] = request.images
    assert image.content == content
    assert image.uri is None
    assert image.features == ("SAFE_SEARCH_DETECTION",)


def test_every_likelihood_maps_by_name(vision: VisionServer,
                                       classifier: VisionSafeSearch) -> None:
    vision.set_default({"adult": "VERY_LIKELY", "racy": "LIKELY", "violence": "POSSIBLE",
                        "medical": "UNLIKELY", "spoof": "UNKNOWN"})
    assert classifier.classify(ImageSource(gcs_uri=URI)) == SafeSearchAnnotation(
        adult=Likelihood.VERY_LIKELY, racy=Likelihood.LIKELY, violence=Likelihood.POSSIBLE,
        medical=Likelihood.UNLIKELY, spoof=Likelihood.UNKNOWN)
    vision.set_default({"adult": "VERY_UNLIKELY"})
    assert classifier.classify(ImageSource(gcs_uri=URI)).adult is Likelihood.VERY_UNLIKELY


@pytest.mark.filterwarnings("ignore:Unrecognized Likelihood enum value")
def test_an_enum_value_unknown_to_the_client_becomes_unknown(
        vision: VisionServer, classifier: VisionSafeSearch) -> None:
    vision.set_default(RawResponse({"safeSearchAnnotation": {"adult": 9, "racy": 4}}))
    annotation = classifier.classify(ImageSource(gcs_uri=URI))
    assert annotation.adult is Likelihood.UNKNOWN
    assert annotation.racy is Likelihood.LIKELY


def test_the_client_is_built_lazily_once_and_reused(vision: VisionServer) -> None:
    real_factory = VisionSafeSearch.create(vision.endpoint, TIMEOUT_S)._client_factory
    built: list[object] = []

    def counting_factory() -> object:
        built.append(real_factory())
        return built[-1]

    classifier = VisionSafeSearch(counting_factory, TIMEOUT_S)  # type: ignore[arg-type]
    assert built == []  # constructing builds nothing
    classifier.warm_up()
    assert len(built) == 1
    assert vision.request_count == 0  # warming up calls nobody
    classifier.classify(ImageSource(gcs_uri=URI))
    classifier.classify(ImageSource(gcs_uri=URI))
    assert len(built) == 1
    assert vision.request_count == 2


def test_concurrent_first_use_builds_the_client_once() -> None:
    built: list[object] = []

    def slow_factory() -> object:
        time.sleep(0.05)
        built.append(object())
        return built[-1]

    classifier = VisionSafeSearch(slow_factory, TIMEOUT_S)  # type: ignore[arg-type]
    threads = [threading.Thread(target=classifier.warm_up) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(built) == 1


# --- retries and time bounds ------------------------------------------------------------

def test_a_503_is_retried_and_then_succeeds(vision: VisionServer,
                                            classifier: VisionSafeSearch) -> None:
    vision.fail_unavailable(times=1)
    vision.set_for_uri(URI, {"racy": "VERY_LIKELY"})

    assert classifier.classify(ImageSource(gcs_uri=URI)).racy is Likelihood.VERY_LIKELY
    assert [r.status for r in vision.requests] == [503, 200]
    assert vision.billable_units == 1


def test_a_504_is_retried_too(vision: VisionServer, classifier: VisionSafeSearch) -> None:
    vision.fail(504, times=1, message="Deadline expired before operation could complete.")
    classifier.classify(ImageSource(gcs_uri=URI))
    assert [r.status for r in vision.requests] == [504, 200]


def test_503_forever_gives_up_within_the_timeout(vision: VisionServer,
                                                 classifier: VisionSafeSearch) -> None:
    vision.fail_unavailable()

    error, elapsed = _unavailable(classifier, ImageSource(gcs_uri=URI))

    assert error.reason == "unavailable"
    assert elapsed < TIMEOUT_S + SLACK_S
    assert vision.request_count >= 2  # it did retry
    assert vision.billable_units == 0


def test_a_hung_vision_times_out_once_without_retrying(vision: VisionServer,
                                                       classifier: VisionSafeSearch) -> None:
    vision.hang()

    error, elapsed = _unavailable(classifier, ImageSource(gcs_uri=URI))

    assert error.reason == "timeout"
    assert TIMEOUT_S - 0.1 < elapsed < TIMEOUT_S + SLACK_S
    assert vision.request_count == 1


def test_a_hang_after_slow_503s_still_ends_at_the_overall_deadline(
        vision: VisionServer, classifier: VisionSafeSearch) -> None:
    # The first attempt burns most of the budget; the retry must get only what is left
    # (api_core's default per-attempt timeout would hand it the full 1.5 s again).
    vision.fail_unavailable(times=1, delay_s=0.9)
    vision.hang()

    error, elapsed = _unavailable(classifier, ImageSource(gcs_uri=URI))

    assert error.reason in ("timeout", "unavailable")
    assert elapsed < TIMEOUT_S + 0.4
    assert vision.request_count == 2


# --- refusals ---------------------------------------------------------------------------

def test_429_is_rate_limited_and_not_retried(vision: VisionServer,
                                             classifier: VisionSafeSearch) -> None:
    vision.fail_rate_limited()
    error, _ = _unavailable(classifier, ImageSource(gcs_uri=URI))
    assert error.reason == "rate_limited"
    assert vision.request_count == 1


def test_403_billing_disabled_is_recognised_from_error_info(
        vision: VisionServer, classifier: VisionSafeSearch) -> None:
    vision.fail_billing_disabled()
    error, _ = _unavailable(classifier, ImageSource(gcs_uri=URI))
    assert error.reason == "billing_disabled"
    assert vision.request_count == 1
    # Google's message names the project and a console URL: none of it is passed on.
    assert "project" not in error.message
    assert "http" not in error.message


def test_other_403_is_refused(vision: VisionServer, classifier: VisionSafeSearch) -> None:
    vision.fail(403, reason="SERVICE_DISABLED",
                message="Cloud Vision API has not been used in project 0 before.")
    error, _ = _unavailable(classifier, ImageSource(gcs_uri=URI))
    assert error.reason == "refused"


@pytest.mark.parametrize(("status", "reason"), [
    (400, "bad_image"),
    (401, "refused"),
    (500, "unavailable"),
])
def test_other_http_errors_are_mapped_and_not_retried(
        vision: VisionServer, classifier: VisionSafeSearch, status: int, reason: str) -> None:
    vision.fail(status)
    error, _ = _unavailable(classifier, ImageSource(gcs_uri=URI))
    assert error.reason == reason
    assert vision.request_count == 1


def test_nothing_listening_is_unreachable() -> None:
    classifier = VisionSafeSearch.create(f"http://127.0.0.1:{_free_port()}", TIMEOUT_S)
    error, elapsed = _unavailable(classifier, ImageSource(gcs_uri=URI))
    assert error.reason == "unreachable"
    assert elapsed < TIMEOUT_S


@pytest.mark.parametrize("endpoint", [None, "https://vision.example.invalid"])
def test_missing_default_credentials_are_refused_without_a_call(
        endpoint: str | None, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # Google's endpoint and any https endpoint use default credentials; here they point at a
    # file that does not exist, so building the client fails before anything is sent.
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", str(tmp_path / "missing.json"))
    classifier = VisionSafeSearch.create(endpoint, TIMEOUT_S)
    error, _ = _unavailable(classifier, ImageSource(gcs_uri=URI))
    assert error.reason == "refused"
    assert "missing.json" not in error.message


# --- per-image results inside a 200 ---------------------------------------------------------

def test_a_per_image_error_is_bad_image(vision: VisionServer,
                                        classifier: VisionSafeSearch) -> None:
    vision.set_for_uri(URI, ImageError(3, "Bad image data."))
    error, _ = _unavailable(classifier, ImageSource(gcs_uri=URI))
    assert error.reason == "bad_image"
    assert vision.request_count == 1


def test_a_per_image_permission_error_is_refused_not_bad_image(
        vision: VisionServer, classifier: VisionSafeSearch) -> None:
    vision.set_for_uri(URI, ImageError(7, "The caller does not have permission"))
    error, _ = _unavailable(classifier, ImageSource(gcs_uri=URI))
    assert error.reason == "refused"


def test_a_200_without_an_annotation_is_no_verdict(vision: VisionServer,
                                                   classifier: VisionSafeSearch) -> None:
    # All-UNKNOWN would be approved by the verdict rules: an empty answer must not be.
    vision.set_default(RawResponse({}))
    error, _ = _unavailable(classifier, ImageSource(gcs_uri=URI))
    assert error.reason == "unavailable"


# --- bad inputs: nothing is sent ------------------------------------------------------------

@pytest.mark.parametrize("image", [
    ImageSource(),
    ImageSource(gcs_uri=URI, content=b"\xff\xd8\xff"),
    ImageSource(gcs_uri="https://example.com/cat.jpg"),
    ImageSource(gcs_uri="gs://"),
], ids=["neither", "both", "http-uri", "bare-scheme"])
def test_a_malformed_image_source_is_a_value_error_and_sends_nothing(
        vision: VisionServer, classifier: VisionSafeSearch, image: ImageSource) -> None:
    with pytest.raises(ValueError):
        classifier.classify(image)
    assert vision.request_count == 0


def test_empty_bytes_are_a_bad_image_without_a_call(vision: VisionServer,
                                                    classifier: VisionSafeSearch) -> None:
    error, _ = _unavailable(classifier, ImageSource(content=b""))
    assert error.reason == "bad_image"
    assert vision.request_count == 0


@pytest.mark.parametrize("endpoint", ["127.0.0.1:8123", "ftp://host", "http://", "http://h/v1"])
def test_a_malformed_endpoint_fails_at_create(endpoint: str) -> None:
    with pytest.raises(ValueError):
        VisionSafeSearch.create(endpoint, TIMEOUT_S)


def test_a_non_positive_timeout_fails_at_create() -> None:
    with pytest.raises(ValueError):
        VisionSafeSearch.create(None, 0)


# --- the local-run convention ---------------------------------------------------------------

def test_the_unsafe_word_convention(vision: VisionServer,
                                    classifier: VisionSafeSearch) -> None:
    vision.set_responder(unsafe_word_responder)
    unsafe = classifier.classify(ImageSource(gcs_uri="gs://b/uploads/unsafe-cat.jpg"))
    unsafe_bytes = classifier.classify(ImageSource(content=b"\xff\xd8\xff..unsafe.."))
    safe = classifier.classify(ImageSource(gcs_uri="gs://b/uploads/cat.jpg"))
    assert unsafe.adult is Likelihood.VERY_LIKELY
    assert unsafe_bytes.adult is Likelihood.VERY_LIKELY
    assert safe.adult is Likelihood.VERY_UNLIKELY


def test_standalone_server_answers_by_name_for_plain_rest_clients() -> None:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "devtools.vision_server", "--port", str(port)],
        cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        assert f"127.0.0.1:{port}" in process.stdout.readline()  # printed once it listens
        import requests

        body = {"requests": [{"image": {"content": base64.b64encode(b"unsafe").decode()},
                              "features": [{"type": "SAFE_SEARCH_DETECTION"}]}]}
        reply = requests.post(f"http://127.0.0.1:{port}/v1/images:annotate", json=body,
                              timeout=5)
        assert reply.status_code == 200
        assert reply.json()["responses"][0]["safeSearchAnnotation"]["adult"] == "VERY_LIKELY"

        classifier = VisionSafeSearch.create(f"http://127.0.0.1:{port}", TIMEOUT_S)
        assert classifier.classify(ImageSource(gcs_uri=URI)).adult is Likelihood.VERY_UNLIKELY
    finally:
        process.terminate()
        process.wait(timeout=5)
