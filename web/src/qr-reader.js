// The camera's QR reader: the browser's own BarcodeDetector where it says it reads QR codes
// (Chrome on Android and macOS); everywhere else ZXing compiled to WebAssembly, decoding in
// a worker (scan-worker.js) so that the page never stalls. Both read a <video>'s frame and
// answer the texts found.

export async function nativeReader() {
  try {
    if (!("BarcodeDetector" in window)) return null;
    const formats = await window.BarcodeDetector.getSupportedFormats();
    if (!formats.includes("qr_code")) return null;  // Chrome on Windows/Linux: decodes nothing
    const detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    return { kind: "native",
             read: async (video) => (await detector.detect(video)).map((code) => code.rawValue),
             close() {} };
  } catch {
    return null;
  }
}

export function workerReader(url = "scan-worker.js") {
  const worker = new Worker(new URL(url, document.baseURI));
  const waiting = new Map();
  let next = 0;
  worker.onmessage = ({ data }) => {
    const answer = waiting.get(data.id);
    waiting.delete(data.id);
    if (data.error) answer?.reject(new Error(data.error));
    else answer?.resolve(data.values);
  };
  return {
    kind: "wasm",
    async read(video) {
      const frame = await createImageBitmap(video);
      next += 1;
      const id = next;
      return new Promise((resolve, reject) => {
        waiting.set(id, { resolve, reject });
        worker.postMessage({ id, frame }, [frame]);
      });
    },
    close() {
      worker.terminate();
      for (const answer of waiting.values()) answer.resolve([]);
      waiting.clear();
    },
  };
}

export async function qrReader() {
  return (await nativeReader()) ?? workerReader();
}
