"""Images with several frames, made with Pillow for the tests: animations whose first
frame is innocent and a later one is not (red stands for "adult" to the tests' Vision
stand-in), multi-page TIFFs and HEIC photos."""

from __future__ import annotations

import io

from PIL import Image

BLUE = (20, 40, 220)
RED = (230, 20, 20)


def frames(colours: list[tuple[int, int, int]], size: int = 64) -> list[Image.Image]:
    """One frame per colour, each a shade apart from the one before (encoders merge
    identical frames)."""
    return [Image.new("RGB", (size, size), (r, g, (b + i) % 256))
            for i, (r, g, b) in enumerate(colours)]


def animation(image_format: str, colours: list[tuple[int, int, int]], size: int = 64
              ) -> bytes:
    """An animated GIF, WebP or PNG (APNG), or a multi-page TIFF, of these frames."""
    first, *rest = frames(colours, size)
    out = io.BytesIO()
    options: dict = {"save_all": True, "append_images": rest}
    if image_format in ("GIF", "PNG", "WEBP"):
        options |= {"duration": 100, "loop": 0}
    if image_format == "WEBP":
        options["lossless"] = True
    first.save(out, format=image_format, **options)
    return out.getvalue()


def innocent_first(image_format: str, count: int = 6) -> bytes:
    """Blue frames, the last but one red: judged on its first frame alone, it passes."""
    colours = [BLUE] * count
    colours[-2] = RED
    return animation(image_format, colours)


def heic(colour: tuple[int, int, int] = BLUE, size: int = 64) -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    out = io.BytesIO()
    Image.new("RGB", (size, size), colour).save(out, format="HEIF")
    return out.getvalue()


def red_share(content: bytes) -> float:
    """How much of the image's first frame (all Vision looks at) is red."""
    with Image.open(io.BytesIO(content)) as image:
        rgb = image.convert("RGB").resize((32, 32))
    pixels = list(rgb.getdata())
    red = sum(1 for r, g, b in pixels if r > 150 and g < 90 and b < 90)
    return red / len(pixels)
