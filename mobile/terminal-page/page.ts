// The terminal page: xterm.js, drawn inside a WebView on phones and an iframe on web. Built into
// one HTML string by scripts/build-terminal-page.mjs. It talks only to the app (src/terminal/
// bridge.ts), which owns the socket to the agent. Typing is echoed locally on a slow link
// (LocalEcho of @perry/client: every keystroke goes through it before it is posted, every output
// through it to the terminal). It imports @perry/client's pieces by their own entries, never the
// index: esbuild would keep the RPC contract it pulls in (about 7 KB), whose building it cannot
// prove free of side effects.
//
// For end-to-end tests and benchmarks, #terminal carries data-rtt-ms (the smoothed round trip the
// app passed on), data-local-echo (on: predictions are shown) and data-cursor-line (the text of
// the cursor's line in xterm's buffer).
import '@xterm/xterm/css/xterm.css';

import { LocalEcho } from '@perry/client/local-echo';
import { noticeLine } from '@perry/client/terminal-notices';
import { TERMINAL_THEME } from '@perry/client/terminal-theme';
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';

import { base64ToBytes, type HostMessage, type PageMessage } from '../src/terminal/bridge';
import { keySequence, withCtrl } from '../src/terminal/keys';

declare global {
  interface Window {
    ReactNativeWebView?: { postMessage(message: string): void };
    perryReceive?: (message: HostMessage) => void;
  }
}

function post(message: PageMessage): void {
  const text = JSON.stringify(message);
  if (window.ReactNativeWebView) window.ReactNativeWebView.postMessage(text);
  else window.parent.postMessage(text, '*');
}

const host = document.getElementById('terminal')!;
const term = new Terminal({
  fontFamily: 'ui-monospace, Menlo, "DejaVu Sans Mono", "Roboto Mono", monospace',
  fontSize: 13,
  lineHeight: 1.1,
  cursorBlink: true,
  scrollback: 5000,
  theme: TERMINAL_THEME,
});
const fit = new FitAddon();
term.loadAddon(fit);
term.open(host);
fit.fit();

// Nothing else writes to the terminal: LocalEcho writes the output and its predictions.
const localEcho = new LocalEcho(term);
/** Whether keys reach a shell now (the app says): keys typed while not attached are dropped there, not predicted. */
let attached = false;
let echoShown = false;

/** Keeps the app and the data attributes told whether predictions are shown. */
function reportEcho(): void {
  host.dataset.localEcho = localEcho.active ? 'on' : 'off';
  if (localEcho.active === echoShown) return;
  echoShown = localEcho.active;
  post({ type: 'echo', active: echoShown });
}
reportEcho();

term.onWriteParsed(() => {
  const buffer = term.buffer.active;
  host.dataset.cursorLine = buffer.getLine(buffer.baseY + buffer.cursorY)?.translateToString(true) ?? '';
});

/** Keystrokes to the shell: shown at once by LocalEcho where it predicts them, then posted. */
function send(data: string): void {
  if (attached) localEcho.onInput(data);
  post({ type: 'input', data });
}

let ctrl = false;
function setCtrl(on: boolean, tellApp: boolean): void {
  ctrl = on;
  if (tellApp) post({ type: 'ctrl', on });
}

function input(data: string): void {
  if (ctrl) {
    setCtrl(false, true);
    send(withCtrl(data));
  } else {
    send(data);
  }
}

term.onData(input);
term.onBinary((data) => post({ type: 'binary', data }));
term.onResize(({ cols, rows }) => post({ type: 'resize', cols, rows }));

function receive(message: HostMessage): void {
  switch (message.type) {
    case 'output':
      localEcho.onOutput(base64ToBytes(message.data));
      break;
    case 'reset':
      // RIS, in line with the output before it (term.reset() would not wait for it).
      localEcho.onOutput('\x1bc');
      break;
    case 'notice':
      localEcho.onOutput(noticeLine(message.text));
      break;
    case 'key':
      term.focus();
      send(keySequence(message.key, term.modes.applicationCursorKeysMode));
      break;
    case 'ctrl':
      setCtrl(message.on, false);
      term.focus();
      break;
    case 'focus':
      term.focus();
      break;
    case 'echo':
      localEcho.setMode(message.mode);
      localEcho.setThreshold(message.thresholdMs);
      reportEcho();
      break;
    case 'link':
      attached = message.attached;
      break;
    case 'roundTrip':
      localEcho.setRoundTrip(message.ms);
      host.dataset.rttMs = String(Math.round(message.ms));
      reportEcho();
      break;
  }
}

// The WebView injects calls to this; an iframe's parent posts messages.
window.perryReceive = receive;
window.addEventListener('message', (event) => {
  if (event.source !== window.parent || window.parent === window) return;
  try {
    receive(JSON.parse(String(event.data)) as HostMessage);
  } catch {
    // Not ours.
  }
});

// Touch scrolling: xterm.js 6.0 has none (xterm.js issue 5489, fixed after 6.0). A vertical drag
// scrolls the scrollback; in a full-screen program (the alternate screen: less, vim, htop) it sends
// arrow keys, as a mouse wheel does there.
let touchY: number | null = null;
let dragged = 0;
host.addEventListener(
  'touchstart',
  (event) => {
    touchY = event.touches.length === 1 ? event.touches[0]!.clientY : null;
    dragged = 0;
  },
  { passive: true },
);
host.addEventListener(
  'touchmove',
  (event) => {
    if (touchY === null || event.touches.length !== 1) return;
    const y = event.touches[0]!.clientY;
    dragged += touchY - y;
    touchY = y;
    const lineHeight = host.clientHeight / term.rows;
    const lines = Math.trunc(dragged / lineHeight);
    if (lines === 0) return;
    dragged -= lines * lineHeight;
    event.preventDefault();
    if (term.buffer.active.type === 'alternate') {
      const key = keySequence(lines > 0 ? 'down' : 'up', term.modes.applicationCursorKeysMode);
      send(key.repeat(Math.abs(lines)));
    } else {
      term.scrollLines(lines);
    }
  },
  { passive: false },
);
host.addEventListener('touchend', () => {
  touchY = null;
});

// Rotation, the keyboard opening, a split screen: the page resizes, the terminal follows.
new ResizeObserver(() => {
  if (host.clientWidth > 0 && host.clientHeight > 0) fit.fit();
}).observe(host);

post({ type: 'ready', cols: term.cols, rows: term.rows });
