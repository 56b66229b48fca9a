/**
 * @jest-environment jsdom
 */
// The terminal page's glue (terminal-page/page.ts) in jsdom, with xterm.js and LocalEcho replaced
// by stand-ins that record what they are told: keystrokes go through LocalEcho before they are
// posted to the app, output and notices through it to the terminal, and the app's round trip and
// setting reach it. The real page runs in Chromium (web/e2e/mobile-*.e2e.ts).
import type { HostMessage, PageMessage } from '../src/terminal/bridge';

const mockLog: string[] = [];

class MockTerminal {
  static last: MockTerminal;
  cols = 80;
  rows = 24;
  line = '';
  modes = { applicationCursorKeysMode: false };
  data: ((data: string) => void)[] = [];
  parsed: (() => void)[] = [];
  buffer = { active: { type: 'normal', baseY: 10, cursorY: 2, getLine: (y: number) => (y === 12 ? { translateToString: () => this.line } : undefined) } };
  constructor() {
    MockTerminal.last = this;
  }
  loadAddon() {}
  open() {}
  focus() {}
  reset() {
    mockLog.push('term.reset');
  }
  write(data: unknown) {
    mockLog.push(`term.write ${String(data)}`);
  }
  scrollLines() {}
  onData(listener: (data: string) => void) {
    this.data.push(listener);
  }
  onBinary() {}
  onResize() {}
  onWriteParsed(listener: () => void) {
    this.parsed.push(listener);
  }
}

class MockLocalEcho {
  static last: MockLocalEcho;
  mode = 'auto';
  thresholdMs = 30;
  roundTrip = 0;
  constructor() {
    MockLocalEcho.last = this;
  }
  get active() {
    return this.mode === 'always' || (this.mode === 'auto' && this.roundTrip > this.thresholdMs);
  }
  onInput(data: string) {
    mockLog.push(`echo.onInput ${data}`);
  }
  onOutput(data: Uint8Array | string) {
    mockLog.push(`echo.onOutput ${typeof data === 'string' ? data : new TextDecoder().decode(data)}`);
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
}

jest.mock('@xterm/xterm/css/xterm.css', () => ({}));
jest.mock('@xterm/xterm', () => ({ Terminal: MockTerminal }));
jest.mock('@xterm/addon-fit', () => ({ FitAddon: class { fit() {} } }));
jest.mock('@perry/client/local-echo', () => ({ LocalEcho: MockLocalEcho }));

let posted: PageMessage[] = [];

function host(): HTMLElement {
  return document.getElementById('terminal')!;
}

/** A fresh page, as the WebView loads it. */
function loadPage() {
  document.body.innerHTML = '<div id="terminal"></div>';
  posted = [];
  mockLog.length = 0;
  window.ReactNativeWebView = { postMessage: (text: string) => posted.push(JSON.parse(text) as PageMessage) };
  (globalThis as unknown as { ResizeObserver: unknown }).ResizeObserver = class {
    observe() {}
  };
  jest.isolateModules(() => {
    jest.requireActual('../terminal-page/page');
  });
  return { term: MockTerminal.last, echo: MockLocalEcho.last };
}

function receive(message: HostMessage) {
  window.perryReceive?.(message);
}

const btoaText = (text: string) => btoa(text);

describe('the terminal page', () => {
  it('predicts keys only while they reach a shell, then posts them', () => {
    const { term } = loadPage();
    expect(posted).toContainEqual({ type: 'ready', cols: 80, rows: 24 });
    term.data.forEach((listener) => listener('a'));
    expect(mockLog).toEqual([]);
    expect(posted.at(-1)).toEqual({ type: 'input', data: 'a' });
    receive({ type: 'link', attached: true });
    term.data.forEach((listener) => listener('b'));
    expect(mockLog).toEqual(['echo.onInput b']);
    expect(posted.at(-1)).toEqual({ type: 'input', data: 'b' });
  });

  it('sends the key bar’s keys through local echo too', () => {
    loadPage();
    receive({ type: 'link', attached: true });
    receive({ type: 'key', key: 'left' });
    expect(mockLog).toEqual(['echo.onInput \x1b[D']);
    expect(posted.at(-1)).toEqual({ type: 'input', data: '\x1b[D' });
  });

  it('writes output, notices and resets through local echo, in order, never straight to xterm', () => {
    loadPage();
    receive({ type: 'output', data: btoaText('hello') });
    receive({ type: 'notice', text: '8.2 MB of output skipped' });
    receive({ type: 'reset' });
    expect(mockLog).toEqual(['echo.onOutput hello', 'echo.onOutput \r\n\x1b[2m── 8.2 MB of output skipped ──\x1b[0m\r\n', 'echo.onOutput \x1bc']);
  });

  it('follows the setting and the round trip, and tells the app when predictions show', () => {
    const { echo } = loadPage();
    expect(host().dataset.localEcho).toBe('off');
    receive({ type: 'echo', mode: 'auto', thresholdMs: 50 });
    expect([echo.mode, echo.thresholdMs]).toEqual(['auto', 50]);
    receive({ type: 'roundTrip', ms: 80.4 });
    expect(echo.roundTrip).toBe(80.4);
    expect(host().dataset.rttMs).toBe('80');
    expect(host().dataset.localEcho).toBe('on');
    expect(posted.filter((message) => message.type === 'echo')).toEqual([{ type: 'echo', active: true }]);
    receive({ type: 'roundTrip', ms: 90 });
    expect(posted.filter((message) => message.type === 'echo')).toHaveLength(1); // told once per change
    receive({ type: 'echo', mode: 'off', thresholdMs: 50 });
    expect(posted.filter((message) => message.type === 'echo').at(-1)).toEqual({ type: 'echo', active: false });
    expect(host().dataset.localEcho).toBe('off');
  });

  it('keeps the cursor line’s text in data-cursor-line', () => {
    const { term } = loadPage();
    term.line = '$ ls';
    term.parsed.forEach((listener) => listener());
    expect(host().dataset.cursorLine).toBe('$ ls');
  });
});
