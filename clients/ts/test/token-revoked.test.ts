// A socket the agent closes with 4001 (its token was rotated away, `settings.rotateToken`): every
// socket of the clients (/events, /sessions, /terminal) stops for good instead of reconnecting
// with a dead token for ever, and tells the app, which signs in again. Web and mobile share this.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, mock, test } from 'node:test';

import { QueryClient } from '@tanstack/react-query';

import {
  classifyClose,
  TerminalConnection,
  TOKEN_REVOKED_CLOSE_CODE,
  TOKEN_REVOKED_MESSAGE,
  watchSessions,
  watchStatus,
  type ConnectionStatus,
  type SocketFeed,
  type TerminalSocket,
} from '../src/index.ts';
import { followSessions } from '../src/react/index.ts';
import { FakeSessionsSocket as FakeSocket } from './fake-sessions-socket.ts';

/** Sockets made, reconnects asked for, feeds and revocations heard. */
function recorder() {
  const sockets: FakeSocket[] = [];
  const feeds: SocketFeed[] = [];
  const scheduled: number[] = [];
  let revoked = 0;
  return {
    sockets,
    feeds,
    scheduled,
    revoked: () => revoked,
    options: {
      onFeed: (feed: SocketFeed) => feeds.push(feed),
      onTokenRevoked: () => {
        revoked += 1;
      },
      createSocket: (url: string) => {
        const socket = new FakeSocket(url);
        sockets.push(socket);
        return socket;
      },
    },
  };
}

describe('a socket closed with 4001', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  test('/events stops for good and says the token was revoked', () => {
    const r = recorder();
    const stop = watchStatus({ origin: 'http://box:7391', token: 'old', onEvent: () => undefined, ...r.options });
    r.sockets[0]?.open();
    r.sockets[0]?.serverClose(TOKEN_REVOKED_CLOSE_CODE, 'token revoked');
    assert.equal(r.revoked(), 1);
    assert.equal(r.feeds.at(-1), 'polling');
    // Far past the longest backoff: nothing was opened again with the dead token.
    mock.timers.tick(120_000);
    assert.equal(r.sockets.length, 1);
    stop();
  });

  test('/sessions stops for good too, where any other drop reconnects', () => {
    const revokedFeed = recorder();
    const stopRevoked = watchSessions({ origin: 'http://box:7391', workspaceName: 'alpha', token: 'old', onEvent: () => undefined, ...revokedFeed.options });
    revokedFeed.sockets[0]?.open();
    revokedFeed.sockets[0]?.serverClose(TOKEN_REVOKED_CLOSE_CODE);
    mock.timers.tick(120_000);
    assert.equal(revokedFeed.sockets.length, 1);
    assert.equal(revokedFeed.revoked(), 1);

    const droppedFeed = recorder();
    const stopDropped = watchSessions({ origin: 'http://box:7391', workspaceName: 'alpha', token: 'tok', onEvent: () => undefined, ...droppedFeed.options });
    droppedFeed.sockets[0]?.open();
    droppedFeed.sockets[0]?.serverClose(1006);
    mock.timers.tick(120_000);
    assert.ok(droppedFeed.sockets.length > 1, 'a plain drop reconnects');
    assert.equal(droppedFeed.revoked(), 0);
    stopRevoked();
    stopDropped();
  });

  test('the shared sessions follower tells every screen that follows it', () => {
    const queryClient = new QueryClient();
    const sockets: FakeSocket[] = [];
    const heard: string[] = [];
    const follow = (screen: string) =>
      followSessions(queryClient, {
        url: 'http://box:7391',
        token: 'old',
        workspaceName: 'alpha',
        onFeed: () => undefined,
        onTokenRevoked: () => heard.push(screen),
        createSocket: (url) => {
          const socket = new FakeSocket(url);
          sockets.push(socket);
          return socket;
        },
      });
    const leaveList = follow('list');
    const leaveConversation = follow('conversation');
    assert.equal(sockets.length, 1, 'one socket for both screens');
    sockets[0]?.open();
    sockets[0]?.serverClose(TOKEN_REVOKED_CLOSE_CODE);
    assert.deepEqual(heard.sort(), ['conversation', 'list']);
    mock.timers.tick(120_000);
    assert.equal(sockets.length, 1);
    leaveList();
    leaveConversation();
    mock.timers.tick(5_000);
    queryClient.clear();
  });
});

describe('a terminal closed with 4001', () => {
  test('is classified as revoked, whatever else the close says', () => {
    assert.deepEqual(classifyClose(TOKEN_REVOKED_CLOSE_CODE, 'token revoked', true), { kind: 'revoked' });
    assert.deepEqual(classifyClose(TOKEN_REVOKED_CLOSE_CODE, '', false), { kind: 'revoked' });
    assert.deepEqual(classifyClose(1006, '', true), { kind: 'dropped' });
  });

  test('stops with a message, tells the app, and neither reconnects nor asks the API', () => {
    const sockets: TerminalSocket[] = [];
    const statuses: ConnectionStatus[] = [];
    const scheduled: number[] = [];
    let revoked = 0;
    let diagnosed = 0;
    const connection = new TerminalConnection({
      origin: 'http://box:7391',
      workspace: 'alpha',
      token: 'old',
      terminalId: null,
      cols: 80,
      rows: 24,
      onOutput: () => undefined,
      onStatus: (status) => statuses.push(status),
      onTerminalId: () => undefined,
      diagnose: async () => {
        diagnosed += 1;
        return 'retry';
      },
      onTokenRevoked: () => {
        revoked += 1;
      },
      createSocket: (url) => {
        const socket = Object.assign(new FakeSocket(url), { binaryType: 'blob', send: () => undefined });
        sockets.push(socket);
        return socket;
      },
      schedule: (_callback, ms) => {
        scheduled.push(ms);
        return () => undefined;
      },
    });
    connection.connect();
    const socket = sockets[0] as unknown as FakeSocket;
    socket.open();
    socket.serverClose(TOKEN_REVOKED_CLOSE_CODE, 'token revoked');
    assert.deepEqual(statuses.at(-1), { kind: 'gone', message: TOKEN_REVOKED_MESSAGE });
    assert.equal(revoked, 1);
    assert.deepEqual(scheduled, [], 'no reconnect was scheduled');
    assert.equal(diagnosed, 0);
    assert.equal(sockets.length, 1);
    connection.dispose();
  });
});
