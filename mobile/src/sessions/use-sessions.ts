import {
  applySessionEvent,
  EMPTY_TRANSCRIPT,
  errorCode,
  MESSAGES_PAGE_SIZE,
  olderPageRequest,
  sortSessions,
  transcriptReducer,
  watchSessions,
  type SessionInfo,
  type SessionsFeed,
} from '@perry/client';
import { useQuery, useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useReducer, useRef, useState } from 'react';

import { useAgents } from '../agents/agents-context';
import { isArray, useWithLastKnown } from '../offline/last-known';

const sessionsListKey = (url: string | undefined, workspaceName: string) => ['sessions', url, workspaceName, 'list'] as const;

/** Polling stands in for the socket only while it cannot be opened. */
const POLL_MS = 5000;
/** Enough for every session of a busy workspace; the socket's snapshot has them all anyway. */
const LIST_LIMIT = 1000;

/** One socket per workspace, however many screens show its sessions (the list and a conversation). */
interface Follower {
  subscribers: Set<(feed: SessionsFeed) => void>;
  feed: SessionsFeed;
  stop(): void;
  /** Set while nobody follows: the socket stays a moment for the next screen (list → conversation). */
  closing: ReturnType<typeof setTimeout> | null;
}

/** How long a sessions socket outlives its last screen, so moving between screens keeps it. */
const LINGER_MS = 2000;
/** Per query client (an app has one; each test its own), per agent, token and workspace. */
const followersByClient = new WeakMap<QueryClient, Map<string, Follower>>();

/**
 * Follows the workspace's `/sessions` socket into the cached list: the first caller opens it, the
 * last one to leave closes it; each is told how the feed stands. Returns the function that leaves.
 */
function followSessions(
  queryClient: QueryClient,
  url: string,
  token: string | null,
  workspaceName: string,
  onFeed: (feed: SessionsFeed) => void,
): () => void {
  const id = JSON.stringify([url, token, workspaceName]);
  let followers = followersByClient.get(queryClient);
  if (!followers) {
    followers = new Map();
    followersByClient.set(queryClient, followers);
  }
  const registry = followers;
  let follower = registry.get(id);
  if (!follower) {
    const key = sessionsListKey(url, workspaceName);
    let stopped = false;
    let applying: Promise<void> = Promise.resolve();
    const created: Follower = { subscribers: new Set(), feed: 'connecting', stop: () => undefined, closing: null };
    const stopSocket = watchSessions({
      origin: url,
      workspaceName,
      token,
      onFeed: (feed) => {
        created.feed = feed;
        for (const subscriber of created.subscribers) subscriber(feed);
      },
      onGap: () => void queryClient.invalidateQueries({ queryKey: key, exact: true }),
      onEvent: (event) => {
        // In order, one after the other: a list fetch still under way would land after this
        // event with older news, so it is cancelled before the event applies.
        applying = applying.then(async () => {
          if (queryClient.isFetching({ queryKey: key, exact: true }) > 0) await queryClient.cancelQueries({ queryKey: key, exact: true });
          if (stopped) return;
          queryClient.setQueryData<SessionInfo[]>(key, (sessions) => applySessionEvent(sessions, event));
        });
      },
    });
    created.stop = () => {
      stopped = true;
      stopSocket();
    };
    follower = created;
    registry.set(id, follower);
  }
  const current = follower;
  if (current.closing) clearTimeout(current.closing);
  current.closing = null;
  current.subscribers.add(onFeed);
  onFeed(current.feed);
  return () => {
    current.subscribers.delete(onFeed);
    if (current.subscribers.size > 0) return;
    current.closing = setTimeout(() => {
      current.stop();
      registry.delete(id);
    }, LINGER_MS);
  };
}

/**
 * The workspace's coding-agent sessions, newest first and live: `/sessions/<workspace>` sends a
 * snapshot and then one event per change, applied to the cached list as they come. Kept on the
 * device, and shown from there (stale) when the agent cannot be reached.
 */
export function useSessions(workspaceName: string) {
  const { active, client, cache } = useAgents();
  const queryClient = useQueryClient();
  const [feed, setFeed] = useState<SessionsFeed>('connecting');
  const url = active?.url;
  const token = active?.token ?? null;
  const query = useQuery({
    queryKey: sessionsListKey(url, workspaceName),
    queryFn: async ({ signal }): Promise<SessionInfo[]> =>
      client ? sortSessions((await client.sessions.list({ workspaceName, limit: LIST_LIMIT }, { signal })).sessions) : [],
    enabled: client !== null,
    // While the socket is open its events are the truth; refetching would only race them.
    staleTime: feed === 'live' ? Infinity : 1000,
    // Polling stands in only while the socket cannot be opened, and not for a stopped workspace.
    refetchInterval: (q) => (feed === 'polling' && errorCode(q.state.error) !== 'CONFLICT' ? POLL_MS : false),
  });

  useEffect(() => {
    if (!url) return;
    return followSessions(queryClient, url, token, workspaceName, setFeed);
  }, [url, token, workspaceName, queryClient]);

  const shown = useWithLastKnown<SessionInfo[]>(query, cache, url ? `perry.sessions.${url}.${workspaceName}` : null, isArray);
  return {
    sessions: shown.data ?? [],
    isLoading: shown.isLoading,
    staleSince: shown.staleSince,
    error: query.error,
    isRefetching: query.isRefetching,
    refetch: () => void query.refetch(),
    feed,
  };
}

/**
 * One session's conversation: the newest page, asked again when `version` changes (the list
 * saw the session move on), and older pages on demand, merged into one transcript.
 */
export function useTranscript(workspaceName: string, sessionId: string, version: string | undefined) {
  const { active, client } = useAgents();
  const [transcript, dispatch] = useReducer(transcriptReducer, EMPTY_TRANSCRIPT);
  const newest = useQuery({
    queryKey: ['sessions', active?.url, workspaceName, 'messages', sessionId],
    queryFn: () => {
      if (!client) throw new Error('No agent is connected.');
      return client.sessions.messages({ workspaceName, sessionId, limit: MESSAGES_PAGE_SIZE, offset: 0 });
    },
    enabled: client !== null,
    refetchInterval: false,
    retry: (failureCount, error) => errorCode(error) === 'SERVICE_UNAVAILABLE' && failureCount < 3,
  });
  const { refetch } = newest;
  useEffect(() => {
    if (newest.data) dispatch({ type: 'page', page: newest.data, offset: 0 });
  }, [newest.data]);

  const seenVersion = useRef(version);
  useEffect(() => {
    if (version === undefined || version === seenVersion.current) return;
    const first = seenVersion.current === undefined;
    seenVersion.current = version;
    if (!first) void refetch();
  }, [version, refetch]);

  const [older, setOlder] = useState<{ loading: boolean; error: unknown }>({ loading: false, error: null });
  const transcriptRef = useRef(transcript);
  transcriptRef.current = transcript;
  const loadOlder = useCallback(async () => {
    const request = olderPageRequest(transcriptRef.current);
    if (!request || !client) return;
    setOlder({ loading: true, error: null });
    try {
      const page = await client.sessions.messages({ workspaceName, sessionId, ...request });
      dispatch({ type: 'page', page, offset: request.offset });
      setOlder({ loading: false, error: null });
    } catch (error) {
      setOlder({ loading: false, error });
    }
  }, [client, workspaceName, sessionId]);

  return { newest, transcript, loadOlder, loadingOlder: older.loading, olderError: older.error };
}
