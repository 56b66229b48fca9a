import type { SessionInfo } from '@perry/client';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';

import { useAuth } from '@/features/auth/auth-context';
import { useApi } from '@/lib/api';
import { errorCode } from '@/lib/errors';

/**
 * Fields the sessions feature adds to SessionInfo; optional here so this page works against agents
 * from before and after it lands.
 */
export type SessionListItem = SessionInfo & { projectPath?: string; resumeCommand?: string };

/**
 * The sessions of a `sessions.list` answer: a page `{sessions, total, hasMore}`, or the bare array
 * the first contract declared. Read defensively so the tab works with agents of either version.
 */
export function sessionsOf(answer: unknown): SessionListItem[] {
  if (Array.isArray(answer)) return answer as SessionListItem[];
  if (typeof answer === 'object' && answer !== null && Array.isArray((answer as { sessions?: unknown }).sessions)) {
    return (answer as { sessions: SessionListItem[] }).sessions;
  }
  return [];
}

export const sessionKeys = {
  list: (workspaceName: string) => ['sessions', workspaceName] as const,
};

/**
 * The workspace's sessions, live: `/sessions/<workspace>` pushes an event per change and each one
 * refetches the list; while that socket is down a poll every 5 s stands in.
 */
export function useSessions(workspaceName: string, enabled: boolean) {
  const api = useApi();
  const [pushed, setPushed] = useState(false);
  const query = useQuery({
    queryKey: sessionKeys.list(workspaceName),
    queryFn: async ({ signal }): Promise<SessionListItem[]> => sessionsOf(await api.sessions.list({ workspaceName }, { signal })),
    enabled,
    refetchInterval: (q) => (errorCode(q.state.error) === 'NOT_IMPLEMENTED' ? false : pushed ? 60_000 : 5_000),
    retry: (failureCount, error) => errorCode(error) !== 'NOT_IMPLEMENTED' && failureCount < 2,
  });
  // Listen only once the agent has shown it knows sessions at all.
  useSessionEvents(workspaceName, enabled && query.isSuccess, setPushed);
  return query;
}

function sessionsSocketUrl(origin: string, workspaceName: string, token: string | null): string {
  const url = new URL(origin);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.pathname = `/sessions/${encodeURIComponent(workspaceName)}`;
  url.search = token ? `?token=${encodeURIComponent(token)}` : '';
  return url.toString();
}

function useSessionEvents(workspaceName: string, enabled: boolean, onConnected: (connected: boolean) => void) {
  const queryClient = useQueryClient();
  const { token } = useAuth();
  useEffect(() => {
    if (!enabled) return;
    let socket: WebSocket | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let attempt = 0;
    let stopped = false;
    const connect = () => {
      socket = new WebSocket(sessionsSocketUrl(window.location.origin, workspaceName, token));
      socket.onopen = () => {
        attempt = 0;
        onConnected(true);
      };
      // Whatever changed, the list query has the whole truth; one refetch per burst is enough.
      socket.onmessage = () => void queryClient.invalidateQueries({ queryKey: sessionKeys.list(workspaceName) });
      socket.onclose = (event) => {
        onConnected(false);
        // 1001: the workspace stopped or the agent is going away; the page follows the status.
        if (stopped || event.code === 1001) return;
        timer = setTimeout(connect, Math.min(1000 * 2 ** attempt, 30_000));
        attempt += 1;
      };
    };
    connect();
    return () => {
      stopped = true;
      clearTimeout(timer);
      if (socket) {
        socket.onclose = null;
        socket.close();
      }
      onConnected(false);
    };
  }, [enabled, workspaceName, token, queryClient, onConnected]);
}
