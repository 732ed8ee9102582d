// The service worker: keeps the app's files so that it starts with no network. Files are
// served from the cache and refreshed from the network in the background; the sync API is
// never cached (the app keeps its data in IndexedDB, not here). A new version of this file
// (its VERSION) replaces the cache.

const VERSION = 'sachhon-app-2';
const FILES = [
  './', 'index.html', 'app.css', 'manifest.webmanifest', 'icon.svg',
  'js/app.js', 'js/base45.js', 'js/cbor.js', 'js/doc.js', 'js/hash.js', 'js/i18n.js',
  'js/questionnaire.js', 'js/replica.js', 'js/scanner.js', 'js/store.js', 'js/sync.js',
  'js/tickets.js', 'js/wire.js', 'vendor/jsqr.js',
];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(VERSION).then((cache) => cache.addAll(FILES)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) if (name !== VERSION) await caches.delete(name);
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== 'GET' || url.origin !== location.origin || !url.pathname.startsWith('/app/')) {
    return;
  }
  event.respondWith((async () => {
    const cache = await caches.open(VERSION);
    const cached = await cache.match(event.request, { ignoreSearch: true });
    const fresh = fetch(event.request)
      .then((response) => {
        if (response.ok) cache.put(event.request, response.clone());
        return response;
      })
      .catch(() => null);
    if (cached) {
      event.waitUntil(fresh);
      return cached;
    }
    return (await fresh) ?? new Response('offline', { status: 503 });
  })());
});
