// Carethread service worker.
//
// Policy: the network is the truth. Pages are always fetched fresh; the
// static shell below is cached, so the app opens offline to a clear offline
// page instead of the browser's error. One exception, for the clinician on
// the road (issue 13): the clinician's own pages (their day and the visits
// they open, which the day page fetches ahead) are kept in a separate cache
// and served when the network is gone. That cache holds only what the
// signed-in clinician was shown, and is emptied when anyone reaches the
// sign-in page (signing out lands there). Bump VERSION when the shell
// changes.
const VERSION = "carethread-shell-v3";
const CLINICIAN = "carethread-clinician";
const SHELL = [
  "/offline.html",
  "/sw-register.js",
  "/visit-offline.js",
  "/signature-pad.js",
  "/pkg/carethread.js",
  "/pkg/carethread.wasm",
  "/pkg/carethread.css",
  "/manifest.webmanifest",
  "/icons/logo.svg",
  "/icons/icon-192.png",
  "/icons/icon-512.png",
];

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches.open(VERSION).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) =>
        Promise.all(keys.filter((k) => k !== VERSION && k !== CLINICIAN).map((k) => caches.delete(k))),
      )
      .then(() => self.clients.claim()),
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;

  const clinicianPage = url.pathname === "/clinician" || url.pathname.startsWith("/clinician/visits/");
  if (url.pathname === "/login") {
    // Signed out (or about to sign in as someone else): forget their pages.
    event.waitUntil(caches.delete(CLINICIAN));
  }
  if (clinicianPage) {
    // The clinician's pages: fresh when online (and kept), kept when not.
    event.respondWith(
      fetch(request)
        .then((response) => {
          // waitUntil: the worker may be stopped once the page has its
          // answer, before the copy is stored, unless told to wait.
          if (response.ok && !response.redirected) {
            const copy = response.clone();
            event.waitUntil(caches.open(CLINICIAN).then((cache) => cache.put(url.pathname, copy)));
          } else if (response.redirected && new URL(response.url).pathname === "/login") {
            event.waitUntil(caches.delete(CLINICIAN));
          }
          return response;
        })
        .catch(async () => (await caches.match(url.pathname, { cacheName: CLINICIAN })) ?? caches.match("/offline.html")),
    );
    return;
  }
  if (request.mode === "navigate") {
    // Other pages: network only; the offline page when the network is gone.
    event.respondWith(fetch(request).catch(() => caches.match("/offline.html")));
    return;
  }
  if (SHELL.includes(url.pathname)) {
    // Shell assets: fresh when online, cached when not.
    event.respondWith(
      fetch(request)
        .then((response) => {
          if (response.ok) {
            const copy = response.clone();
            caches.open(VERSION).then((cache) => cache.put(request, copy));
          }
          return response;
        })
        .catch(() => caches.match(request)),
    );
  }
});
