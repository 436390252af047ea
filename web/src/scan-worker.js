// Reads QR codes off the main thread, for browsers whose own BarcodeDetector cannot (Safari,
// Firefox, Chrome on Windows and Linux): ZXing compiled to WebAssembly (barcode-detector),
// its .wasm file served by the console itself, never from a CDN.
// In: {id, frame: ImageBitmap}; out: {id, values: [text]} or {id, error}.
import { BarcodeDetector, prepareZXingModule } from "barcode-detector/ponyfill";

// Every file the module asks for (its .wasm) from beside this worker: the CDN it names by
// default is never asked (the worker's CSP would refuse it anyway).
prepareZXingModule({
  overrides: { locateFile: (path) => new URL(path, self.location.href).href },
});

const detector = new BarcodeDetector({ formats: ["qr_code"] });

self.onmessage = async ({ data }) => {
  try {
    const found = await detector.detect(data.frame);
    self.postMessage({ id: data.id, values: found.map((code) => code.rawValue) });
  } catch (err) {
    self.postMessage({ id: data.id, error: String(err?.message || err) });
  } finally {
    data.frame.close?.();
  }
};
