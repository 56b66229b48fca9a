import assert from 'node:assert/strict';
import { describe, mock, test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';

import { TerminalConnection, type ConnectionOptions, type ConnectionStatus, type Diagnosis } from '../src/index.ts';

/** Just enough of a WebSocket for TerminalConnection, driven by the test. */
class FakeSocket {
  readyState = 0;
  binaryType = 'blob';
  sent: (string | Uint8Array)[] = [];
  closedByClient = false;
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  constructor(readonly url: string) {}
  send(data: string | Uint8Array) {
    this.sent.push(data);
  }
  close() {
    this.closedByClient = true;
    this.readyState = 3;
  }
  // Server side:
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  attach(id: string, offset = 0, size = { cols: 80, rows: 24 }) {
    this.onmessage?.({ data: JSON.stringify({ type: 'attached', id, ...size, replayedBytes: 0, offset }) });
  }
  output(text: string) {
    this.onmessage?.({ data: new TextEncoder().encode(text).buffer });
  }
  serverClose(code: number, reason = '') {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  query() {
    return Object.fromEntries(new URL(this.url).searchParams);
  }
}

function setup(overrides: Partial<ConnectionOptions> = {}, diagnosis: Diagnosis = 'retry') {
  const sockets: FakeSocket[] = [];
  const statuses: ConnectionStatus[] = [];
  const output: string[] = [];
  const ids: (string | null)[] = [];
  const timers: { callback: () => void; ms: number }[] = [];
  const diagnose = mock.fn(async (_id: string | null) => diagnosis);
  const connection = new TerminalConnection({
    origin: 'http://box:7391',
    workspace: 'alpha',
    token: 'tok',
    terminalId: null,
    cols: 80,
    rows: 24,
    onOutput: (bytes) => output.push(new TextDecoder().decode(bytes)),
    onStatus: (status) => statuses.push(status),
    onTerminalId: (id) => ids.push(id),
    diagnose,
    createSocket: (url) => {
      const socket = new FakeSocket(url);
      sockets.push(socket);
      return socket;
    },
    schedule: (callback, ms) => {
      timers.push({ callback, ms });
      return () => undefined;
    },
    ...overrides,
  });
  const last = () => sockets[sockets.length - 1]!;
  return { connection, sockets, statuses, output, ids, timers, diagnose, last };
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('TerminalConnection', () => {
  test('opens a new shell, reports its id, shows output and sends keys as binary', () => {
    const t = setup();
    t.connection.connect();
    assert.deepEqual(t.last().query(), { token: 'tok', cols: '80', rows: '24' });
    t.last().open();
    t.last().attach('t-1');
    t.last().output('hello-42\r\n');
    assert.deepEqual(t.ids, ['t-1']);
    assert.deepEqual(t.output, ['hello-42\r\n']);
    assert.deepEqual(t.statuses.at(-1), { kind: 'open' });
    t.connection.sendInput('ls\r');
    const sent = t.last().sent[0];
    assert.equal(ArrayBuffer.isView(sent), true); // a binary frame, not text
    assert.equal(new TextDecoder().decode(sent as Uint8Array), 'ls\r');
  });

  test('reattaches to a remembered shell with a full replay (after a page reload)', () => {
    const t = setup({ terminalId: 't-7' });
    t.connection.connect();
    assert.equal(t.last().query().terminal, 't-7');
    assert.equal('since' in t.last().query(), false);
  });

  test('after a drop, reconnects to the same shell asking only for unseen output', () => {
    const t = setup();
    t.connection.connect();
    t.last().open();
    t.last().attach('t-1', 100);
    t.last().output('12345');
    t.last().serverClose(1006);
    assert.deepEqual(t.statuses.at(-1), { kind: 'connecting', attempt: 1 });
    assert.equal(t.timers.length, 1);
    assert.equal(t.timers[0]!.ms, 250);
    t.timers[0]!.callback();
    assert.equal(t.sockets.length, 2);
    const query = t.last().query();
    assert.equal(query.terminal, 't-1');
    assert.equal(query.since, '105');
  });

  test('counts skipped bytes when resuming', () => {
    const t = setup();
    t.connection.connect();
    t.last().open();
    t.last().attach('t-1', 0);
    t.last().output('ab');
    t.last().onmessage?.({ data: '{"type":"dropped","bytes":1000}' });
    t.last().serverClose(1006);
    t.timers[0]!.callback();
    assert.equal(t.last().query().since, '1002');
  });

  test('does not reconnect when the shell exits, and can start a new shell', () => {
    const t = setup();
    t.connection.connect();
    t.last().open();
    t.last().attach('t-1');
    t.last().serverClose(1000, 'exit 3');
    assert.deepEqual(t.statuses.at(-1), { kind: 'exited', exitCode: 3 });
    assert.equal(t.timers.length, 0);
    assert.deepEqual(t.ids, ['t-1', null]);
    t.connection.startNewShell();
    assert.equal(t.sockets.length, 2);
    assert.equal('terminal' in t.last().query(), false);
  });

  test('runs the tab\'s command in its first terminal only; after it exits a new shell is a login shell', () => {
    const t = setup({ command: ['bash', '-lc', 'claude --resume s1'] });
    t.connection.connect();
    assert.deepEqual(JSON.parse(t.last().query().cmd!), ['bash', '-lc', 'claude --resume s1']);
    t.last().open();
    t.last().attach('t-1');
    // A drop reattaches to the same terminal: the command is not run again.
    t.last().serverClose(1006);
    t.timers[0]!.callback();
    assert.equal(t.last().query().terminal, 't-1');
    assert.equal('cmd' in t.last().query(), false);
    t.last().open();
    t.last().attach('t-1');
    t.last().serverClose(1000, 'exit 0');
    assert.deepEqual(t.statuses.at(-1), { kind: 'exited', exitCode: 0 });
    t.connection.startNewShell();
    assert.equal('cmd' in t.last().query(), false);
    assert.equal('terminal' in t.last().query(), false);
  });

  test('does not reconnect when the workspace stops', () => {
    const t = setup();
    t.connection.connect();
    t.last().open();
    t.last().attach('t-1');
    t.last().serverClose(1001, 'workspace stopped');
    assert.deepEqual(t.statuses.at(-1), { kind: 'stopped' });
    assert.equal(t.timers.length, 0);
  });

  test('opens a fresh shell when the remembered one is gone (404 on reattach)', async () => {
    const t = setup({ terminalId: 't-old' }, 'fresh');
    t.connection.connect();
    t.last().serverClose(1006); // refused before opening
    await flush();
    assert.ok(t.diagnose.mock.calls.some((call) => isDeepStrictEqual(call.arguments, ['t-old'])), 'diagnose was asked about t-old');
    assert.deepEqual(t.ids, [null]);
    assert.equal(t.sockets.length, 2);
    assert.equal('terminal' in t.last().query(), false);
  });

  test('says the workspace is stopped when the upgrade is refused for that reason (409)', async () => {
    const t = setup({}, 'stopped');
    t.connection.connect();
    t.last().serverClose(1006);
    await flush();
    assert.deepEqual(t.statuses.at(-1), { kind: 'stopped' });
    assert.equal(t.sockets.length, 1);
  });

  test('sends resizes only while attached and only when the size changes', () => {
    const t = setup();
    t.connection.connect();
    t.connection.resize(100, 30); // not attached yet: remembered for the URL
    t.last().open();
    t.last().attach('t-1', 0, { cols: 100, rows: 30 });
    assert.deepEqual(t.last().sent, []);
    t.connection.resize(100, 30);
    assert.deepEqual(t.last().sent, []);
    t.connection.resize(120, 30);
    assert.deepEqual(t.last().sent, ['{"type":"resize","cols":120,"rows":30}']);
  });

  test('gives a reattached shell our size when it differs', () => {
    const t = setup({ terminalId: 't-1' });
    t.connection.connect();
    t.last().open();
    t.last().attach('t-1', 0, { cols: 200, rows: 50 });
    assert.deepEqual(t.last().sent, ['{"type":"resize","cols":80,"rows":24}']);
  });

  test('stops everything on dispose', () => {
    const t = setup();
    t.connection.connect();
    const socket = t.last();
    socket.open();
    const onclose = socket.onclose;
    t.connection.dispose();
    assert.equal(socket.closedByClient, true);
    // A close event that was already on its way when dispose ran schedules no reconnect.
    onclose?.({ code: 1006, reason: '' });
    assert.equal(t.timers.length, 0);
    assert.equal(t.sockets.length, 1);
  });

  test('a socket still connecting when the tab closes is closed once it opens', () => {
    const t = setup();
    t.connection.connect();
    const socket = t.last();
    socket.close = () => {
      // React Native on Android: close() before the socket opened does nothing.
      if (socket.readyState === 1) {
        socket.closedByClient = true;
        socket.readyState = 3;
      }
    };
    t.connection.dispose();
    assert.equal(socket.closedByClient, false);
    socket.open();
    assert.equal(socket.closedByClient, true);
  });
});
