// The phone's camera reading QR codes, for every page that scans: a frame every 250 ms
// through qr-reader.js (the browser's own reader where it reads QR codes, ZXing in
// WebAssembly everywhere else) until stopped. `onValues` gets the trimmed texts of a frame
// that had any.

import { qrReader } from "./qr-reader.js";

export async function startCamera(video, onValues) {
  const stream = await navigator.mediaDevices.getUserMedia(
    { video: { facingMode: "environment" }, audio: false });
  const camera = { timer: null, reader: null, stopped: false };
  function stop() {
    if (camera.stopped) return;
    camera.stopped = true;
    clearTimeout(camera.timer);
    camera.reader?.close();
    stream.getTracks().forEach((track) => track.stop());
    video.srcObject = null;
    video.hidden = true;
  }
  try {
    camera.reader = await qrReader();
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
  } catch (err) {
    stop();
    throw err;
  }
  const tick = async () => {
    if (camera.stopped) return;
    try {
      const values = (await camera.reader.read(video)).map((text) => text?.trim())
        .filter(Boolean);
      if (values.length && !camera.stopped) onValues(values);
    } catch { /* a frame that could not be read */ }
    if (!camera.stopped) camera.timer = setTimeout(tick, 250);
  };
  tick();
  return { stop };
}
