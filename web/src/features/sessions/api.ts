import type { SessionInfo, SessionSearchHit } from '@perry/client';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useReducer, useRef, useState } from 'react';

import { useAuth } from '@/features/auth/auth-context';
import { useApi } from '@/lib/api';
import { errorCode } from '@perry/client';

import { applySessionEvent, sortSessions, watchSessions, type SessionsFeed } from '@perry/client';
import { EMPTY_TRANSCRIPT, MESSAGES_PAGE_SIZE, olderPageRequest, transcriptReducer } from '@perry/client';

/** Enough for every session of a busy workspace; the socket's snapshot has them all anyway. */
const LIST_LIMIT = 1000;
/** Polling stands in for the socket only while it cannot be opened. */
const POLL_MS = 5_000;

export const sessionKeys = {
  all: (workspaceName: string) => ['sessions', workspaceName] as const,
  list: (workspaceName: string) => ['sessions', workspaceName, 'list'] as const,
  search: (workspaceName: string, query: string) => ['sessions', workspaceName, 'search', query] as const,
  messages: (workspaceName: string, sessionId: string) => ['sessions', workspaceName, 'messages', sessionId] as const,
};

export type { SessionsFeed } from '@perry/client';

/**
 * The workspace's sessions, newest first, live: `/sessions/<workspace>` sends a snapshot and then
 * one event per change, applied to the cached list as they come (no refetch).
 */
export function useSessions(workspaceName: string, enabled: boolean) {
  const api = useApi();
  const [feed, setFeed] = useState<SessionsFeed>('connecting');
  const query = useQuery({
    queryKey: sessionKeys.list(workspaceName),
    queryFn: async ({ signal }): Promise<SessionInfo[]> =>
      sortSessions((await api.sessions.list({ workspaceName, limit: LIST_LIMIT }, { signal })).sessions),
    enabled,
    // While the socket is open its events are the truth; refetching would only race them.
    staleTime: feed === 'live' ? Infinity : 1_000,
    refetchInterval: (q) => (feed === 'polling' && errorCode(q.state.error) !== 'CONFLICT' ? POLL_MS : false),
    refetchOnWindowFocus: feed !== 'live',
  });
  useSessionEvents(workspaceName, enabled, setFeed);
  return { ...query, feed };
}

function useSessionEvents(workspaceName: string, enabled: boolean, setFeed: (feed: SessionsFeed) => void) {
  const queryClient = useQueryClient();
  const { token } = useAuth();
  useEffect(() => {
    if (!enabled) return;
    const key = sessionKeys.list(workspaceName);
    let stopped = false;
    let applying: Promise<void> = Promise.resolve();
    const stop = watchSessions({
      origin: window.location.origin,
      workspaceName,
      token,
      onFeed: setFeed,
      onGap: () => void queryClient.invalidateQueries({ queryKey: key }),
      onEvent: (event) => {
        // In order, one after the other: a list fetch still under way would land after this
        // event with older news, so it is cancelled (and its revert done) before the event applies.
        applying = applying.then(async () => {
          if (queryClient.isFetching({ queryKey: key }) > 0) await queryClient.cancelQueries({ queryKey: key });
          if (stopped) return;
          queryClient.setQueryData<SessionInfo[]>(key, (sessions) => applySessionEvent(sessions, event));
        });
      },
    });
    return () => {
      stopped = true;
      stop();
    };
  }, [enabled, workspaceName, token, queryClient, setFeed]);
}

/** Sessions whose title or messages contain `query` (trimmed; nothing is asked for an empty one). */
export function useSessionSearch(workspaceName: string, query: string, enabled: boolean) {
  const api = useApi();
  const trimmed = query.trim();
  return useQuery({
    queryKey: sessionKeys.search(workspaceName, trimmed),
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

/**
 * One session's conversation: the newest page through React Query (refetched when `version`
 * changes, i.e. the session was updated), older pages on demand, merged into one transcript.
 */
export function useTranscript(workspaceName: string, sessionId: string, version: string | undefined, pageSize: number = MESSAGES_PAGE_SIZE) {
  const api = useApi();
  const [transcript, dispatch] = useReducer(transcriptReducer, EMPTY_TRANSCRIPT);
  const newest = useQuery({
    queryKey: sessionKeys.messages(workspaceName, sessionId),
    queryFn: ({ signal }) => api.sessions.messages({ workspaceName, sessionId, limit: pageSize, offset: 0 }, { signal }),
    retry: (failureCount, error) => errorCode(error) === 'SERVICE_UNAVAILABLE' && failureCount < 3,
  });
  const { refetch } = newest;

  useEffect(() => {
    if (newest.data) dispatch({ type: 'page', page: newest.data, offset: 0 });
  }, [newest.data]);

  // The session changed (an `updated` event moved its count or time): ask for the newest page again.
  const seenVersion = useRef(version);
  useEffect(() => {
    if (version === undefined || version === seenVersion.current) return;
    const first = seenVersion.current === undefined;
    seenVersion.current = version;
    // The first version is the list arriving (a reload on this page), not a change.
    if (!first) void refetch();
  }, [version, refetch]);

  const [older, setOlder] = useState<{ loading: boolean; error: unknown }>({ loading: false, error: null });
  const transcriptRef = useRef(transcript);
  transcriptRef.current = transcript;
  const loadOlder = useCallback(async () => {
    const request = olderPageRequest(transcriptRef.current, pageSize);
    if (!request) return;
    setOlder({ loading: true, error: null });
    try {
      const page = await api.sessions.messages({ workspaceName, sessionId, ...request });
      dispatch({ type: 'page', page, offset: request.offset });
      setOlder({ loading: false, error: null });
    } catch (error) {
      setOlder({ loading: false, error });
    }
  }, [api, workspaceName, sessionId, pageSize]);

  return { newest, transcript, loadOlder, loadingOlder: older.loading, olderError: older.error };
}
