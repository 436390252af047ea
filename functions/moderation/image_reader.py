"""What Vision and the 'local' model judge of a stored image, for the trigger and the
re-check alike: the object itself (Vision reads it by its gs:// URI), or, when it may hold
frames Vision would not look at (an animation, a multi-page TIFF) or is a format Vision
cannot read (HEIC), the frames that matter on one sheet (moderation/frames.py,
moderation.ports.FrameSampler)."""

from __future__ import annotations

from dataclasses import dataclass

from moderation.fallback import ImageBytes
from moderation.frames import FRAME_SNIFF_BYTES, may_hold_frames
from moderation.ports import FrameSampler, ImageSource, ObjectStore
from moderation.verdict import SNIFF_BYTES, sniff_image_format

VISION_MAX_IMAGE_BYTES = 20 * 1024 * 1024  # Cloud Vision's limit for one image
# The most the 'local' strategy reads into memory to judge (a 512 MB function decodes
# JPEGs at reduced scale, so the encoded size is what matters here).
LOCAL_MAX_IMAGE_BYTES = 32 * 1024 * 1024


@dataclass(frozen=True)
class ToJudge:
    source: ImageSource  # what Vision is sent
    image: ImageBytes    # what the local model reads, if it is asked
    frames: bool = False  # a sheet of frames (or a converted HEIC), not the object


class ImageReader:
    def __init__(self, objects: ObjectStore, frames: FrameSampler) -> None:
        self._objects = objects
        self._frames = frames

    def head(self, bucket: str, name: str) -> bytes:
        """Enough of the object to know its format and whether it may hold frames."""
        return self._objects.head(bucket, name, FRAME_SNIFF_BYTES)

    def to_judge(self, bucket: str, name: str, size: int, head: bytes) -> ToJudge:
        """What to judge of the object (`head`: its first bytes). Raises ImageTooComplex
        when its frames cannot be read within their bounds."""
        image_format = sniff_image_format(head[:SNIFF_BYTES])
        if image_format is not None and may_hold_frames(image_format, head):
            sheet = self._frames.sample(
                self._objects.head(bucket, name, VISION_MAX_IMAGE_BYTES), image_format)
            if sheet is not None:
                return ToJudge(ImageSource(content=sheet), lambda: sheet, frames=True)
        return ToJudge(ImageSource(gcs_uri=f"gs://{bucket}/{name}"),
                       self.object_bytes(bucket, name, size))

    def object_bytes(self, bucket: str, name: str, size: int) -> ImageBytes:
        """The object's bytes for a strategy that reads them (None: too large to read)."""
        def read() -> bytes | None:
            if size > LOCAL_MAX_IMAGE_BYTES:
                return None
            content = self._objects.head(bucket, name, LOCAL_MAX_IMAGE_BYTES + 1)
            return content if 0 < len(content) <= LOCAL_MAX_IMAGE_BYTES else None
        return read
