"""What a moderator sees of a queued image (moderation.ports.ReviewPreviews), on Pillow: a
JPEG of at most 512 px, blurred unless revealed. The first frame of an animation (the
review grid shows a thumbnail; the full sheet of frames is what Vision judged).

Bounded like the frame sampler: the canvas is checked before anything is decoded, and
JPEGs are decoded at a reduced scale (`draft`), so a 50-megapixel photo costs what a small
one does. Anything that cannot be read within bounds (not an image, a bomb, a truncated
file) answers a plain placeholder, never an error.
"""

from __future__ import annotations

import io
from typing import Any

from moderation.verdict import SNIFF_BYTES, sniff_image_format

PREVIEW_SIDE = 512
MAX_CANVAS_PIXELS = 50_000_000
BLUR_RADIUS = 18          # at 512 px: shapes and colours stay, detail does not
QUALITY = 80
_PLACEHOLDER_GREY = (200, 200, 200)


class PillowReviewPreviews:
    def __init__(self, *, side: int = PREVIEW_SIDE,
                 max_canvas_pixels: int = MAX_CANVAS_PIXELS) -> None:
        self._side = side
        self._max_canvas = max_canvas_pixels
        self._placeholder: bytes | None = None

    def preview(self, content: bytes, *, reveal: bool) -> bytes:
        from PIL import Image, ImageFilter

        if not content:
            return self.placeholder()
        _register_heif(content)
        try:
            with Image.open(io.BytesIO(content)) as image:
                width, height = image.size
                if width < 1 or height < 1 or width * height > self._max_canvas:
                    return self.placeholder()
                image.draft("RGB", (self._side, self._side))  # JPEG: decode scaled down
                frame: Any = image.convert("RGB")
                frame.thumbnail((self._side, self._side))
        except (OSError, ValueError, SyntaxError, EOFError, MemoryError,
                Image.DecompressionBombError):
            return self.placeholder()
        if not reveal:
            frame = frame.filter(ImageFilter.GaussianBlur(BLUR_RADIUS))
        return _jpeg(frame)

    def placeholder(self) -> bytes:
        """A grey square: the image could not be shown."""
        if self._placeholder is None:
            from PIL import Image

            self._placeholder = _jpeg(Image.new("RGB", (self._side, self._side),
                                                _PLACEHOLDER_GREY))
        return self._placeholder


def _jpeg(image: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=QUALITY, optimize=True)
    return out.getvalue()


def _register_heif(content: bytes) -> None:
    """HEIC/HEIF photos (iPhones) need pillow-heif's opener, imported only for them."""
    if sniff_image_format(content[:SNIFF_BYTES]) == "heic":
        import pillow_heif

        pillow_heif.register_heif_opener()
