"""What judging every frame that matters costs per image: the sheet of a 100-frame GIF and
the JPEG of a 12 MP HEIC photo (infra/frame_sampler.py), in time and memory; each is one
Vision unit (one image sent).

    .venv/bin/python bench/frames.py
"""

from __future__ import annotations

import io
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "functions"), str(ROOT)]

from bench.stats import percentile  # noqa: E402


def gif(frames: int, width: int, height: int) -> bytes:
    from PIL import Image, ImageDraw

    images = []
    for i in range(frames):
        image = Image.new("RGB", (width, height), (i * 2 % 256, 80, 160))
        ImageDraw.Draw(image).ellipse((i, i, width // 2 + i, height // 2 + i),
                                      fill=(255, 255 - i % 256, 0))
        images.append(image)
    out = io.BytesIO()
    images[0].save(out, format="GIF", save_all=True, append_images=images[1:], duration=40)
    return out.getvalue()


def heic(width: int, height: int) -> bytes:
    import pillow_heif
    from PIL import Image

    pillow_heif.register_heif_opener()
    image = Image.effect_noise((width, height), 60).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="HEIF", quality=80)
    return out.getvalue()


def measure(path: str, image_format: str, runs: int) -> None:
    """In a process of its own: the peak resident memory the sampling adds (Pillow's
    image memory is not Python's, so tracemalloc would not see it)."""
    from infra.frame_sampler import PillowFrameSampler

    content = Path(path).read_bytes()
    sampler = PillowFrameSampler()
    import PIL.Image  # noqa: F401 (imported before the baseline)
    if image_format == "heic":
        import pillow_heif  # noqa: F401
    before = _status_kb("VmRSS")
    seconds = []
    sheet = b""
    for _ in range(runs):
        started = time.perf_counter()
        sheet = sampler.sample(content, image_format) or b""
        seconds.append(time.perf_counter() - started)
    added = (_status_kb("VmHWM") - before) / 1024
    print(f"{len(content) / 2**20:.1f} MB in, a {len(sheet) / 1024:.0f} KB JPEG out "
          f"(1 Vision unit); p50 {percentile(seconds, 50):.2f} s, max {max(seconds):.2f} s; "
          f"peak memory +{added:.0f} MB", flush=True)


def _status_kb(field: str) -> int:
    """A memory figure of this process from /proc (VmHWM: its peak resident set; unlike
    getrusage's maxrss, it does not carry the parent's peak over an exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def main() -> None:
    if len(sys.argv) == 4 and sys.argv[1] == "--measure":
        measure(sys.argv[2], sys.argv[3], 5)
        return
    print("making the images ...", flush=True)
    work = Path(tempfile.mkdtemp(prefix="frames-"))
    for label, name, image_format, make in (
            ("100-frame GIF, 640x480", "anim.gif", "gif", lambda: gif(100, 640, 480)),
            ("12 MP HEIC photo, 4000x3000", "photo.heic", "heic", lambda: heic(4000, 3000))):
        (work / name).write_bytes(make())
        print(f"{label}: ", end="", flush=True)
        subprocess.run([sys.executable, __file__, "--measure", str(work / name), image_format],
                       check=True)


if __name__ == "__main__":
    main()
