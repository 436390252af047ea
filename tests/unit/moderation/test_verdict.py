"""The verdict rules and the format sniffer, on real annotations and real encoded images."""

from __future__ import annotations

import io
import zipfile

import pytest
from PIL import Image

from moderation.safesearch import CATEGORIES, Likelihood, SafeSearchAnnotation
from moderation.settings import DEFAULT_THRESHOLDS
from moderation.verdict import SNIFF_BYTES, Verdict, judge, sniff_image_format

L = Likelihood


# --- judge -------------------------------------------------------------------------------

def test_all_very_unlikely_is_approved_with_no_reasons() -> None:
    annotation = SafeSearchAnnotation(*(L.VERY_UNLIKELY for _ in CATEGORIES))
    assert judge(annotation, DEFAULT_THRESHOLDS) == Verdict("approve", ())


@pytest.mark.parametrize("category", ["adult", "racy", "violence"])
@pytest.mark.parametrize("value", [L.LIKELY, L.VERY_LIKELY])
def test_default_thresholds_reject_at_likely_and_above(category: str, value: Likelihood) -> None:
    verdict = judge(SafeSearchAnnotation(**{category: value}), DEFAULT_THRESHOLDS)
    assert verdict.decision == "reject"
    assert verdict.rejected
    assert verdict.reasons == (f"{category}={value.name} (threshold LIKELY)",)


@pytest.mark.parametrize("category", ["adult", "racy", "violence"])
def test_default_thresholds_approve_just_below(category: str) -> None:
    verdict = judge(SafeSearchAnnotation(**{category: L.POSSIBLE}), DEFAULT_THRESHOLDS)
    assert verdict == Verdict("approve", ())
    assert not verdict.rejected


@pytest.mark.parametrize("category", ["medical", "spoof"])
def test_medical_and_spoof_are_off_by_default(category: str) -> None:
    verdict = judge(SafeSearchAnnotation(**{category: L.VERY_LIKELY}), DEFAULT_THRESHOLDS)
    assert verdict.decision == "approve"


def test_unknown_never_rejects_even_with_the_lowest_thresholds() -> None:
    strictest = {category: L.UNKNOWN for category in CATEGORIES}
    assert judge(SafeSearchAnnotation(), strictest).decision == "approve"
    # ...while any known value does reach a threshold of UNKNOWN ("at or above").
    assert judge(SafeSearchAnnotation(spoof=L.VERY_UNLIKELY), strictest).decision == "reject"


def test_every_offending_category_is_reported_in_category_order() -> None:
    annotation = SafeSearchAnnotation(adult=L.VERY_LIKELY, racy=L.UNLIKELY, violence=L.LIKELY,
                                      medical=L.POSSIBLE, spoof=L.VERY_LIKELY)
    thresholds = {"violence": L.POSSIBLE, "adult": L.LIKELY, "medical": L.POSSIBLE,
                  "racy": L.LIKELY, "spoof": None}
    assert judge(annotation, thresholds).reasons == (
        "adult=VERY_LIKELY (threshold LIKELY)",
        "violence=LIKELY (threshold POSSIBLE)",
        "medical=POSSIBLE (threshold POSSIBLE)",
    )


def test_an_admin_threshold_applies_to_a_category_that_was_off() -> None:
    thresholds = {**DEFAULT_THRESHOLDS, "medical": L.VERY_LIKELY}
    assert judge(SafeSearchAnnotation(medical=L.LIKELY), thresholds).decision == "approve"
    assert judge(SafeSearchAnnotation(medical=L.VERY_LIKELY), thresholds).reasons == (
        "medical=VERY_LIKELY (threshold VERY_LIKELY)",)


def test_no_thresholds_at_all_approves_anything() -> None:
    worst = SafeSearchAnnotation(*(L.VERY_LIKELY for _ in CATEGORIES))
    assert judge(worst, {}).decision == "approve"
    assert judge(worst, dict.fromkeys(CATEGORIES)).decision == "approve"


def test_verdict_is_immutable() -> None:
    verdict = judge(SafeSearchAnnotation(adult=L.VERY_LIKELY), DEFAULT_THRESHOLDS)
    with pytest.raises(AttributeError):
        verdict.decision = "approve"  # type: ignore[misc]


# --- sniff_image_format ------------------------------------------------------------------

def _encoded(pillow_format: str, mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, (16, 16), "red" if mode == "RGB" else 1).save(buffer, format=pillow_format)
    return buffer.getvalue()


@pytest.mark.parametrize(("pillow_format", "mode", "expected"), [
    ("JPEG", "RGB", "jpeg"),
    ("PNG", "RGB", "png"),
    ("PNG", "P", "png"),
    ("GIF", "P", "gif"),
    ("WEBP", "RGB", "webp"),
    ("BMP", "RGB", "bmp"),
    ("TIFF", "RGB", "tiff"),
    ("ICO", "RGB", "ico"),
])
def test_real_images_are_recognised_from_their_first_bytes(
        pillow_format: str, mode: str, expected: str) -> None:
    head = _encoded(pillow_format, mode)[:SNIFF_BYTES]
    assert sniff_image_format(head) == expected


def test_big_endian_tiff_and_gif87a_are_recognised() -> None:
    assert sniff_image_format(b"MM\x00*\x00\x00\x00\x08") == "tiff"
    assert sniff_image_format(b"GIF87a\x10\x00\x10\x00") == "gif"


@pytest.mark.parametrize("brand", [b"heic", b"heix", b"mif1", b"msf1", b"heif"])
def test_heic_and_heif_photos_are_recognised_for_judging_as_jpeg(brand: bytes) -> None:
    assert sniff_image_format(b"\x00\x00\x00\x18ftyp" + brand + b"\x00" * 12) == "heic"


def test_avif_is_not_heic() -> None:
    assert sniff_image_format(b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00mif1") is None


def _zip_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("a.txt", "hello")
    return buffer.getvalue()


@pytest.mark.parametrize("head", [
    pytest.param(b"", id="empty"),
    pytest.param(b"hello, this is plain text\n", id="text"),
    pytest.param(b"<svg xmlns='http://www.w3.org/2000/svg'/>", id="svg"),
    pytest.param(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", id="pdf"),
    pytest.param(_zip_bytes()[:SNIFF_BYTES], id="zip"),
    pytest.param(b"\x00\x00\x00\x1cftypavif\x00\x00\x00\x00avifmif1", id="avif"),
    pytest.param(b"\xff\xd8", id="truncated-jpeg"),
    pytest.param(b"\x89PNG\r\n", id="truncated-png"),
    pytest.param(b"RIFF\x24\x00\x00\x00WAVEfmt ", id="riff-wave-not-webp"),
    pytest.param(b"BMW owners club newsletter, issue 12", id="text-starting-with-BM"),
    pytest.param(b"\x00\x00\x02\x00\x01\x00\x10\x10", id="cursor-not-icon"),
    pytest.param(b"\x00\x00\x01\x00\x00\x00", id="icon-with-no-images"),
    pytest.param(b"GIF90a", id="unknown-gif-version"),
])
def test_anything_vision_does_not_accept_is_none(head: bytes) -> None:
    assert sniff_image_format(head) is None

