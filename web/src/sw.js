// The console's service worker: it keeps the console's own files, so that the console
// opens with no network (a warehouse's weakest signal), shows the open count and queues
// scans (scans.js sends them once the network is back). The cache is named after the
// build (its files' digest, written in by build.mjs), so a new build is fetched whole on
// its first load and used from the next load on; older caches are deleted then.
// Function calls and Firebase Auth always go to the network.

const VERSION = "__VERSION__";
const FILES = __FILES__;
const CACHE = `console-${VERSION}`;
const KEPT = new Set(FILES.map((path) => new URL(path, self.location.origin).href));

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    await cache.addAll(FILES.map((path) => new Request(path, { cache: "reload" })));
    await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith("console-") && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  // The page: the network first (a new build shows at once when online), else the kept one.
  if (request.mode === "navigate") {
    event.respondWith((async () => {
      try {
        return await fetch(request);
      } catch {
        return (await caches.match("/index.html", { cacheName: CACHE }))
          ?? Response.error();
      }
    })());
    return;
  }
  // The console's own files (and its configuration): kept by this build, else the network.
  if (KEPT.has(url.origin + url.pathname)) {
    event.respondWith((async () => (await caches.match(url.pathname, { cacheName: CACHE }))
      ?? fetch(request))());
  }
});
