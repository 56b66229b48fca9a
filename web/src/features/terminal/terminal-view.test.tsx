// The terminal's wiring, with xterm.js and LocalEcho replaced by stand-ins that record what they
// are told (jsdom cannot run xterm.js; LocalEcho has its own tests in clients/ts) and a fake socket.
import { act, render, screen } from '@testing-library/react';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

import { ApiProvider } from '@/lib/api';

import { saveEchoSettings } from './echo-settings';
import TerminalView, { cursorLineText } from './terminal-view';

// Hoisted with the mocks below, which use them.
const { log, FakeTerminal, FakeLocalEcho, FakeSocket } = vi.hoisted(() => {
  const log: string[] = [];

  /** Just enough of xterm's Terminal for the view, with a buffer the test sets. */
  class FakeTerminal {
    static last: FakeTerminal | null = null;
    cols = 80;
    rows = 24;
    line = '';
    readonly data: ((value: string) => void)[] = [];
    readonly parsed: (() => void)[] = [];
    buffer = {
      active: {
        baseY: 100,
        cursorY: 3,
        getLine: (y: number) => (y === 103 ? { translateToString: () => this.line } : undefined),
      },
    };
    constructor() {
      FakeTerminal.last = this;
    }
    loadAddon() {}
    open() {}
    focus() {}
    dispose() {
      log.push('terminal disposed');
    }
    write(data: unknown) {
      log.push(`terminal.write ${String(data)}`);
    }
    onData(listener: (value: string) => void) {
      this.data.push(listener);
      return { dispose() {} };
    }
    onBinary() {
      return { dispose() {} };
    }
    onWriteParsed(listener: () => void) {
      this.parsed.push(listener);
      return { dispose() {} };
    }
    type(data: string) {
      for (const listener of this.data) listener(data);
    }
    parse(line: string) {
      this.line = line;
      for (const listener of this.parsed) listener();
    }
  }

  /** Records what the view tells LocalEcho; `active` follows mode and round trip as the real one's does. */
  class FakeLocalEcho {
    static last: FakeLocalEcho | null = null;
    mode: string;
    thresholdMs: number;
    roundTrip = 0;
    readonly output: string[] = [];
    constructor(
      readonly terminal: FakeTerminal,
      options: { mode: string; thresholdMs: number },
    ) {
      this.mode = options.mode;
      this.thresholdMs = options.thresholdMs;
      FakeLocalEcho.last = this;
    }
    get active() {
      return this.mode === 'always' || (this.mode === 'auto' && this.roundTrip > this.thresholdMs);
    }
    onInput(data: string) {
      log.push(`echo.onInput ${data}`);
    }
    onOutput(data: Uint8Array | string) {
      this.output.push(typeof data === 'string' ? data : new TextDecoder().decode(data));
    }
    setRoundTrip(ms: number) {
      this.roundTrip = ms;
    }
    setMode(mode: string) {
      this.mode = mode;
    }
    setThreshold(ms: number) {
      this.thresholdMs = ms;
    }
    dispose() {
      log.push('echo disposed');
    }
  }

  class FakeSocket {
    static last: FakeSocket | null = null;
    readyState = 0;
    binaryType = 'blob';
    onopen: (() => void) | null = null;
    onmessage: ((event: { data: unknown }) => void) | null = null;
    onclose: ((event: { code: number; reason: string }) => void) | null = null;
    constructor(readonly url: string) {
      FakeSocket.last = this;
    }
    send(data: string | Uint8Array) {
      log.push(typeof data === 'string' ? `socket.send ${data}` : `socket.send bytes ${new TextDecoder().decode(data)}`);
    }
    close() {
      this.readyState = 3;
    }
    attach() {
      this.readyState = 1;
      this.onopen?.();
      this.onmessage?.({ data: JSON.stringify({ type: 'attached', id: 't-1', cols: 80, rows: 24, replayedBytes: 0, offset: 0, pings: true }) });
    }
    control(message: object) {
      this.onmessage?.({ data: JSON.stringify(message) });
    }
    output(text: string) {
      this.onmessage?.({ data: new TextEncoder().encode(text).buffer });
    }
  }

  return { log, FakeTerminal, FakeLocalEcho, FakeSocket };
});

vi.mock('@xterm/xterm', () => ({ Terminal: FakeTerminal }));
vi.mock('@xterm/addon-fit', () => ({ FitAddon: class { fit() {} } }));
vi.mock('@perry/client', async (importOriginal) => ({ ...(await importOriginal<object>()), LocalEcho: FakeLocalEcho }));

beforeEach(() => {
  log.length = 0;
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance', 'requestAnimationFrame', 'cancelAnimationFrame'] });
  vi.stubGlobal('WebSocket', FakeSocket);
  vi.stubGlobal('matchMedia', () => ({ matches: false }));
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

/** A terminal view, started (its font wait is over) and attached to shell t-1. */
async function attachedView() {
  const view = render(
    <ApiProvider token="tok">
      <TerminalView workspace="alpha" token="tok" terminalId={null} active label="Terminal: Shell 1" onTerminalId={() => undefined} diagnose={async () => 'retry'} />
    </ApiProvider>,
  );
  await act(() => vi.advanceTimersByTimeAsync(0));
  const socket = FakeSocket.last!;
  act(() => socket.attach());
  log.length = 0;
  return { view, socket, term: FakeTerminal.last!, echo: FakeLocalEcho.last!, region: screen.getByRole('region', { name: 'Terminal: Shell 1' }) };
}

describe('TerminalView', () => {
  it('tells local echo each keystroke just before it is sent', async () => {
    const { term } = await attachedView();
    term.type('l');
    expect(log).toEqual(['echo.onInput l', 'socket.send bytes l']);
  });

  it('predicts nothing while keystrokes are not sent (not attached yet)', async () => {
    render(
      <ApiProvider token="tok">
        <TerminalView workspace="alpha" token="tok" terminalId={null} active label="Terminal: Shell 1" onTerminalId={() => undefined} diagnose={async () => 'retry'} />
      </ApiProvider>,
    );
    await act(() => vi.advanceTimersByTimeAsync(0));
    FakeTerminal.last!.type('x');
    expect(log.filter((entry) => entry.includes('onInput') || entry.includes('bytes'))).toEqual([]);
  });

  it('writes output through local echo, never straight to the terminal', async () => {
    const { socket, echo } = await attachedView();
    socket.output('hello\r\n');
    expect(echo.output).toEqual(['hello\r\n']);
    expect(log.some((entry) => entry.startsWith('terminal.write'))).toBe(false);
  });

  it('shows where the agent skipped output, in line with it', async () => {
    const { socket, echo } = await attachedView();
    socket.output('before');
    socket.control({ type: 'dropped', bytes: 8_200_000 });
    socket.output('after');
    expect(echo.output).toEqual(['before', '\r\n\x1b[2m── 8.2 MB of output skipped ──\x1b[0m\r\n', 'after']);
  });

  it('shows the round trip on its dot and data attributes, and gives it to local echo', async () => {
    const { socket, echo, region } = await attachedView();
    const dot = screen.getByRole('img');
    expect(dot).toHaveAccessibleName('Round trip not measured yet');
    expect(region).not.toHaveAttribute('data-rtt-ms');
    expect(log).toEqual([]);
    // The first ping went out on attach; its pong comes 120 ms later.
    await act(() => vi.advanceTimersByTimeAsync(120));
    act(() => socket.control({ type: 'pong', id: 1 }));
    expect(echo.roundTrip).toBe(120);
    expect(region).toHaveAttribute('data-rtt-ms', '120');
    expect(region).toHaveAttribute('data-local-echo', 'on');
    expect(dot).toHaveAttribute('data-quality', 'fair');
    expect(dot).toHaveAccessibleName('Round trip 120 ms · typing shown before the shell echoes it');
  });

  it('follows a change of the setting at once', async () => {
    const { socket, echo, region } = await attachedView();
    await act(() => vi.advanceTimersByTimeAsync(10));
    act(() => socket.control({ type: 'pong', id: 1 }));
    expect(region).toHaveAttribute('data-local-echo', 'off'); // 10 ms is not over 30
    act(() => saveEchoSettings({ mode: 'always', thresholdMs: 30 }));
    expect(echo.mode).toBe('always');
    expect(region).toHaveAttribute('data-local-echo', 'on');
    act(() => saveEchoSettings({ mode: 'auto', thresholdMs: 5 }));
    expect(echo.thresholdMs).toBe(5);
    expect(region).toHaveAttribute('data-local-echo', 'on');
  });

  it('starts local echo with the saved setting', async () => {
    saveEchoSettings({ mode: 'off', thresholdMs: 99 });
    const { echo } = await attachedView();
    expect([echo.mode, echo.thresholdMs]).toEqual(['off', 99]);
  });

  it('says local echo is on from the start when it always is, before any round trip', async () => {
    saveEchoSettings({ mode: 'always', thresholdMs: 30 });
    const { region } = await attachedView();
    expect(region).toHaveAttribute('data-local-echo', 'on');
  });

  it('keeps the text of the cursor line in data-cursor-line', async () => {
    const { term, region } = await attachedView();
    act(() => term.parse('$ echo hi'));
    expect(region).toHaveAttribute('data-cursor-line', '$ echo hi');
  });

  it('disposes local echo with the terminal', async () => {
    const { view } = await attachedView();
    view.unmount();
    expect(log).toEqual(['echo disposed', 'terminal disposed']);
  });
});

describe('cursorLineText', () => {
  it('reads the line the cursor is on, below the scrollback', () => {
    const term = new FakeTerminal();
    term.line = 'abc';
    expect(cursorLineText(term as never)).toBe('abc');
    term.buffer.active.cursorY = 4;
    expect(cursorLineText(term as never)).toBe('');
  });
});
