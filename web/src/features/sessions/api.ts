import type { SessionSearchHit } from '@perry/client';
import { sessionKeys, useSessions as useLiveSessions, useTranscript as useSharedTranscript, type AgentConnection } from '@perry/client/react';
import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';

import { useScope } from '@/lib/api';

export type { SessionsFeed } from '@perry/client';

/** The agent that served this page, as the shared hooks of @perry/client/react take it. */
function useAgentConnection(): AgentConnection {
  const { client, origin, token, onTokenRevoked } = useScope();
  return { client, url: origin, token, onTokenRevoked };
}

/** The workspace's sessions, newest first, live over `/sessions/<workspace>` (shared with the phone app). */
export function useSessions(workspaceName: string, enabled: boolean) {
  return useLiveSessions(useAgentConnection(), workspaceName, { enabled });
}

/** One session's conversation, paged (shared with the phone app). */
export function useTranscript(workspaceName: string, sessionId: string, version: string | undefined) {
  return useSharedTranscript(useAgentConnection(), workspaceName, sessionId, version);
}

/** Sessions whose title or messages contain `query` (trimmed; nothing is asked for an empty one). */
export function useSessionSearch(workspaceName: string, query: string, enabled: boolean) {
  const { client: api, origin } = useScope();
  const trimmed = query.trim();
  return useQuery({
    queryKey: sessionKeys.search(origin, workspaceName, trimmed),
    queryFn: ({ signal }): Promise<SessionSearchHit[]> => api.sessions.search({ workspaceName, query: trimmed }, { signal }),
    enabled: enabled && trimmed.length > 0,
    staleTime: 10_000,
    placeholderData: (previous) => previous,
  });
}

/** `value`, once it has stopped changing for `ms`. */
export function useDebounced<T>(value: T, ms: number): T {
  const [settled, setSettled] = useState(value);
  useEffect(() => {
    const timer = setTimeout(() => setSettled(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return settled;
}
