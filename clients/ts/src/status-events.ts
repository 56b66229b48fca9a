// The `/events` socket: every session's status across an agent's workspaces, as pure functions
// (no React, no DOM), shared by the web UI and the phone app: what the list is after an event,
// what needs the person, and what to tell them when a status changes.

import type { SessionInfo, SessionState, StatusEvent, WorkspaceSession } from './api.gen.ts';
import { followSocket, parseFrame, socketUrl, type EventSocket, type SocketFeed } from './socket.ts';

const STATES: readonly SessionState[] = ['working', 'needs_input', 'idle', 'error', 'ended'];

/** A question asked (a permission, a choice) or a turn that failed: the person is waited for. */
export function needsThePerson(state: SessionState | undefined): boolean {
  return state === 'needs_input' || state === 'error';
}

function isSession(value: unknown): value is SessionInfo {
  if (typeof value !== 'object' || value === null) return false;
  const session = value as Record<string, unknown>;
  const status = session.status as Record<string, unknown> | undefined;
  return (
    typeof session.sessionId === 'string' &&
    typeof session.agent === 'string' &&
    typeof session.title === 'string' &&
    (status === undefined || (typeof status === 'object' && status !== null && STATES.includes(status.state as SessionState)))
  );
}

function isEntry(value: unknown): value is WorkspaceSession {
  if (typeof value !== 'object' || value === null) return false;
  const entry = value as Record<string, unknown>;
  return typeof entry.workspace === 'string' && isSession(entry.session);
}

/** A text frame of `/events` as an event, or null when it is not one this client knows. */
export function parseStatusEvent(text: string): StatusEvent | null {
  const event = parseFrame(text);
  switch (event?.type) {
    case 'snapshot':
      return Array.isArray(event.sessions) ? { type: 'snapshot', sessions: event.sessions.filter(isEntry) } : null;
    case 'changed':
      if (typeof event.workspace !== 'string' || !isSession(event.session)) return null;
      return {
        type: 'changed',
        workspace: event.workspace,
        session: event.session,
        ...(STATES.includes(event.previous as SessionState) ? { previous: event.previous as SessionState } : {}),
      };
    case 'gone':
      if (typeof event.workspace !== 'string') return null;
      return { type: 'gone', workspace: event.workspace, ...(typeof event.sessionId === 'string' ? { sessionId: event.sessionId } : {}) };
    default:
      return null;
  }
}

function sameSession(a: WorkspaceSession, workspace: string, sessionId: string): boolean {
  return a.workspace === workspace && a.session.sessionId === sessionId;
}

/**
 * The sessions with a status after one event, newest change first: a snapshot replaces them, a
 * change replaces the session's entry, gone removes a session or a whole workspace's.
 */
export function applyStatusEvent(current: readonly WorkspaceSession[], event: StatusEvent): WorkspaceSession[] {
  switch (event.type) {
    case 'snapshot':
      return sortByChange(event.sessions);
    case 'changed':
      return sortByChange([
        ...current.filter((entry) => !sameSession(entry, event.workspace, event.session.sessionId)),
        { workspace: event.workspace, session: event.session },
      ]);
    case 'gone':
      return current.filter(
        (entry) => entry.workspace !== event.workspace || (event.sessionId !== undefined && entry.session.sessionId !== event.sessionId),
      );
  }
}

function sortByChange(sessions: readonly WorkspaceSession[]): WorkspaceSession[] {
  const since = (entry: WorkspaceSession) => entry.session.status?.since ?? '';
  return [...sessions].sort((a, b) => (since(a) < since(b) ? 1 : since(a) > since(b) ? -1 : 0));
}

/** `sessions` with those that need the person first (each group keeps its order). */
export function attentionFirst<T extends Pick<SessionInfo, 'status'>>(sessions: readonly T[]): T[] {
  const waiting = sessions.filter((session) => needsThePerson(session.status?.state));
  return waiting.length === 0 ? [...sessions] : [...waiting, ...sessions.filter((session) => !needsThePerson(session.status?.state))];
}

/** What to tell the person about a change, or null when it is nothing they wait for. */
export interface StatusAlert {
  title: string;
  body: string;
  /** One notification per session: a newer one replaces it. */
  tag: string;
  state: SessionState;
}

const AGENT_NAMES: Record<string, string> = { 'claude-code': 'Claude Code', opencode: 'OpenCode', codex: 'Codex' };

/**
 * The alert for a change: a question asked, a failed turn, or a turn that ended (the agent is
 * done and waits for the next prompt). Working again, ending, or the same state is no alert.
 */
export function statusAlert(event: Extract<StatusEvent, { type: 'changed' }>): StatusAlert | null {
  const status = event.session.status;
  if (!status || status.state === event.previous) return null;
  const agent = AGENT_NAMES[event.session.agent] ?? event.session.agent;
  const title = event.session.name?.trim() || event.session.title.trim() || agent;
  const where = `${agent} in ${event.workspace}`;
  const tag = `${event.workspace}:${event.session.sessionId}`;
  switch (status.state) {
    case 'needs_input':
      return { title: `${title} needs you`, body: status.detail ? `${where}: ${status.detail}` : `${where} is waiting for your input`, tag, state: status.state };
    case 'error':
      return { title: `${title} stopped on an error`, body: status.detail ? `${where}: ${status.detail}` : where, tag, state: status.state };
    case 'idle':
      return { title: `${title} is done`, body: `${where} finished its turn`, tag, state: status.state };
    default:
      return null;
  }
}

/**
 * The changes a snapshot holds against the sessions known before it: after a reconnect, what
 * changed while the socket was down (a question asked meanwhile) is told as a change, so it is
 * notified like one that came live. A session whose status has not moved is not a change.
 */
export function changesSince(before: readonly WorkspaceSession[], snapshot: readonly WorkspaceSession[]): Extract<StatusEvent, { type: 'changed' }>[] {
  return snapshot.flatMap((entry) => {
    const known = before.find((old) => sameSession(old, entry.workspace, entry.session.sessionId));
    const status = entry.session.status;
    if (!status || (known?.session.status?.since === status.since && known.session.status.state === status.state)) return [];
    const previous = known?.session.status?.state;
    return [{ type: 'changed' as const, workspace: entry.workspace, session: entry.session, ...(previous ? { previous } : {}) }];
  });
}

export function eventsSocketUrl(origin: string, token: string | null): string {
  return socketUrl(origin, '/events', token);
}

export interface WatchStatusOptions {
  /** The agent's base URL. */
  origin: string;
  token: string | null;
  onEvent(event: StatusEvent): void;
  onFeed?(feed: SocketFeed): void;
  /** The agent closed the socket because its token was revoked (4001): nothing is reconnected. */
  onTokenRevoked?: (() => void) | undefined;
  createSocket?(url: string): EventSocket;
}

/** Follows `/events`: a snapshot, then each change; reconnects with backoff (the new snapshot catches up). */
export function watchStatus(options: WatchStatusOptions): () => void {
  return followSocket({
    url: eventsSocketUrl(options.origin, options.token),
    parse: parseStatusEvent,
    onEvent: options.onEvent,
    onFeed: options.onFeed ?? (() => undefined),
    ...(options.onTokenRevoked ? { onTokenRevoked: options.onTokenRevoked } : {}),
    ...(options.createSocket ? { createSocket: options.createSocket } : {}),
  });
}
