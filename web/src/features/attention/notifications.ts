import type { StatusAlert } from '@perry/client';

/** Where the service worker lives (web/public/sw.js, served at the root so it covers every page). */
const WORKER_URL = '/sw.js';

export type NotificationSupport = 'granted' | 'denied' | 'default' | 'insecure' | 'unsupported';

/**
 * Whether this page can show notifications, and what the person said. Browsers allow them on
 * HTTPS and localhost only: an agent reached over plain HTTP on a network gets `insecure`.
 */
export function notificationSupport(): NotificationSupport {
  if (typeof window === 'undefined') return 'unsupported';
  if (!window.isSecureContext) return 'insecure';
  if (!('Notification' in window)) return 'unsupported';
  return Notification.permission;
}

/** Registers the service worker that shows notifications and opens their session; null where there is none. */
export async function registerServiceWorker(): Promise<ServiceWorkerRegistration | null> {
  if (!('serviceWorker' in navigator) || !window.isSecureContext) return null;
  try {
    return await navigator.serviceWorker.register(WORKER_URL, { scope: '/' });
  } catch {
    return null;
  }
}

/** Asks the person, once, whether Perry may notify them. */
export async function requestPermission(): Promise<NotificationSupport> {
  if (notificationSupport() !== 'default') return notificationSupport();
  await Notification.requestPermission();
  await registerServiceWorker();
  return notificationSupport();
}

/** How long an alert waits for a service worker that is still installing (just after the page loaded). */
const ACTIVATION_WAIT_MS = 5000;

/**
 * The service worker's registration once its worker is active: `showNotification` throws on one
 * that is still installing, which is how an alert right after the page loaded was lost. Null
 * without a worker, or when it does not become active in time.
 */
async function activeRegistration(): Promise<ServiceWorkerRegistration | null> {
  if (!('serviceWorker' in navigator)) return null;
  const registration = await navigator.serviceWorker.getRegistration('/');
  if (!registration) return null;
  if (registration.active) return registration;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), ACTIVATION_WAIT_MS)));
  try {
    return await Promise.race([navigator.serviceWorker.ready, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Shows `alert` when the page is not in front (in front, the badges and the title say it), so
 * the person hears of it in another tab or app. Through the service worker, whose click opens
 * `path`; without one (or when it cannot), a page notification that does the same.
 */
export async function showAlert(alert: StatusAlert, path: string, open: (path: string) => void): Promise<boolean> {
  if (document.visibilityState === 'visible' || notificationSupport() !== 'granted') return false;
  const options: NotificationOptions = { body: alert.body, tag: alert.tag, data: { url: path }, icon: '/favicon.svg' };
  const registration = await activeRegistration();
  if (registration) {
    try {
      await registration.showNotification(alert.title, options);
      return true;
    } catch {
      // The worker went away in between: the page shows it instead.
    }
  }
  const notification = new Notification(alert.title, options);
  notification.onclick = () => {
    window.focus();
    open(path);
    notification.close();
  };
  return true;
}

/** Calls `open` with the path of each notification the person clicks (the service worker posts it). */
export function onNotificationClick(open: (path: string) => void): () => void {
  if (!('serviceWorker' in navigator)) return () => undefined;
  const listener = (event: MessageEvent) => {
    const data = event.data as { type?: unknown; path?: unknown } | null;
    if (data?.type === 'perry:open' && typeof data.path === 'string' && data.path.startsWith('/')) open(data.path);
  };
  navigator.serviceWorker.addEventListener('message', listener);
  return () => navigator.serviceWorker.removeEventListener('message', listener);
}

/** A base64url string as the bytes `pushManager.subscribe` takes for its server key. */
function base64UrlBytes(text: string): Uint8Array<ArrayBuffer> {
  const base64 = text.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(binary, (character) => character.charCodeAt(0));
}

/** This browser's Web Push subscription: where its push service takes messages, and its keys. */
export interface BrowserSubscription {
  endpoint: string;
  keys: { p256dh: string; auth: string };
}

/**
 * Subscribes this browser to Web Push with the agent's VAPID key (`publicKey`), after asking
 * for the permission. Throws with a message a person understands when it cannot.
 */
export async function subscribeToPush(publicKey: string): Promise<BrowserSubscription> {
  const support = notificationSupport();
  if (support === 'insecure') throw new Error('Web Push needs HTTPS (or localhost): serve the agent with a certificate first.');
  if (support === 'unsupported' || !('PushManager' in window)) throw new Error('This browser has no Web Push.');
  if ((await requestPermission()) !== 'granted') throw new Error('Notifications are blocked for this site in the browser’s settings.');
  const registration = (await registerServiceWorker()) ?? (await navigator.serviceWorker.ready);
  let subscription: PushSubscription;
  try {
    subscription = await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: base64UrlBytes(publicKey) });
  } catch (error) {
    throw new Error(`The browser’s push service did not take the subscription: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
  }
  const json = subscription.toJSON();
  if (!json.endpoint || !json.keys?.p256dh || !json.keys.auth) throw new Error('The browser gave a subscription without keys.');
  return { endpoint: json.endpoint, keys: { p256dh: json.keys.p256dh, auth: json.keys.auth } };
}
