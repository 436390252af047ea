"""What Vision judges of an image with several frames, or of one it cannot read (HEIC):
moderation.ports.FrameSampler on Pillow (and pillow-heif for HEIC/HEIF, imported only
for those).

Vision's SafeSearch looks at the first frame of an animation, so an innocent first frame
would carry the rest through. Here the frames that matter (the first, the last and evenly
spaced ones in between, `max_frames` in all) are laid out on one contact sheet, a JPEG that
Vision judges as one image: one unit, and the verdict is the worst of the frames, since a
bad frame anywhere on the sheet is seen. A still image of a format Vision reads needs no
sheet (None: Vision reads the object itself); a HEIC/HEIF photo becomes a JPEG of its first
image, for judging only (the object stays as uploaded).

Bounded: the frame count, the canvas and the pixels decoded in all are checked before any
frame is decoded, and the work stops past `time_budget_s`; a bomb (100,000 frames, a huge
canvas) raises ImageTooComplex, and the image goes to a person (needs_review).
"""

from __future__ import annotations

import io
import math
import time
from typing import Any

from moderation.frames import DEFAULT_MAX_FRAMES, pick_frames
from moderation.ports import ImageTooComplex

TILE = 384            # each frame on a sheet of several fits in TILE x TILE
SINGLE = 1600         # a single image (a converted HEIC photo) keeps this much detail
SHEET_QUALITY = 85


class PillowFrameSampler:
    def __init__(self, *, max_frames: int = DEFAULT_MAX_FRAMES, max_canvas_pixels: int = 50_000_000,
                 max_total_frames: int = 5_000, max_decoded_pixels: int = 250_000_000,
                 time_budget_s: float = 10.0) -> None:
        if max_frames < 1:
            raise ValueError("max_frames must be at least 1")
        self.max_frames = max_frames
        self._max_canvas = max_canvas_pixels
        self._max_total_frames = max_total_frames
        self._max_decoded = max_decoded_pixels
        self._budget_s = time_budget_s

    def sample(self, content: bytes, image_format: str) -> bytes | None:
        from PIL import Image

        if image_format == "heic":
            import pillow_heif

            pillow_heif.register_heif_opener()
        started = time.monotonic()
        try:
            with Image.open(io.BytesIO(content)) as image:
                return self._sample(image, image_format, started)
        except ImageTooComplex:
            raise
        except Image.DecompressionBombError as err:
            raise ImageTooComplex("the canvas is too large to judge") from err
        except (OSError, ValueError, SyntaxError, EOFError, MemoryError) as err:
            raise ImageTooComplex(f"the frames could not be read ({type(err).__name__})") \
                from err

    def _sample(self, image: Any, image_format: str, started: float) -> bytes | None:
        width, height = image.size
        if width * height > self._max_canvas:
            raise ImageTooComplex(f"a {width}x{height} canvas is too large to judge")
        frames = int(getattr(image, "n_frames", 1) or 1)
        if frames > self._max_total_frames:
            raise ImageTooComplex(f"{frames} frames are too many to judge")
        picked = pick_frames(frames, self.max_frames)
        # Reaching the last picked frame decodes every frame before it (an animation's
        # frames build on each other): that many pixels at most.
        if (picked[-1] + 1) * width * height > self._max_decoded:
            raise ImageTooComplex(f"{frames} frames of {width}x{height} are too much to "
                                  "decode")
        if frames == 1 and image_format != "heic":
            return None  # a still image: Vision reads the object itself
        tiles = []
        side = SINGLE if len(picked) == 1 else TILE
        for index in picked:
            image.seek(index)
            tile = image.convert("RGB")
            tile.thumbnail((side, side))
            tiles.append(tile)
            if time.monotonic() - started > self._budget_s:
                raise ImageTooComplex("the frames took too long to read")
        return _jpeg(_sheet(tiles))


def _sheet(tiles: list[Any]) -> Any:
    from PIL import Image

    if len(tiles) == 1:
        return tiles[0]
    columns = math.ceil(math.sqrt(len(tiles)))
    rows = math.ceil(len(tiles) / columns)
    cell_w = max(t.width for t in tiles)
    cell_h = max(t.height for t in tiles)
    sheet = Image.new("RGB", (columns * cell_w, rows * cell_h), (255, 255, 255))
    for i, tile in enumerate(tiles):
        sheet.paste(tile, ((i % columns) * cell_w, (i // columns) * cell_h))
    return sheet


def _jpeg(image: Any) -> bytes:
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=SHEET_QUALITY)
    return out.getvalue()
