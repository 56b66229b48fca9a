import { useEffect, useRef, useState } from 'react';

import type { StatusEvent, WorkspaceSession } from '../api.gen.ts';
import type { SocketFeed } from '../socket.ts';
import { applyStatusEvent, changesSince, watchStatus } from '../status-events.ts';
import type { AgentConnection } from './agent-connection.ts';

export type StatusChange = Extract<StatusEvent, { type: 'changed' }>;

export interface StatusFeed {
  /** Every session with a status on the agent, newest change first. */
  sessions: WorkspaceSession[];
  feed: SocketFeed;
}

/**
 * The status of every session on one agent, live over `/events` (one socket for all its
 * workspaces). `onChange` hears each change as it comes (for notifications); it may change
 * between renders without reopening the socket.
 */
export function useStatusFeed(agent: AgentConnection, onChange?: (change: StatusChange) => void): StatusFeed {
  const { url, token } = agent;
  // Kept with the socket it came from: another agent's (a switch on the phone) is not shown.
  const [state, setState] = useState<StatusFeed & { from: string | null }>({ sessions: [], feed: 'connecting', from: null });
  const from = url === null ? null : `${url} ${token ?? ''}`;
  const listener = useRef(onChange);
  const revoked = useRef(agent.onTokenRevoked);
  useEffect(() => {
    listener.current = onChange;
    revoked.current = agent.onTokenRevoked;
  });
  useEffect(() => {
    if (url === null || agent.client === null) return;
    // The sessions as this connection's events left them (what is shown), and how many
    // snapshots came (the first is what was there already: nothing to tell).
    let known: WorkspaceSession[] = [];
    let snapshots = 0;
    const mine = (current: StatusFeed & { from: string | null }) =>
      current.from === from ? current : { sessions: [], feed: 'connecting' as const, from };
    return watchStatus({
      origin: url,
      token,
      onEvent: (event) => {
        const before = known;
        const sessions = applyStatusEvent(known, event);
        known = sessions;
        setState((current) => ({ ...mine(current), sessions }));
        if (event.type === 'changed') listener.current?.(event);
        if (event.type === 'snapshot') {
          // A snapshot after a reconnect: what changed while the socket was down.
          if (snapshots > 0) for (const change of changesSince(before, event.sessions)) listener.current?.(change);
          snapshots += 1;
        }
      },
      onTokenRevoked: () => revoked.current?.(),
      onFeed: (feed) =>
        setState((current) => {
          const base = mine(current);
          return base.feed === feed && base === current ? current : { ...base, feed };
        }),
    });
  }, [url, token, agent.client, from]);
  return state.from === from ? { sessions: state.sessions, feed: state.feed } : { sessions: [], feed: 'connecting' };
}
