// npm run build: web/src -> web/dist (app.js, app.css, index.html, console-config.json).
// Deterministic: the same sources give the same bytes; nothing is fetched at run time.
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync }
  from "node:fs";

const dist = new URL("./dist/", import.meta.url).pathname;
rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

await build({
  entryPoints: { app: "src/main.js" },
  bundle: true,
  format: "esm",
  target: ["es2022", "chrome100", "firefox100", "safari15"],
  minify: true,
  sourcemap: false,
  legalComments: "eof",
  outdir: dist,
  logLevel: "warning",
});
// The camera's QR reader for browsers without their own: a worker (a classic one, for
// every browser) and ZXing's .wasm, both served from here (never a CDN).
await build({
  entryPoints: { "scan-worker": "src/scan-worker.js" },
  bundle: true,
  format: "iife",
  target: ["es2022", "chrome100", "firefox100", "safari15"],
  minify: true,
  legalComments: "eof",
  outdir: dist,
  logLevel: "error",
});
cpSync("node_modules/zxing-wasm/dist/reader/zxing_reader.wasm", dist + "zxing_reader.wasm");
await build({
  entryPoints: { app: "src/app.css" },
  bundle: true,
  minify: true,
  outdir: dist,
  logLevel: "warning",
});
cpSync("public", dist, { recursive: true });

// The service worker: the files it keeps, and a version that is their digest (a build that
// changes nothing keeps the same worker byte for byte, so browsers fetch nothing anew).
const kept = readdirSync(dist).filter((name) => name !== "console-config.json").sort();
const digest = createHash("sha256");
for (const name of kept) digest.update(name).update(readFileSync(dist + name));
const files = ["/", ...kept.map((name) => `/${name}`), "/console-config.json",
               "/__/firebase/init.json"];
writeFileSync(dist + "sw.js", readFileSync("src/sw.js", "utf8")
  .replace("__VERSION__", digest.digest("hex").slice(0, 16))
  .replace("__FILES__", JSON.stringify(files)));

for (const name of ["index.html", "app.js", "app.css", "console-config.json", "scan-worker.js",
                    "zxing_reader.wasm", "sw.js"]) {
  console.log(`dist/${name}  ${(statSync(dist + name).size / 1024).toFixed(1)} KB`);
}
