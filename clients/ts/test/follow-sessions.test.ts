// The sessions socket feeding React Query's cache (@perry/client/react), with a real QueryClient
// and a fake socket: the glue web and mobile share.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';

import { QueryClient } from '@tanstack/react-query';

import type { SessionInfo, SessionsFeed } from '../src/index.ts';
import { followSessions, sessionKeys } from '../src/react/index.ts';
import { FakeSessionsSocket } from './fake-sessions-socket.ts';

const URL = 'https://box:7391';

function session(id: string, lastActivity: string): SessionInfo {
  return { sessionId: id, title: `Session ${id}`, agent: 'claude-code', messageCount: 1, lastActivity, projectPath: '', resumeCommand: '' };
}
const OLDER = session('s1', '2026-11-26T08:00:00Z');
const NEWER = session('s2', '2026-11-26T09:00:00Z');

let sockets: FakeSessionsSocket[] = [];

function follow(queryClient: QueryClient, workspaceName = 'alpha', token: string | null = 'tok') {
  const feeds: SessionsFeed[] = [];
  const leave = followSessions(queryClient, {
    url: URL,
    token,
    workspaceName,
    onFeed: (feed) => feeds.push(feed),
    createSocket: (url) => {
      const socket = new FakeSessionsSocket(url);
      sockets.push(socket);
      return socket;
    },
  });
  return { feeds, leave };
}

const listed = (queryClient: QueryClient, workspaceName = 'alpha') =>
  queryClient.getQueryData<SessionInfo[]>(sessionKeys.list(URL, workspaceName))?.map((s) => s.sessionId);
/** Lets the queued event applications run (they wait for promises, never for time). */
const settle = () => new Promise((done) => setImmediate(done));

beforeEach(() => {
  sockets = [];
  mock.timers.enable({ apis: ['setTimeout'] });
});
afterEach(() => mock.timers.reset());

describe('followSessions', () => {
  test('screens following one workspace share its socket, and its events fill the cached list', async () => {
    const queryClient = new QueryClient();
    const list = follow(queryClient);
    const conversation = follow(queryClient);
    assert.equal(sockets.length, 1);
    assert.equal(sockets[0]?.url, 'wss://box:7391/sessions/alpha?token=tok');
    sockets[0]?.open();
    assert.deepEqual(list.feeds, ['connecting', 'live']);
    assert.deepEqual(conversation.feeds, ['connecting', 'live']);
    sockets[0]?.send({ type: 'snapshot', sessions: [OLDER] });
    sockets[0]?.send({ type: 'added', session: NEWER });
    await settle();
    assert.deepEqual(listed(queryClient), ['s2', 's1']);
    sockets[0]?.send({ type: 'removed', sessionId: 's2', agent: 'claude-code' });
    await settle();
    assert.deepEqual(listed(queryClient), ['s1']);
  });

  test('an event cancels a list fetch still under way, whose older answer then changes nothing', async () => {
    const queryClient = new QueryClient();
    let answer: (sessions: SessionInfo[]) => void = () => undefined;
    const fetching = queryClient
      .fetchQuery({ queryKey: sessionKeys.list(URL, 'alpha'), queryFn: () => new Promise<SessionInfo[]>((resolve) => (answer = resolve)) })
      .then(
        () => 'answered',
        () => 'cancelled',
      );
    follow(queryClient);
    sockets[0]?.open();
    sockets[0]?.send({ type: 'snapshot', sessions: [NEWER] });
    await settle();
    answer([]);
    assert.equal(await fetching, 'cancelled');
    await settle();
    assert.deepEqual(listed(queryClient), ['s2']);
  });

  test('the socket outlives its last screen for a moment, so the next screen keeps it; then it closes', () => {
    const queryClient = new QueryClient();
    const list = follow(queryClient);
    sockets[0]?.open();
    list.leave();
    mock.timers.tick(1000);
    const conversation = follow(queryClient);
    assert.equal(sockets.length, 1, 'no second socket');
    assert.deepEqual(conversation.feeds, ['live'], 'told how the feed stands at once');
    conversation.leave();
    mock.timers.tick(1999);
    assert.equal(sockets[0]?.closes, 0);
    mock.timers.tick(1);
    assert.equal(sockets[0]?.readyState, 3, 'closed once nobody came back');
    follow(queryClient);
    assert.equal(sockets.length, 2, 'the next screen opens a new one');
  });

  test('another query client, workspace or token has a socket of its own', () => {
    const first = new QueryClient();
    follow(first);
    follow(new QueryClient());
    follow(first, 'beta');
    follow(first, 'alpha', 'other');
    assert.deepEqual(
      sockets.map((socket) => socket.url),
      [
        'wss://box:7391/sessions/alpha?token=tok',
        'wss://box:7391/sessions/alpha?token=tok',
        'wss://box:7391/sessions/beta?token=tok',
        'wss://box:7391/sessions/alpha?token=other',
      ],
    );
  });

  test('a drop of an open socket marks the list to be asked again; a refused one polls', () => {
    const queryClient = new QueryClient();
    queryClient.setQueryData(sessionKeys.list(URL, 'alpha'), [OLDER]);
    const list = follow(queryClient);
    sockets[0]?.serverClose();
    assert.equal(list.feeds.at(-1), 'polling');
    assert.equal(queryClient.getQueryState(sessionKeys.list(URL, 'alpha'))?.isInvalidated, false);
    mock.timers.tick(1000);
    sockets[1]?.open();
    sockets[1]?.serverClose();
    assert.equal(list.feeds.at(-1), 'connecting');
    assert.equal(queryClient.getQueryState(sessionKeys.list(URL, 'alpha'))?.isInvalidated, true);
  });
});
