"""Which images hold more than Vision would look at, and which of their frames to judge:
pure rules. The frames themselves are read behind moderation.ports.FrameSampler
(infra/frame_sampler.py)."""

from __future__ import annotations

# Enough of an image's start to see an animation's marker (PNG's acTL comes before the
# first IDAT; WebP's VP8X flags come first).
FRAME_SNIFF_BYTES = 4096
DEFAULT_MAX_FRAMES = 9
_WEBP_ANIMATION_FLAG = 0x02


def may_hold_frames(image_format: str, head: bytes) -> bool:
    """Whether an image of this format, starting with `head`, may hold frames Vision would
    not look at (or be one Vision cannot read: HEIC), so that its frames must be read.
    False only where the start proves a single still frame."""
    if image_format in ("gif", "tiff", "heic"):
        return True  # the frame count is only known further in
    if image_format == "png":
        actl, idat = head.find(b"acTL"), head.find(b"IDAT")
        if actl >= 0 and (idat < 0 or actl < idat):
            return True
        # Neither seen in a full head: a long header, so look at the whole image. (A head
        # shorter than asked for is the whole file.)
        return idat < 0 and len(head) >= FRAME_SNIFF_BYTES
    if image_format == "webp":
        if head[12:16] != b"VP8X" or len(head) < 21:
            return False  # simple (lossy or lossless) WebP: one frame
        return bool(head[20] & _WEBP_ANIMATION_FLAG)
    return False


def pick_frames(frames: int, wanted: int) -> list[int]:
    """The first, the last and evenly spaced frames in between, `wanted` at most."""
    if frames <= 1 or wanted <= 1:
        return [0]
    count = min(frames, wanted)
    return sorted({round(i * (frames - 1) / (count - 1)) for i in range(count)})
