// The `/sessions/<workspace>` socket's events applied to the cached list, as pure functions: no
// React, no DOM, so they are easy to test (shared by the web UI and the phone app).

import type { SessionAgent, SessionEvent, SessionInfo } from './api.gen.ts';
import { followSocket, parseFrame, socketReconnectDelay, socketUrl, type EventSocket, type SocketFeed } from './socket.ts';

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
  const event = parseFrame(text);
  switch (event?.type) {
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
export const sessionsReconnectDelay = socketReconnectDelay;

export function sessionsSocketUrl(origin: string, workspaceName: string, token: string | null): string {
  return socketUrl(origin, `/sessions/${encodeURIComponent(workspaceName)}`, token);
}

/**
 * How a sessions list stays current: `live` the socket is open and its events arrive,
 * `connecting` it is being opened (again), `polling` it could not be opened, so the caller asks
 * for the list every few seconds meanwhile.
 */
export type SessionsFeed = SocketFeed;

/** The part of the WebSocket API (browsers, React Native) the sessions feed uses. */
export type SessionsSocket = EventSocket;

export interface WatchSessionsOptions {
  origin: string;
  workspaceName: string;
  token: string | null;
  onEvent(event: SessionEvent): void;
  onFeed(feed: SessionsFeed): void;
  /** After a drop of an open socket: events may have been missed, so ask for the list again. */
  onGap?(): void;
  /** The agent closed the socket because its token was revoked (4001): nothing is reconnected. */
  onTokenRevoked?: (() => void) | undefined;
  createSocket?(url: string): SessionsSocket;
}

/**
 * Follows `/sessions/<workspace>`: a snapshot, then one event per change; reconnects with
 * backoff. Returns the function that stops it.
 */
export function watchSessions(options: WatchSessionsOptions): () => void {
  return followSocket({
    url: sessionsSocketUrl(options.origin, options.workspaceName, options.token),
    parse: parseSessionEvent,
    onEvent: options.onEvent,
    onFeed: options.onFeed,
    ...(options.onGap ? { onGap: options.onGap } : {}),
    ...(options.onTokenRevoked ? { onTokenRevoked: options.onTokenRevoked } : {}),
    ...(options.createSocket ? { createSocket: options.createSocket } : {}),
  });
}
