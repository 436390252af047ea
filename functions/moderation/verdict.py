"""The verdict rules: what a SafeSearch annotation means for an upload, and what an
upload really is (by its bytes, not by the content type the client claimed).

Pure functions, no SDK imports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from moderation.safesearch import CATEGORIES, Likelihood, SafeSearchAnnotation

Decision = Literal["approve", "reject"]


@dataclass(frozen=True)
class Verdict:
    decision: Decision
    # One line per category that caused a rejection, e.g. "adult=VERY_LIKELY (threshold LIKELY)";
    # empty when the image is approved.
    reasons: tuple[str, ...] = ()

    @property
    def rejected(self) -> bool:
        return self.decision == "reject"


def judge(annotation: SafeSearchAnnotation,
          thresholds: Mapping[str, Likelihood | None]) -> Verdict:
    """Reject when any category that has a threshold is at or above it.

    A category without a threshold (None or absent) is not judged. UNKNOWN never rejects:
    Vision says UNKNOWN when it could not decide, and the threshold scale starts above it.
    """
    reasons: list[str] = []
    for category in CATEGORIES:
        threshold = thresholds.get(category)
        value = getattr(annotation, category)
        if threshold is None or value == Likelihood.UNKNOWN:
            continue
        if value >= threshold:
            reasons.append(f"{category}={value.name} (threshold {threshold.name})")
    return Verdict("reject", tuple(reasons)) if reasons else Verdict("approve")


# How many leading bytes sniff_image_format needs to recognise every format it knows.
SNIFF_BYTES = 32

# ISO-BMFF major brands of HEIC/HEIF still images and sequences (not AVIF's avif/avis).
_HEIF_BRANDS = frozenset({b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1",
                          b"msf1", b"heif"})
# BMP info-header sizes in the wild (BITMAPCOREHEADER .. BITMAPV5HEADER): checking the size
# keeps a text file that merely starts with "BM" from passing as an image.
_BMP_DIB_HEADER_SIZES = frozenset({12, 16, 40, 52, 56, 64, 108, 124})


def sniff_image_format(head: bytes) -> str | None:
    """The real format of an image from its first bytes (SNIFF_BYTES are enough).

    The formats Cloud Vision accepts for images:annotate: jpeg, png, gif, webp, bmp, tiff,
    ico; and heic (HEIC/HEIF, which phones send): judged as a JPEG made of it. Anything
    else (text, PDF, zip, AVIF, an empty or truncated head) is None, so a spoofed content
    type is caught.
    """
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "tiff"
    if _is_bmp(head):
        return "bmp"
    if _is_ico(head):
        return "ico"
    if len(head) >= 12 and head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS:
        return "heic"
    return None


def _is_bmp(head: bytes) -> bool:
    if len(head) < 18 or head[:2] != b"BM":
        return False
    dib_header_size = int.from_bytes(head[14:18], "little")
    return dib_header_size in _BMP_DIB_HEADER_SIZES


def _is_ico(head: bytes) -> bool:
    # ICONDIR: reserved 0, type 1 (icon; 2 would be a cursor), then at least one image.
    if len(head) < 6 or head[:4] != b"\x00\x00\x01\x00":
        return False
    return int.from_bytes(head[4:6], "little") >= 1
