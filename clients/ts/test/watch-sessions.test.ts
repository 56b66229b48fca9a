import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { ORPCError, watchSessions, type SessionEvent, type SessionsFeed } from '../src/index.ts';
import { FakeSessionsSocket as FakeSocket } from './fake-sessions-socket.ts';

function watch() {
  const sockets: FakeSocket[] = [];
  const feeds: SessionsFeed[] = [];
  const events: SessionEvent[] = [];
  let gaps = 0;
  const stop = watchSessions({
    origin: 'https://box:7391',
    workspaceName: 'alpha',
    token: 'tok',
    onEvent: (event) => events.push(event),
    onFeed: (feed) => feeds.push(feed),
    onGap: () => {
      gaps += 1;
    },
    createSocket: (url) => {
      const socket = new FakeSocket(url);
      sockets.push(socket);
      return socket;
    },
  });
  return { sockets, feeds, events, gaps: () => gaps, stop };
}

const tick = (ms: number) => new Promise((done) => setTimeout(done, ms));

describe('watchSessions', () => {
  test('opens the workspace’s socket with the token, and passes on the events it knows', () => {
    const w = watch();
    assert.equal(w.sockets[0]?.url, 'wss://box:7391/sessions/alpha?token=tok');
    assert.deepEqual(w.feeds, ['connecting']);
    w.sockets[0]?.open();
    assert.deepEqual(w.feeds, ['connecting', 'live']);
    w.sockets[0]?.onmessage?.({ data: JSON.stringify({ type: 'snapshot', sessions: [] }) });
    w.sockets[0]?.onmessage?.({ data: 'not json' });
    w.sockets[0]?.onmessage?.({ data: JSON.stringify({ type: 'unknown' }) });
    assert.deepEqual(w.events, [{ type: 'snapshot', sessions: [] }]);
    w.stop();
  });

  test('a socket that never opened means polling; one that dropped means reconnecting and a gap', async () => {
    const w = watch();
    w.sockets[0]?.serverClose();
    assert.equal(w.feeds.at(-1), 'polling');
    assert.equal(w.gaps(), 0);
    await tick(1100);
    assert.equal(w.sockets.length, 2, 'it tries again after a second');
    w.sockets[1]?.open();
    w.sockets[1]?.serverClose();
    assert.equal(w.feeds.at(-1), 'connecting');
    assert.equal(w.gaps(), 1, 'events may have been missed, so the list is asked again');
    // Opening reset the backoff: the next try comes after a second again, not two.
    await tick(1100);
    assert.equal(w.sockets.length, 3);
    w.stop();
  });

  test('stopping during a reconnect wait opens nothing more', async () => {
    const w = watch();
    w.sockets[0]?.serverClose();
    w.stop();
    await tick(1100);
    assert.equal(w.sockets.length, 1);
  });

  test('stopping while the socket still connects closes it once it opens, and reports nothing', () => {
    const w = watch();
    const socket = w.sockets[0]!;
    w.stop();
    assert.equal(socket.readyState, 0, 'the fake ignores close() while connecting, as Android does');
    socket.open();
    assert.equal(socket.readyState, 3, 'closed as soon as it opened');
    assert.deepEqual(w.feeds, ['connecting'], 'no live feed after stop');
  });
});

describe('diagnoseRefusedTerminal', async () => {
  const { diagnoseRefusedTerminal } = await import('../src/index.ts');
  type Api = Parameters<typeof diagnoseRefusedTerminal>[0];
  function api(workspace: () => Promise<{ status: string }>, terminals: () => Promise<{ id: string }[]> = async () => []): Api {
    return { workspaces: { get: workspace }, terminals: { list: terminals } } as unknown as Api;
  }
  const coded = (code: string, status: number) => new ORPCError(code, { status, message: code });

  test('a stopped workspace: stopped', async () => {
    assert.equal(await diagnoseRefusedTerminal(api(async () => ({ status: 'stopped' })), 'alpha', 't-1'), 'stopped');
  });

  test('a workspace that is gone: gone; the agent unreachable: retry', async () => {
    assert.equal(await diagnoseRefusedTerminal(api(() => Promise.reject(coded('NOT_FOUND', 404))), 'alpha', 't-1'), 'gone');
    assert.equal(await diagnoseRefusedTerminal(api(() => Promise.reject(new TypeError('fetch failed'))), 'alpha', 't-1'), 'retry');
  });

  test('a refused token: retry, and the caller is told', async () => {
    let told = 0;
    const diagnosis = await diagnoseRefusedTerminal(api(() => Promise.reject(coded('UNAUTHORIZED', 401))), 'alpha', null, () => {
      told += 1;
    });
    assert.equal(diagnosis, 'retry');
    assert.equal(told, 1);
  });

  test('running: the shell still listed means retry, gone means a fresh one', async () => {
    const running = async () => ({ status: 'running' });
    assert.equal(await diagnoseRefusedTerminal(api(running, async () => [{ id: 't-1' }]), 'alpha', 't-1'), 'retry');
    assert.equal(await diagnoseRefusedTerminal(api(running, async () => [{ id: 't-2' }]), 'alpha', 't-1'), 'fresh');
    assert.equal(await diagnoseRefusedTerminal(api(running), 'alpha', null), 'retry');
  });
});
