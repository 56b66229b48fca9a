import assert from 'node:assert/strict';
import { describe, mock, test } from 'node:test';
import { isDeepStrictEqual } from 'node:util';

import { TerminalConnection, type ConnectionOptions, type ConnectionStatus, type Diagnosis, type RoundTrip } from '../src/index.ts';

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
  /** The control messages sent, parsed, of one type (all without a type). */
  controls(type?: string): Record<string, unknown>[] {
    return this.sent
      .filter((data): data is string => typeof data === 'string')
      .map((text) => JSON.parse(text) as Record<string, unknown>)
      .filter((message) => type === undefined || message.type === type);
  }
  /** The binary frames sent (keystrokes), as text. */
  keys(): string[] {
    return this.sent.filter((data): data is Uint8Array => typeof data !== 'string').map((bytes) => new TextDecoder().decode(bytes));
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
  /** The agent attaches a shell; `pings: false` plays an agent from before pings and acks. */
  attach(id: string, offset = 0, size = { cols: 80, rows: 24 }, pings = true) {
    this.onmessage?.({ data: JSON.stringify({ type: 'attached', id, ...size, replayedBytes: 0, offset, ...(pings ? { pings } : {}) }) });
  }
  output(text: string) {
    this.onmessage?.({ data: new TextEncoder().encode(text).buffer });
  }
  outputBytes(count: number) {
    this.onmessage?.({ data: new Uint8Array(count).fill(0x61).buffer });
  }
  control(message: object) {
    this.onmessage?.({ data: JSON.stringify(message) });
  }
  serverClose(code: number, reason = '') {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  query() {
    return Object.fromEntries(new URL(this.url).searchParams);
  }
}

/** A timer of the fake clock, pending until it fires or is cancelled. */
interface FakeTimer {
  ms: number;
  at: number;
  fire(): void;
}

function setup(overrides: Partial<ConnectionOptions> = {}, diagnosis: Diagnosis = 'retry') {
  const sockets: FakeSocket[] = [];
  const statuses: ConnectionStatus[] = [];
  const output: string[] = [];
  const ids: (string | null)[] = [];
  const roundTrips: RoundTrip[] = [];
  const dropped: number[] = [];
  /** Pending timers, in the order they were set. */
  const timers: FakeTimer[] = [];
  let clock = 0;
  const diagnose = mock.fn(async (_id: string | null) => diagnosis);
  const connection = new TerminalConnection({
    origin: 'http://box:7391',
    workspace: 'alpha',
    token: 'tok',
    terminalId: null,
    cols: 80,
    rows: 24,
    onOutput: (bytes) => {
      output.push(new TextDecoder().decode(bytes));
    },
    onStatus: (status) => statuses.push(status),
    onTerminalId: (id) => ids.push(id),
    onRoundTrip: (roundTrip) => roundTrips.push(roundTrip),
    onDropped: (bytes) => dropped.push(bytes),
    diagnose,
    createSocket: (url) => {
      const socket = new FakeSocket(url);
      sockets.push(socket);
      return socket;
    },
    schedule: (callback, ms) => {
      const timer: FakeTimer = {
        ms,
        at: clock + ms,
        fire() {
          cancel();
          callback();
        },
      };
      const cancel = () => {
        const index = timers.indexOf(timer);
        if (index >= 0) timers.splice(index, 1);
      };
      timers.push(timer);
      return cancel;
    },
    now: () => clock,
    ...overrides,
  });
  const last = () => sockets[sockets.length - 1]!;
  /** Moves the clock on by `ms`, firing the timers that come due, in time order. */
  const advance = (ms: number) => {
    const until = clock + ms;
    for (;;) {
      const due = timers.filter((timer) => timer.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      clock = due.at;
      due.fire();
    }
    clock = until;
  };
  /** A socket opened and attached to `id`. */
  const attached = (id = 't-1') => {
    connection.connect();
    last().open();
    last().attach(id);
    return last();
  };
  return { connection, sockets, statuses, output, ids, roundTrips, dropped, timers, diagnose, last, advance, attached };
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
    const sent = t.last().sent.at(-1);
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
    t.timers[0]!.fire();
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
    t.timers[0]!.fire();
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
    t.timers[0]!.fire();
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
    assert.deepEqual(t.last().controls('resize'), []);
    t.connection.resize(100, 30);
    assert.deepEqual(t.last().controls('resize'), []);
    t.connection.resize(120, 30);
    assert.deepEqual(t.last().controls('resize'), [{ type: 'resize', cols: 120, rows: 30 }]);
  });

  test('gives a reattached shell our size when it differs', () => {
    const t = setup({ terminalId: 't-1' });
    t.connection.connect();
    t.last().open();
    t.last().attach('t-1', 0, { cols: 200, rows: 50 });
    assert.deepEqual(t.last().controls('resize'), [{ type: 'resize', cols: 80, rows: 24 }]);
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

describe('TerminalConnection round trip', () => {
  test('pings once attached, then every second, with increasing ids', () => {
    const t = setup();
    t.connection.connect();
    t.last().open();
    assert.deepEqual(t.last().controls('ping'), [], 'no ping before the agent attached a shell');
    t.last().attach('t-1');
    assert.deepEqual(t.last().controls('ping'), [{ type: 'ping', id: 1 }]);
    t.advance(999);
    assert.equal(t.last().controls('ping').length, 1);
    t.advance(1);
    t.advance(1000);
    assert.deepEqual(
      t.last().controls('ping').map((ping) => ping.id),
      [1, 2, 3],
    );
  });

  test('the first pong sets the round trip, later ones smooth it (7/8 old, 1/8 new)', () => {
    const t = setup();
    const socket = t.attached();
    t.advance(80);
    socket.control({ type: 'pong', id: 1 });
    assert.deepEqual(t.roundTrips, [{ lastMs: 80, smoothedMs: 80, stalled: false }]);
    t.advance(920); // ping 2 at 1000
    t.advance(160);
    socket.control({ type: 'pong', id: 2 });
    assert.deepEqual(t.roundTrips.at(-1), { lastMs: 160, smoothedMs: 90, stalled: false });
  });

  test('ignores pongs it did not ask for, answered already, or older than one answered', () => {
    const t = setup();
    const socket = t.attached(); // ping 1 at 0
    t.advance(1000); // ping 2 at 1000
    t.advance(50);
    socket.control({ type: 'pong', id: 7 });
    assert.deepEqual(t.roundTrips, []);
    // The agent answers only the latest ping it has: 2 answers 1 too.
    socket.control({ type: 'pong', id: 2 });
    assert.deepEqual(t.roundTrips, [{ lastMs: 50, smoothedMs: 50, stalled: false }]);
    socket.control({ type: 'pong', id: 1 });
    socket.control({ type: 'pong', id: 2 });
    assert.equal(t.roundTrips.length, 1);
  });

  test('a pong for a ping of the previous socket says nothing', () => {
    const t = setup();
    const first = t.attached(); // ping 1
    first.serverClose(1006);
    t.timers[0]!.fire();
    t.last().open();
    t.last().attach('t-1'); // ping 2
    first.control({ type: 'pong', id: 1 });
    t.last().control({ type: 'pong', id: 1 });
    assert.deepEqual(t.roundTrips, []);
    t.last().control({ type: 'pong', id: 2 });
    assert.equal(t.roundTrips.length, 1);
  });

  test('while pongs stop coming the round trip grows (the link stalls), then recovers with the next pong', () => {
    const t = setup();
    const socket = t.attached(); // ping 1 at 0
    t.advance(100);
    socket.control({ type: 'pong', id: 1 }); // smoothed 100
    t.advance(900); // ping 2 at 1000, never answered
    t.advance(1000); // waited 1000 ms: slow, not yet a stall (over 1 s is)
    assert.equal(t.roundTrips.length, 1);
    t.advance(1000); // waited 2000 ms
    assert.deepEqual(t.roundTrips.at(-1), { lastMs: 2000, smoothedMs: 2000, stalled: true });
    t.advance(1000);
    assert.deepEqual(t.roundTrips.at(-1), { lastMs: 3000, smoothedMs: 3000, stalled: true });
    t.advance(200);
    socket.control({ type: 'pong', id: 2 });
    assert.deepEqual(t.roundTrips.at(-1), { lastMs: 3200, smoothedMs: (7 / 8) * 100 + 3200 / 8, stalled: false });
  });

  test('a stall is twice the smoothed round trip, not merely over a second, on a slow link', () => {
    const t = setup();
    const socket = t.attached();
    t.advance(900);
    socket.control({ type: 'pong', id: 1 }); // smoothed 900
    t.advance(100); // ping 2 at 1000
    t.advance(1000); // waited 1000
    t.advance(1000); // waited 2000: over 2 × 900 now
    assert.deepEqual(
      t.roundTrips.map((roundTrip) => roundTrip.stalled),
      [false, true],
    );
  });

  test('reports no round trip from a link that never answers, and stops pinging it after 64 pings', () => {
    const t = setup();
    const socket = t.attached();
    t.advance(100_000);
    assert.deepEqual(t.roundTrips, []);
    assert.equal(socket.controls('ping').length, 64);
  });

  test('stops pinging when the socket closes or the tab is disposed', () => {
    const t = setup();
    const socket = t.attached();
    socket.serverClose(1000, 'exit 0');
    t.advance(10_000);
    assert.equal(socket.controls('ping').length, 1);
    assert.equal(t.timers.length, 0);

    const u = setup();
    const other = u.attached();
    u.connection.dispose();
    assert.equal(u.timers.length, 0);
    u.advance(10_000);
    assert.equal(other.controls('ping').length, 1);
  });
});

describe('TerminalConnection with an agent from before pings and acks', () => {
  test('sends it neither (it would type them into the shell)', () => {
    const t = setup();
    t.connection.connect();
    t.last().open();
    t.last().attach('t-1', 0, { cols: 80, rows: 24 }, false);
    t.last().outputBytes(40_000);
    t.advance(5000);
    assert.deepEqual(t.last().controls('ping'), []);
    assert.deepEqual(t.last().controls('ack'), []);
  });
});

describe('TerminalConnection acks', () => {
  test('acks at once when 32 KiB arrived, after handing the output on', () => {
    const t = setup();
    const socket = t.attached();
    const order: string[] = [];
    const send = socket.send.bind(socket);
    socket.send = (data) => {
      if (typeof data === 'string' && data.includes('"ack"')) order.push('ack');
      send(data);
    };
    const output = t.output.push.bind(t.output);
    t.output.push = (...items) => {
      order.push('output');
      return output(...items);
    };
    socket.outputBytes(20_000);
    assert.deepEqual(socket.controls('ack'), []);
    socket.outputBytes(20_000);
    assert.deepEqual(socket.controls('ack'), [{ type: 'ack', bytes: 40_000 }]);
    assert.deepEqual(order, ['output', 'output', 'ack']);
    // Nothing is left unacknowledged, so the timer acks nothing more.
    t.advance(1000);
    assert.equal(socket.controls('ack').length, 1);
  });

  test('acks output a screen writes asynchronously only once it is written', async () => {
    const writes: (() => void)[] = [];
    const t = setup({ onOutput: () => new Promise<void>((written) => writes.push(written)) });
    const socket = t.attached();
    socket.outputBytes(40_000);
    await Promise.resolve();
    assert.deepEqual(socket.controls('ack'), [], 'not acked while the screen still parses it');
    writes.shift()!();
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(socket.controls('ack'), [{ type: 'ack', bytes: 40_000 }]);
  });

  test('acks what is left 100 ms after output that did not reach 32 KiB', () => {
    const t = setup();
    const socket = t.attached();
    socket.outputBytes(10);
    t.advance(60);
    socket.outputBytes(5);
    t.advance(39);
    assert.deepEqual(socket.controls('ack'), []);
    t.advance(1);
    assert.deepEqual(socket.controls('ack'), [{ type: 'ack', bytes: 15 }]);
  });

  test('acks every byte it got, whatever the frames (nothing stays unacked for long)', () => {
    const t = setup();
    const socket = t.attached();
    let seed = 7;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    let total = 0;
    for (let i = 0; i < 500; i += 1) {
      const size = Math.floor(random() * 70_000);
      total += size;
      socket.outputBytes(size);
      t.advance(Math.floor(random() * 150));
      const acked = socket.controls('ack').reduce((sum, ack) => sum + (ack.bytes as number), 0);
      assert.ok(total - acked < 32 * 1024 || t.timers.some((timer) => timer.ms === 100), 'unacked output without a timer to ack it');
    }
    t.advance(100);
    const acked = socket.controls('ack').reduce((sum, ack) => sum + (ack.bytes as number), 0);
    assert.equal(acked, total);
    assert.ok(socket.controls('ack').every((ack) => Number.isInteger(ack.bytes) && (ack.bytes as number) > 0));
  });

  test('a new socket starts its own count; nothing is acked on a closed one', () => {
    const t = setup();
    const first = t.attached();
    first.outputBytes(1000);
    first.serverClose(1006);
    t.advance(200);
    assert.deepEqual(first.controls('ack'), []);
    t.timers[0]?.fire();
    t.last().open();
    t.last().attach('t-1', 1000);
    t.last().outputBytes(300);
    t.advance(100);
    assert.deepEqual(t.last().controls('ack'), [{ type: 'ack', bytes: 300 }]);
  });
});

describe('TerminalConnection skipped output', () => {
  test('tells the screen how many bytes the agent skipped', () => {
    const t = setup();
    const socket = t.attached();
    socket.control({ type: 'dropped', bytes: 8_200_000 });
    assert.deepEqual(t.dropped, [8_200_000]);
  });

  test('says whether keystrokes reach a shell', () => {
    const t = setup();
    t.connection.connect();
    assert.equal(t.connection.attached, false);
    t.last().open();
    assert.equal(t.connection.attached, false);
    t.last().attach('t-1');
    assert.equal(t.connection.attached, true);
    t.last().serverClose(1006);
    assert.equal(t.connection.attached, false);
  });
});
