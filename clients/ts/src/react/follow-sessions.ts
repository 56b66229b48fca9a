// The `/sessions/<workspace>` socket feeding React Query's cached list: one socket per agent,
// token and workspace, however many screens show that workspace's sessions.

import type { QueryClient } from '@tanstack/react-query';

import type { SessionInfo } from '../api.gen.ts';
import { applySessionEvent, watchSessions, type SessionsFeed, type SessionsSocket } from '../session-events.ts';
import { sessionKeys } from './session-keys.ts';

/** How long a sessions socket outlives its last screen, so moving between screens keeps it. */
const LINGER_MS = 2000;

interface Follower {
  subscribers: Set<(feed: SessionsFeed) => void>;
  feed: SessionsFeed;
  stop(): void;
  /** Set while nobody follows: the socket stays a moment for the next screen (list → conversation). */
  closing: ReturnType<typeof setTimeout> | null;
  /** Told when the agent revoked the token (each follower's own `onTokenRevoked`). */
  revoked: Set<() => void>;
}

/** Per query client (an app has one; each test its own), per agent, token and workspace. */
const followersByClient = new WeakMap<QueryClient, Map<string, Follower>>();

export interface FollowSessionsOptions {
  /** The agent's base URL. */
  url: string;
  token: string | null;
  workspaceName: string;
  /** Told how the feed stands now, and at every change. */
  onFeed(feed: SessionsFeed): void;
  /** The agent closed the socket because `token` was revoked (4001): it is not reopened. */
  onTokenRevoked?: (() => void) | undefined;
  /** A socket other than the global WebSocket (tests). */
  createSocket?(url: string): SessionsSocket;
}

/**
 * Follows the workspace's `/sessions` socket into the cached list (`sessionKeys.list`): the first
 * caller opens it, the last one to leave closes it (after a short linger). Events apply in order;
 * a drop of an open socket refetches the list. Returns the function that leaves.
 */
export function followSessions(queryClient: QueryClient, options: FollowSessionsOptions): () => void {
  const { url, token, workspaceName, onFeed } = options;
  const id = JSON.stringify([url, token, workspaceName]);
  let registry = followersByClient.get(queryClient);
  if (!registry) {
    registry = new Map();
    followersByClient.set(queryClient, registry);
  }
  const followers = registry;
  let follower = followers.get(id);
  if (!follower) {
    const key = sessionKeys.list(url, workspaceName);
    let stopped = false;
    let applying: Promise<void> = Promise.resolve();
    const created: Follower = { subscribers: new Set(), feed: 'connecting', stop: () => undefined, closing: null, revoked: new Set() };
    const stopSocket = watchSessions({
      origin: url,
      workspaceName,
      token,
      onFeed: (feed) => {
        created.feed = feed;
        for (const subscriber of created.subscribers) subscriber(feed);
      },
      onGap: () => void queryClient.invalidateQueries({ queryKey: key, exact: true }),
      onTokenRevoked: () => {
        for (const subscriber of created.revoked) subscriber();
      },
      onEvent: (event) => {
        // In order, one after the other: a list fetch still under way would land after this
        // event with older news, so it is cancelled (and its revert done) before the event applies.
        applying = applying.then(async () => {
          if (queryClient.isFetching({ queryKey: key, exact: true }) > 0) await queryClient.cancelQueries({ queryKey: key, exact: true });
          if (stopped) return;
          queryClient.setQueryData<SessionInfo[]>(key, (sessions) => applySessionEvent(sessions, event));
        });
      },
      ...(options.createSocket ? { createSocket: options.createSocket } : {}),
    });
    created.stop = () => {
      stopped = true;
      stopSocket();
    };
    follower = created;
    followers.set(id, follower);
  }
  const current = follower;
  if (current.closing) clearTimeout(current.closing);
  current.closing = null;
  current.subscribers.add(onFeed);
  const onTokenRevoked = options.onTokenRevoked;
  if (onTokenRevoked) current.revoked.add(onTokenRevoked);
  onFeed(current.feed);
  return () => {
    current.subscribers.delete(onFeed);
    if (onTokenRevoked) current.revoked.delete(onTokenRevoked);
    if (current.subscribers.size > 0) return;
    current.closing = setTimeout(() => {
      current.stop();
      followers.delete(id);
    }, LINGER_MS);
  };
}
