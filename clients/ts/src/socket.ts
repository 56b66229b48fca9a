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
  createSocket?(url: string): EventSocket;
}

/**
 * Follows a socket of JSON events (a snapshot first, then changes), reconnecting with backoff.
 * Returns the function that stops it.
 */
export function followSocket<E>(options: FollowSocketOptions<E>): () => void {
  const createSocket =
    options.createSocket ??
    ((url: string) => new (globalThis as unknown as { WebSocket: new (url: string) => EventSocket }).WebSocket(url));
  let socket: EventSocket | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let attempt = 0;
  let stopped = false;
  const retry = (opened: boolean) => {
    // Never opened (refused: the workspace is stopping, its worker is starting, a proxy drops
    // WebSockets): poll meanwhile. A drop after it was open: reconnect first.
    options.onFeed(opened ? 'connecting' : 'polling');
    if (opened) options.onGap?.();
    timer = setTimeout(connect, socketReconnectDelay(attempt));
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
    current.onclose = () => {
      if (stopped || socket !== current) return;
      socket = null;
      retry(opened);
    };
  };
  options.onFeed('connecting');
  connect();
  return () => {
    stopped = true;
    clearTimeout(timer);
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
