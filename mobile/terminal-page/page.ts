// The terminal page: xterm.js, drawn inside a WebView on phones and an iframe on web. Built into
// one HTML string by scripts/build-terminal-page.mjs. It talks only to the app (src/terminal/
// bridge.ts), which owns the socket to the agent.
import '@xterm/xterm/css/xterm.css';

import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';

import { base64ToBytes, type HostMessage, type PageMessage } from '../src/terminal/bridge';
import { keySequence, withCtrl } from '../src/terminal/keys';
import { TERMINAL_THEME } from '../src/terminal/theme';

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

let ctrl = false;
function setCtrl(on: boolean, tellApp: boolean): void {
  ctrl = on;
  if (tellApp) post({ type: 'ctrl', on });
}

function input(data: string): void {
  if (ctrl) {
    setCtrl(false, true);
    post({ type: 'input', data: withCtrl(data) });
  } else {
    post({ type: 'input', data });
  }
}

term.onData(input);
term.onBinary((data) => post({ type: 'binary', data }));
term.onResize(({ cols, rows }) => post({ type: 'resize', cols, rows }));

function receive(message: HostMessage): void {
  switch (message.type) {
    case 'output':
      term.write(base64ToBytes(message.data));
      break;
    case 'notice':
      term.write(`\r\n\x1b[2m── ${message.text} ──\x1b[0m\r\n`);
      break;
    case 'key':
      term.focus();
      post({ type: 'input', data: keySequence(message.key, term.modes.applicationCursorKeysMode) });
      break;
    case 'ctrl':
      setCtrl(message.on, false);
      term.focus();
      break;
    case 'focus':
      term.focus();
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

// Rotation, the keyboard opening, a split screen: the page resizes, the terminal follows.
new ResizeObserver(() => {
  if (host.clientWidth > 0 && host.clientHeight > 0) fit.fit();
}).observe(host);

post({ type: 'ready', cols: term.cols, rows: term.rows });
