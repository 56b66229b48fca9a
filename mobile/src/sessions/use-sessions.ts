import type { SessionInfo } from '@perry/client';
import { useSessions as useLiveSessions, useTranscript as useSharedTranscript } from '@perry/client/react';

import { useAgentConnection, useAgents } from '../agents/agents-context';
import { isArray, useWithLastKnown } from '../offline/last-known';

/**
 * The workspace's coding-agent sessions, newest first and live over `/sessions/<workspace>`
 * (shared with the web UI). Kept on the device, and shown from there (stale) when the agent
 * cannot be reached.
 */
export function useSessions(workspaceName: string) {
  const { cache } = useAgents();
  const agent = useAgentConnection();
  const query = useLiveSessions(agent, workspaceName);
  const shown = useWithLastKnown<SessionInfo[]>(query, cache, agent.url ? `perry.sessions.${agent.url}.${workspaceName}` : null, isArray);
  return {
    sessions: shown.data ?? [],
    isLoading: shown.isLoading,
    staleSince: shown.staleSince,
    error: query.error,
    isRefetching: query.isRefetching,
    refetch: () => void query.refetch(),
    feed: query.feed,
  };
}

/** One session's conversation, paged (shared with the web UI). */
export function useTranscript(workspaceName: string, sessionId: string, version: string | undefined) {
  return useSharedTranscript(useAgentConnection(), workspaceName, sessionId, version);
}
