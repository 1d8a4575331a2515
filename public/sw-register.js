// Registers the service worker (public/sw.js). A file rather than an inline
// script so the Content Security Policy needs no exception for it.
if ("serviceWorker" in navigator) {
  window.addEventListener("load", () => {
    navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch((error) => {
      console.warn("service worker registration failed", error);
    });
  });
}
