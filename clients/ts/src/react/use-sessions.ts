import { useQuery, useQueryClient, type UseQueryResult } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';

import type { SessionInfo } from '../api.gen.ts';
import { errorCode } from '../errors.ts';
import { sortSessions, type SessionsFeed } from '../session-events.ts';
import type { AgentConnection } from './agent-connection.ts';
import { followSessions } from './follow-sessions.ts';
import { sessionKeys } from './session-keys.ts';

/** Polling stands in for the socket only while it cannot be opened. */
const POLL_MS = 5000;
/** Enough for every session of a busy workspace; the socket's snapshot has them all anyway. */
const LIST_LIMIT = 1000;

export interface UseSessionsOptions {
  /** False: neither ask nor open the socket (a stopped workspace). True by default. */
  enabled?: boolean;
}

/** The list's query, and how it stays current. */
export type LiveSessions = UseQueryResult<SessionInfo[]> & { feed: SessionsFeed };

/**
 * The workspace's coding-agent sessions, newest first and live: `/sessions/<workspace>` sends a
 * snapshot and then one event per change, applied to the cached list as they come (no refetch).
 * While the socket cannot be opened the list is polled instead, except for a stopped workspace.
 */
export function useSessions(agent: AgentConnection, workspaceName: string, options: UseSessionsOptions = {}): LiveSessions {
  const { client, url, token, onTokenRevoked } = agent;
  const enabled = client !== null && url !== null && (options.enabled ?? true);
  const queryClient = useQueryClient();
  const [feed, setFeed] = useState<SessionsFeed>('connecting');
  const query = useQuery({
    queryKey: sessionKeys.list(url, workspaceName),
    // Without an agent nothing is asked (`enabled`); a refetch then finds no sessions.
    queryFn: async ({ signal }): Promise<SessionInfo[]> =>
      client ? sortSessions((await client.sessions.list({ workspaceName, limit: LIST_LIMIT }, { signal })).sessions) : [],
    enabled,
    // While the socket is open its events are the truth; refetching would only race them.
    staleTime: feed === 'live' ? Infinity : 1000,
    refetchInterval: (q) => (feed === 'polling' && errorCode(q.state.error) !== 'CONFLICT' ? POLL_MS : false),
    refetchOnWindowFocus: feed !== 'live',
  });

  // Read when the socket says so, not a reason to reopen it.
  const revoked = useRef(onTokenRevoked);
  useEffect(() => {
    revoked.current = onTokenRevoked;
  });
  useEffect(() => {
    if (!enabled || url === null) return;
    return followSessions(queryClient, { url, token, workspaceName, onFeed: setFeed, onTokenRevoked: () => revoked.current?.() });
  }, [enabled, url, token, workspaceName, queryClient]);

  return { ...query, feed };
}
