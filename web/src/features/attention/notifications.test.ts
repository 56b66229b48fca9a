import type { StatusAlert } from '@perry/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { showAlert } from './notifications';

const alert: StatusAlert = { title: 'Fix the footer needs you', body: 'Claude Code in app: may I?', tag: 'perry:app:1', state: 'needs_input' };

/** What the page's own `new Notification(...)` made. */
const pageNotifications: FakeNotification[] = [];

class FakeNotification {
  static permission: NotificationPermission = 'granted';
  onclick: (() => void) | null = null;
  closed = false;
  constructor(
    readonly title: string,
    readonly options: NotificationOptions,
  ) {
    pageNotifications.push(this);
  }
  close(): void {
    this.closed = true;
  }
}

/** A registration whose `showNotification` records what it showed, or throws `failure`. */
function registration(active: boolean, failure?: Error) {
  const shown: string[] = [];
  return {
    shown,
    active: active ? {} : null,
    showNotification: vi.fn((title: string) => {
      if (failure) return Promise.reject(failure);
      shown.push(title);
      return Promise.resolve();
    }),
  };
}

function serviceWorker(found: unknown, ready: Promise<unknown>) {
  Object.defineProperty(navigator, 'serviceWorker', {
    configurable: true,
    value: { getRegistration: () => Promise.resolve(found), ready },
  });
}

let visibility: DocumentVisibilityState = 'hidden';

beforeEach(() => {
  pageNotifications.length = 0;
  visibility = 'hidden';
  vi.stubGlobal('Notification', FakeNotification);
  vi.spyOn(window, 'focus').mockImplementation(() => undefined);
  Object.defineProperty(window, 'isSecureContext', { configurable: true, value: true });
  Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => visibility });
});

afterEach(() => {
  vi.unstubAllGlobals();
  vi.restoreAllMocks();
  vi.useRealTimers();
  Reflect.deleteProperty(navigator, 'serviceWorker');
  Reflect.deleteProperty(document, 'visibilityState');
});

describe('showAlert', () => {
  it('waits for a service worker still installing, and shows it through the worker', async () => {
    const installing = registration(false);
    const activated = registration(true);
    let activate: (value: unknown) => void = () => undefined;
    serviceWorker(installing, new Promise((resolve) => (activate = resolve)));
    const shown = showAlert(alert, '/workspaces/app/sessions/1', () => undefined);
    await Promise.resolve();
    expect(activated.shown).toEqual([]);
    activate(activated);
    expect(await shown).toBe(true);
    expect(installing.showNotification).not.toHaveBeenCalled();
    expect(activated.shown).toEqual([alert.title]);
    expect(pageNotifications).toEqual([]);
  });

  it('shows it on the page when the worker never becomes active', async () => {
    vi.useFakeTimers();
    serviceWorker(registration(false), new Promise(() => undefined));
    const shown = showAlert(alert, '/somewhere', () => undefined);
    await vi.advanceTimersByTimeAsync(5000);
    expect(await shown).toBe(true);
    expect(pageNotifications.map((n) => n.title)).toEqual([alert.title]);
  });

  it('shows it on the page when the worker refuses, and its click opens the session', async () => {
    const refusing = registration(true, new TypeError('No active registration'));
    serviceWorker(refusing, Promise.resolve(refusing));
    const open = vi.fn();
    expect(await showAlert(alert, '/workspaces/app/sessions/1', open)).toBe(true);
    expect(refusing.showNotification).toHaveBeenCalledOnce();
    const [notification] = pageNotifications;
    expect(notification?.title).toBe(alert.title);
    expect(notification?.options.body).toBe(alert.body);
    notification?.onclick?.();
    expect(open).toHaveBeenCalledWith('/workspaces/app/sessions/1');
    expect(notification?.closed).toBe(true);
  });

  it('shows nothing while the page is in front', async () => {
    visibility = 'visible';
    const active = registration(true);
    serviceWorker(active, Promise.resolve(active));
    expect(await showAlert(alert, '/somewhere', () => undefined)).toBe(false);
    expect(active.showNotification).not.toHaveBeenCalled();
    expect(pageNotifications).toEqual([]);
  });
});
