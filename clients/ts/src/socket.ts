// What the terminal, sessions and events sockets share.

/** The part of the WebSocket API (browsers, React Native) an event feed uses. */
export interface EventSocket {
  readonly readyState: number;
  onopen: (() => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  close(code?: number, reason?: string): void;
}

/**
 * How a feed stands: `live` the socket is open and its events arrive, `connecting` it is being
 * opened (again), `polling` it could not be opened (the caller may poll meanwhile).
 */
export type SocketFeed = 'live' | 'connecting' | 'polling';

/** A text frame as a JSON object, or null when it is not one. */
export function parseFrame(text: string): Record<string, unknown> | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : null;
}

/**
 * The close code the agent sends on every socket opened with a token it no longer accepts
 * (`settings.rotateToken` replaced it). Reconnecting with that token can never work: the client
 * stops and tells the person to sign in again, or reconnects only with a new token.
 */
export const TOKEN_REVOKED_CLOSE_CODE = 4001;

/** Whether a socket's close code says its token was revoked. */
export function isTokenRevoked(code: number): boolean {
  return code === TOKEN_REVOKED_CLOSE_CODE;
}

/** Backoff for reconnecting a socket: 1 s, 2 s, 4 s … up to 30 s. */
export function socketReconnectDelay(attempt: number): number {
  return Math.min(1000 * 2 ** Math.max(0, attempt), 30_000);
}

/** The WebSocket URL of `path` on the agent at `origin` (its base path kept: a peer's relay). */
export function socketUrl(origin: string, path: string, token: string | null): string {
  const url = new URL(origin);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${path}`;
  url.search = '';
  url.hash = '';
  if (token) url.searchParams.set('token', token);
  return url.toString();
}

export interface FollowSocketOptions<E> {
  url: string;
  /** A text frame as an event, or null when it is not one this client knows. */
  parse(text: string): E | null;
  onEvent(event: E): void;
  onFeed(feed: SocketFeed): void;
  /** After a drop of an open socket: events may have been missed. */
  onGap?(): void;
  /**
   * The agent closed the socket with {@link TOKEN_REVOKED_CLOSE_CODE}: its token is dead, so
   * nothing is reconnected; the app signs in again (or follows again with a new token).
   */
  onTokenRevoked?(): void;
  createSocket?(url: string): EventSocket;
  /** Runs `callback` after `ms` (setTimeout unless a test drives the clock); returns its cancel. */
  schedule?(callback: () => void, ms: number): () => void;
}

function scheduleWithTimer(callback: () => void, ms: number): () => void {
  const timer = setTimeout(callback, ms);
  return () => clearTimeout(timer);
}

/**
 * Follows a socket of JSON events (a snapshot first, then changes), reconnecting with backoff,
 * except after a close that says the token was revoked. Returns the function that stops it.
 */
export function followSocket<E>(options: FollowSocketOptions<E>): () => void {
  const createSocket =
    options.createSocket ??
    ((url: string) => new (globalThis as unknown as { WebSocket: new (url: string) => EventSocket }).WebSocket(url));
  const schedule = options.schedule ?? scheduleWithTimer;
  let socket: EventSocket | null = null;
  let cancelTimer: (() => void) | null = null;
  let attempt = 0;
  let stopped = false;
  const retry = (opened: boolean) => {
    // Never opened (refused: the workspace is stopping, its worker is starting, a proxy drops
    // WebSockets): poll meanwhile. A drop after it was open: reconnect first.
    options.onFeed(opened ? 'connecting' : 'polling');
    if (opened) options.onGap?.();
    cancelTimer = schedule(connect, socketReconnectDelay(attempt));
    attempt += 1;
  };
  const connect = () => {
    let current: EventSocket;
    try {
      current = createSocket(options.url);
    } catch {
      // No WebSocket here, or a URL it refuses: the same as a socket that never opened.
      retry(false);
      return;
    }
    socket = current;
    let opened = false;
    current.onopen = () => {
      if (stopped) return;
      opened = true;
      attempt = 0;
      options.onFeed('live');
    };
    current.onmessage = (message) => {
      if (typeof message.data !== 'string') return;
      const event = options.parse(message.data);
      if (event) options.onEvent(event);
    };
    current.onclose = (event) => {
      if (stopped || socket !== current) return;
      socket = null;
      if (isTokenRevoked(event.code)) {
        // The same token would be refused again, for ever: stop, and let the app sign in anew.
        // 'polling': a caller that polls meets the refusal over HTTP too.
        stopped = true;
        options.onFeed('polling');
        options.onTokenRevoked?.();
        return;
      }
      retry(opened);
    };
  };
  options.onFeed('connecting');
  connect();
  return () => {
    stopped = true;
    cancelTimer?.();
    cancelTimer = null;
    const current = socket;
    socket = null;
    if (current) closeQuietly(current);
  };
}

/**
 * Closes `socket` and forgets its handlers. React Native on Android ignores close() on a socket
 * that is still connecting (its native side knows the socket only once it is open), so such a
 * socket is closed as soon as it opens instead of staying attached to a shell for ever.
 */
export function closeQuietly(socket: EventSocket): void {
  socket.onmessage = null;
  socket.onclose = null;
  if (socket.readyState === 0) {
    socket.onopen = () => socket.close(1000, 'client closed');
    socket.close(1000, 'client closed');
  } else {
    socket.onopen = null;
    if (socket.readyState === 1) socket.close(1000, 'client closed');
  }
}
