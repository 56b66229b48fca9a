// The `/sessions/<workspace>` socket's events applied to the cached list, as pure functions: no
// React, no DOM, so they are easy to test (shared by the web UI and the phone app).

import type { SessionAgent, SessionEvent, SessionInfo } from './api.gen.ts';
import { closeQuietly } from './socket.ts';

const AGENTS: readonly SessionAgent[] = ['claude-code', 'opencode', 'codex'];

/** One session's identity: ids are unique per tool, so the agent is part of it. */
export function sessionKey(session: Pick<SessionInfo, 'agent' | 'sessionId'>): string {
  return `${session.agent}:${session.sessionId}`;
}

function time(iso: string): number {
  const parsed = Date.parse(iso);
  return Number.isNaN(parsed) ? 0 : parsed;
}

/** Newest first by last activity, then by id (the agent's own order), without touching `sessions`. */
export function sortSessions(sessions: readonly SessionInfo[]): SessionInfo[] {
  return [...sessions].sort((a, b) => time(b.lastActivity) - time(a.lastActivity) || (a.sessionId < b.sessionId ? -1 : a.sessionId > b.sessionId ? 1 : 0));
}

function isSession(value: unknown): value is SessionInfo {
  if (typeof value !== 'object' || value === null) return false;
  const session = value as Record<string, unknown>;
  return (
    typeof session.sessionId === 'string' &&
    typeof session.agent === 'string' &&
    typeof session.title === 'string' &&
    typeof session.messageCount === 'number' &&
    typeof session.lastActivity === 'string'
  );
}

/** Fills the fields an older agent may leave out, so the UI can rely on them. */
function normalize(session: SessionInfo): SessionInfo {
  return { ...session, projectPath: session.projectPath ?? '', resumeCommand: session.resumeCommand ?? '' };
}

/** A text frame of the socket as an event, or null when it is not one we know. */
export function parseSessionEvent(text: string): SessionEvent | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const event = value as Record<string, unknown>;
  switch (event.type) {
    case 'snapshot':
      return Array.isArray(event.sessions) ? { type: 'snapshot', sessions: event.sessions.filter(isSession).map(normalize) } : null;
    case 'added':
    case 'updated':
      return isSession(event.session) ? { type: event.type, session: normalize(event.session) } : null;
    case 'removed':
      return typeof event.sessionId === 'string' && AGENTS.includes(event.agent as SessionAgent)
        ? { type: 'removed', sessionId: event.sessionId, agent: event.agent as SessionAgent }
        : null;
    default:
      return null;
  }
}

/**
 * The list after one event: a snapshot replaces it, added and updated insert or replace the
 * session, removed deletes it; always newest first. `undefined` (nothing cached yet) counts as
 * empty. Returns the same array when nothing changed, so React Query does not re-render.
 */
export function applySessionEvent(sessions: readonly SessionInfo[] | undefined, event: SessionEvent): SessionInfo[] {
  const current = sessions ?? [];
  switch (event.type) {
    case 'snapshot':
      return sortSessions(event.sessions);
    case 'added':
    case 'updated': {
      const key = sessionKey(event.session);
      return sortSessions([...current.filter((session) => sessionKey(session) !== key), event.session]);
    }
    case 'removed': {
      const key = sessionKey(event);
      const next = current.filter((session) => sessionKey(session) !== key);
      return next.length === current.length && sessions ? (sessions as SessionInfo[]) : next;
    }
  }
}

/** Backoff for reconnecting the sessions socket: 1 s, 2 s, 4 s … up to 30 s. */
export function sessionsReconnectDelay(attempt: number): number {
  return Math.min(1000 * 2 ** Math.max(0, attempt), 30_000);
}

export function sessionsSocketUrl(origin: string, workspaceName: string, token: string | null): string {
  const url = new URL(origin);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/sessions/${encodeURIComponent(workspaceName)}`;
  url.search = '';
  url.hash = '';
  if (token) url.searchParams.set('token', token);
  return url.toString();
}

/**
 * How a sessions list stays current: `live` the socket is open and its events arrive,
 * `connecting` it is being opened (again), `polling` it could not be opened, so the caller asks
 * for the list every few seconds meanwhile.
 */
export type SessionsFeed = 'live' | 'connecting' | 'polling';

/** The part of the WebSocket API (browsers, React Native) the sessions feed uses. */
export interface SessionsSocket {
  readonly readyState: number;
  onopen: (() => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  close(code?: number, reason?: string): void;
}

export interface WatchSessionsOptions {
  origin: string;
  workspaceName: string;
  token: string | null;
  onEvent(event: SessionEvent): void;
  onFeed(feed: SessionsFeed): void;
  /** After a drop of an open socket: events may have been missed, so ask for the list again. */
  onGap?(): void;
  createSocket?(url: string): SessionsSocket;
}

/**
 * Follows `/sessions/<workspace>`: a snapshot, then one event per change; reconnects with
 * backoff. Returns the function that stops it.
 */
export function watchSessions(options: WatchSessionsOptions): () => void {
  const createSocket =
    options.createSocket ??
    ((url: string) => new (globalThis as unknown as { WebSocket: new (url: string) => SessionsSocket }).WebSocket(url));
  let socket: SessionsSocket | null = null;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let attempt = 0;
  let stopped = false;
  const connect = () => {
    const current = createSocket(sessionsSocketUrl(options.origin, options.workspaceName, options.token));
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
      const event = parseSessionEvent(message.data);
      if (event) options.onEvent(event);
    };
    current.onclose = () => {
      if (stopped || socket !== current) return;
      socket = null;
      // Never opened (refused: the workspace is stopping, its worker is starting, a proxy drops
      // WebSockets): poll meanwhile. A drop after it was open: reconnect first.
      options.onFeed(opened ? 'connecting' : 'polling');
      if (opened) options.onGap?.();
      timer = setTimeout(connect, sessionsReconnectDelay(attempt));
      attempt += 1;
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
