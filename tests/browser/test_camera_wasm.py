"""The camera in a browser without a QR-reading BarcodeDetector (Chromium on Linux, like
Safari, Firefox and Chrome on Windows): the console's own ZXing WebAssembly reader, in a
worker, reads a real label. Chromium's fake camera plays a video made from one of our own
label sheets (the PDF download_label_sheet makes, rendered), so nothing stands in for the
decoder. Prints the time from the camera's first frame to the accepted scan."""

from __future__ import annotations

import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import pypdfium2 as pdfium
import pytest
import zxingcpp
from PIL import Image

from tests.browser.harness import LocalRun, chromium_launch_options

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture fails first, saying to run scripts/setup
    expect = None  # type: ignore[assignment]

pytestmark = pytest.mark.usefixtures("console_built", "fresh_firestore")
LANGUAGES = [("tr-TR", "tr"), ("en-US", "en")]


def label_sheet(run: LocalRun, token: str, part_code: str) -> bytes:
    query = urllib.parse.urlencode({"part_code": part_code, "layout": "avery-l7160"})
    request = urllib.request.Request(f"{run.functions_base}/download_label_sheet?{query}",
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=60) as reply:
        return bytes(reply.read())


def label_video(pdf: bytes, qr_id: str, path: Path, frames: int = 20) -> Path:
    """A Y4M video (Chromium's fake camera plays it in a loop) of the label of `qr_id` on
    the sheet's first page, held in front of the camera: 640×480, the label filling the
    middle of the frame."""
    page = pdfium.PdfDocument(pdf)[0].render(scale=4).to_pil().convert("RGB")
    (found,) = [b for b in zxingcpp.read_barcodes(page) if b.text == qr_id]
    corners = (found.position.top_left, found.position.top_right,
               found.position.bottom_right, found.position.bottom_left)
    xs, ys = [c.x for c in corners], [c.y for c in corners]
    margin = 0.5 * max(max(xs) - min(xs), max(ys) - min(ys))
    label = page.crop((int(min(xs) - margin), int(min(ys) - margin),
                       int(max(xs) + margin), int(max(ys) + margin))).resize((420, 420))
    frame = Image.new("RGB", (640, 480), "white")
    frame.paste(label, (110, 30))
    y, cb, cr = frame.convert("YCbCr").split()
    planes = y.tobytes() + cb.resize((320, 240)).tobytes() + cr.resize((320, 240)).tobytes()
    with path.open("wb") as out:
        out.write(b"YUV4MPEG2 W640 H480 F10:1 Ip A1:1 C420jpeg\n")
        for _ in range(frames):
            out.write(b"FRAME\n" + planes)
    return path


@pytest.fixture
def camera_browser(browser: Any, tmp_path: Path, local_run: LocalRun, id_token: Any
                   ) -> Any:
    """A Chromium of its own whose fake camera shows the first label of part KAM-2."""
    token = id_token("alice")
    local_run.upload_parts(token, [{"part_code": "KAM-2", "part_name": "Kamera", "quantity": 2}])
    status, reply = local_run.call("list_parts", {"limit": 100}, token)
    assert status == 200, reply
    qr_id = next(p["first_qr_id"] for p in reply["result"]["parts"] if p["part_code"] == "KAM-2")
    video = label_video(label_sheet(local_run, token, "KAM-2"), qr_id, tmp_path / "label.y4m")
    options = chromium_launch_options()
    assert options is not None
    instance = browser.browser_type.launch(
        headless=True, executable_path=options["executable_path"],
        args=[*options["args"], "--use-fake-ui-for-media-stream",
              "--use-fake-device-for-media-stream",
              f"--use-file-for-fake-video-capture={video}"])
    try:
        yield instance, qr_id
    finally:
        instance.close()


@pytest.mark.parametrize(("locale", "language"), LANGUAGES)
def test_the_webassembly_reader_reads_a_real_label_from_the_camera(
        camera_browser: Any, local_run: LocalRun, sign_in: Any, catalogs: Any, locale: str,
        language: str) -> None:
    instance, qr_id = camera_browser
    say = catalogs[language]
    context = instance.new_context(locale=locale, base_url=local_run.base,
                                   permissions=["camera"])
    context.set_default_timeout(30_000)
    page = context.new_page()
    violations: list[str] = []
    page.on("console", lambda m: violations.append(m.text)
            if "Content Security Policy" in m.text else None)
    wasm_requests: list[str] = []
    page.on("request", lambda r: wasm_requests.append(r.url) if ".wasm" in r.url else None)
    try:
        sign_in(page, "alice")
        page.get_by_test_id("nav-counting").click()
        page.get_by_test_id("session-name").fill("Kamera")
        page.get_by_test_id("session-start").click()
        assert not page.evaluate("'BarcodeDetector' in window")  # the WebAssembly path
        camera = page.get_by_test_id("scan-camera")
        expect(camera).to_have_text(say["camera.start"])
        camera.click()
        page.wait_for_function("() => { const v = document.querySelector('video');"
                               " return v && v.currentTime > 0; }")
        first_frame = time.perf_counter()
        expect(page.get_by_test_id("count-found")).to_have_text("1", timeout=30_000)
        took = time.perf_counter() - first_frame
        last = page.get_by_test_id("scan-results").locator("li").first
        expect(last).to_contain_text(say["scan.accepted"])
        expect(last).to_contain_text(qr_id)  # the label in the video, read by ZXing
        print(f"\n{language}: first camera frame to the accepted scan: {took:.2f} s")
        # Held in view: still one scan.
        page.wait_for_timeout(1500)
        expect(page.get_by_test_id("scan-results").locator("li")).to_have_count(1)
        assert wasm_requests and all(u.startswith(local_run.base) for u in wasm_requests)
        assert violations == []
        camera.click()
        expect(page.locator("video")).to_be_hidden()
    finally:
        context.close()
