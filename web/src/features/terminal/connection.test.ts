import { describe, expect, it, vi } from 'vitest';

import { TerminalConnection, type ConnectionOptions, type ConnectionStatus, type Diagnosis } from '@perry/client';

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
  const diagnose = vi.fn(async (_id: string | null) => diagnosis);
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
  it('opens a new shell, reports its id, shows output and sends keys as binary', () => {
    const t = setup();
    t.connection.connect();
    expect(t.last().query()).toEqual({ token: 'tok', cols: '80', rows: '24' });
    t.last().open();
    t.last().attach('t-1');
    t.last().output('hello-42\r\n');
    expect(t.ids).toEqual(['t-1']);
    expect(t.output).toEqual(['hello-42\r\n']);
    expect(t.statuses.at(-1)).toEqual({ kind: 'open' });
    t.connection.sendInput('ls\r');
    const sent = t.last().sent[0];
    expect(ArrayBuffer.isView(sent)).toBe(true); // a binary frame, not text
    expect(new TextDecoder().decode(sent as Uint8Array)).toBe('ls\r');
  });

  it('reattaches to a remembered shell with a full replay (after a page reload)', () => {
    const t = setup({ terminalId: 't-7' });
    t.connection.connect();
    expect(t.last().query()).toMatchObject({ terminal: 't-7' });
    expect(t.last().query()).not.toHaveProperty('since');
  });

  it('after a drop, reconnects to the same shell asking only for unseen output', () => {
    const t = setup();
    t.connection.connect();
    t.last().open();
    t.last().attach('t-1', 100);
    t.last().output('12345');
    t.last().serverClose(1006);
    expect(t.statuses.at(-1)).toEqual({ kind: 'connecting', attempt: 1 });
    expect(t.timers).toHaveLength(1);
    expect(t.timers[0]!.ms).toBe(250);
    t.timers[0]!.callback();
    expect(t.sockets).toHaveLength(2);
    expect(t.last().query()).toMatchObject({ terminal: 't-1', since: '105' });
  });

  it('counts skipped bytes when resuming', () => {
    const t = setup();
    t.connection.connect();
    t.last().open();
    t.last().attach('t-1', 0);
    t.last().output('ab');
    t.last().onmessage?.({ data: '{"type":"dropped","bytes":1000}' });
    t.last().serverClose(1006);
    t.timers[0]!.callback();
    expect(t.last().query().since).toBe('1002');
  });

  it('does not reconnect when the shell exits, and can start a new shell', () => {
    const t = setup();
    t.connection.connect();
    t.last().open();
    t.last().attach('t-1');
    t.last().serverClose(1000, 'exit 3');
    expect(t.statuses.at(-1)).toEqual({ kind: 'exited', exitCode: 3 });
    expect(t.timers).toHaveLength(0);
    expect(t.ids).toEqual(['t-1', null]);
    t.connection.startNewShell();
    expect(t.sockets).toHaveLength(2);
    expect(t.last().query()).not.toHaveProperty('terminal');
  });

  it('runs the tab\'s command in its first terminal only; after it exits a new shell is a login shell', () => {
    const t = setup({ command: ['bash', '-lc', 'claude --resume s1'] });
    t.connection.connect();
    expect(JSON.parse(t.last().query().cmd!)).toEqual(['bash', '-lc', 'claude --resume s1']);
    t.last().open();
    t.last().attach('t-1');
    // A drop reattaches to the same terminal: the command is not run again.
    t.last().serverClose(1006);
    t.timers[0]!.callback();
    expect(t.last().query()).toMatchObject({ terminal: 't-1' });
    expect(t.last().query()).not.toHaveProperty('cmd');
    t.last().open();
    t.last().attach('t-1');
    t.last().serverClose(1000, 'exit 0');
    expect(t.statuses.at(-1)).toEqual({ kind: 'exited', exitCode: 0 });
    t.connection.startNewShell();
    expect(t.last().query()).not.toHaveProperty('cmd');
    expect(t.last().query()).not.toHaveProperty('terminal');
  });

  it('does not reconnect when the workspace stops', () => {
    const t = setup();
    t.connection.connect();
    t.last().open();
    t.last().attach('t-1');
    t.last().serverClose(1001, 'workspace stopped');
    expect(t.statuses.at(-1)).toEqual({ kind: 'stopped' });
    expect(t.timers).toHaveLength(0);
  });

  it('opens a fresh shell when the remembered one is gone (404 on reattach)', async () => {
    const t = setup({ terminalId: 't-old' }, 'fresh');
    t.connection.connect();
    t.last().serverClose(1006); // refused before opening
    await flush();
    expect(t.diagnose).toHaveBeenCalledWith('t-old');
    expect(t.ids).toEqual([null]);
    expect(t.sockets).toHaveLength(2);
    expect(t.last().query()).not.toHaveProperty('terminal');
  });

  it('says the workspace is stopped when the upgrade is refused for that reason (409)', async () => {
    const t = setup({}, 'stopped');
    t.connection.connect();
    t.last().serverClose(1006);
    await flush();
    expect(t.statuses.at(-1)).toEqual({ kind: 'stopped' });
    expect(t.sockets).toHaveLength(1);
  });

  it('sends resizes only while attached and only when the size changes', () => {
    const t = setup();
    t.connection.connect();
    t.connection.resize(100, 30); // not attached yet: remembered for the URL
    t.last().open();
    t.last().attach('t-1', 0, { cols: 100, rows: 30 });
    expect(t.last().sent).toEqual([]);
    t.connection.resize(100, 30);
    expect(t.last().sent).toEqual([]);
    t.connection.resize(120, 30);
    expect(t.last().sent).toEqual(['{"type":"resize","cols":120,"rows":30}']);
  });

  it('gives a reattached shell our size when it differs', () => {
    const t = setup({ terminalId: 't-1' });
    t.connection.connect();
    t.last().open();
    t.last().attach('t-1', 0, { cols: 200, rows: 50 });
    expect(t.last().sent).toEqual(['{"type":"resize","cols":80,"rows":24}']);
  });

  it('stops everything on dispose', () => {
    const t = setup();
    t.connection.connect();
    t.last().open();
    t.connection.dispose();
    expect(t.last().closedByClient).toBe(true);
    t.last().serverClose(1006);
    expect(t.timers).toHaveLength(0);
  });
});
