import type { RecentSession, SessionInfo, SessionSearchHit } from '@perry/client';
import { sessionKeys, useSessions as useLiveSessions, useTranscript as useSharedTranscript, type AgentConnection } from '@perry/client/react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
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

/** React Query key of the recent sessions across the workspaces of the agent at `origin`. */
export const recentSessionsKey = (origin: string) => ['recent-sessions', origin] as const;

/** The list is asked again this often, so sessions started elsewhere show up. */
const RECENT_POLL_MS = 10_000;

/** The sessions opened or active last, across every workspace of the agent in scope. */
export function useRecentSessions(limit = 8) {
  const { client: api, origin } = useScope();
  return useQuery({
    queryKey: [...recentSessionsKey(origin), limit],
    queryFn: ({ signal }): Promise<RecentSession[]> => api.sessions.recent({ limit }, { signal }),
    refetchInterval: RECENT_POLL_MS,
  });
}

/** Puts `change` into the workspace's cached list (the live socket says the same soon after). */
function useUpdateSessionsList() {
  const queryClient = useQueryClient();
  const { origin } = useScope();
  return (workspaceName: string, change: (sessions: SessionInfo[]) => SessionInfo[]) => {
    queryClient.setQueryData<SessionInfo[]>(sessionKeys.list(origin, workspaceName), (sessions) => (sessions ? change(sessions) : sessions));
    void queryClient.invalidateQueries({ queryKey: recentSessionsKey(origin) });
  };
}

export interface RenameSessionInput {
  workspaceName: string;
  sessionId: string;
  /** Absent or empty: the name is cleared and the tool's title shows again. */
  name?: string | undefined;
}

/** Gives a session a name of the person's (or clears it); the agent's words when it refuses. */
export function useRenameSession() {
  const { client: api } = useScope();
  const update = useUpdateSessionsList();
  return useMutation({
    mutationFn: ({ workspaceName, sessionId, name }: RenameSessionInput) =>
      api.sessions.rename(name === undefined || name === '' ? { workspaceName, sessionId } : { workspaceName, sessionId, name }),
    meta: { handlesErrors: true },
    onSuccess: (session, { workspaceName }) =>
      update(workspaceName, (sessions) =>
        sessions.map((item) => (item.sessionId === session.sessionId && item.agent === session.agent ? session : item)),
      ),
  });
}

/** Removes a session's transcript inside the workspace, for good. */
export function useDeleteSession() {
  const { client: api } = useScope();
  const update = useUpdateSessionsList();
  return useMutation({
    mutationFn: async (session: { workspaceName: string; sessionId: string; agent: SessionInfo['agent'] }) => {
      await api.sessions.delete({ workspaceName: session.workspaceName, sessionId: session.sessionId });
      return session;
    },
    meta: { handlesErrors: true },
    onSuccess: ({ workspaceName, sessionId, agent }) =>
      update(workspaceName, (sessions) => sessions.filter((item) => !(item.sessionId === sessionId && item.agent === agent))),
  });
}
