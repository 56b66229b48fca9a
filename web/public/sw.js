// Perry's service worker: shows the notifications the page asks for (a coding agent needs you,
// or is done) and the agent's Web Push messages when no Perry tab is open, and opens the session
// when one is clicked, in the Perry tab if there is one.
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

// A Web Push message from the agent (the tab may be closed): what its notification channel of
// kind webpush sends, `{title, body, tag, path}`, decrypted by the browser.
self.addEventListener('push', (event) => {
  let message = {};
  try {
    message = event.data ? event.data.json() : {};
  } catch {
    message = { title: 'Perry', body: event.data ? event.data.text() : '' };
  }
  event.waitUntil(
    self.registration.showNotification(message.title || 'Perry', {
      body: message.body || '',
      tag: message.tag,
      icon: '/favicon.svg',
      data: { url: typeof message.path === 'string' && message.path.startsWith('/') ? message.path : '/' },
    }),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const target = new URL(event.notification.data?.url ?? '/', self.location.origin);
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      const open = windows.find((client) => new URL(client.url).origin === target.origin);
      if (open) {
        await open.focus();
        // The page routes it itself: no reload, its terminals stay attached.
        open.postMessage({ type: 'perry:open', path: target.pathname + target.search });
        return;
      }
      await self.clients.openWindow(target.href);
    })(),
  );
});
