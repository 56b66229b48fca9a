// Messages between the app and the terminal page (xterm.js in a WebView, or an iframe on web).
// The page only draws and takes keys; the socket to the agent lives in the app, so the page needs
// no token and no network, and the WebView's origin does not matter to the agent.

import type { LocalEchoMode } from '@perry/client';

import type { BarKey } from './keys';

/** From the page to the app. */
export type PageMessage =
  /** xterm is open at this size: the app may connect. */
  | { type: 'ready'; cols: number; rows: number }
  /** Keystrokes, as UTF-8 text. */
  | { type: 'input'; data: string }
  /** Raw bytes (mouse reports), one per char code. */
  | { type: 'binary'; data: string }
  | { type: 'resize'; cols: number; rows: number }
  /** The Ctrl modifier was used up by a key (or toggled in the page). */
  | { type: 'ctrl'; on: boolean }
  /** Whether the page's local echo shows predictions now (it changed). */
  | { type: 'echo'; active: boolean };

/** From the app to the page. */
export type HostMessage =
  /** Output of the shell, base64. */
  | { type: 'output'; data: string }
  /** Clear the screen and scrollback: a whole replay follows. */
  | { type: 'reset' }
  /** A notice line in the terminal's own colours, e.g. "new shell". */
  | { type: 'notice'; text: string }
  | { type: 'key'; key: BarKey }
  | { type: 'ctrl'; on: boolean }
  | { type: 'focus' }
  /** The person's local echo setting (at ready, and when it changes). */
  | { type: 'echo'; mode: LocalEchoMode; thresholdMs: number }
  /** Whether keys reach a shell now: only then are they predicted. */
  | { type: 'link'; attached: boolean }
  /** The smoothed round trip (ms), for local echo's auto mode. */
  | { type: 'roundTrip'; ms: number };

const isNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);

/** A message from the page, or null for anything else (other frames' messages on web). */
export function parsePageMessage(raw: unknown): PageMessage | null {
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      return null;
    }
  }
  if (typeof value !== 'object' || value === null) return null;
  const message = value as Record<string, unknown>;
  switch (message.type) {
    case 'ready':
    case 'resize':
      return isNumber(message.cols) && isNumber(message.rows) && message.cols > 0 && message.rows > 0
        ? { type: message.type, cols: message.cols, rows: message.rows }
        : null;
    case 'input':
    case 'binary':
      return typeof message.data === 'string' ? { type: message.type, data: message.data } : null;
    case 'ctrl':
      return typeof message.on === 'boolean' ? { type: 'ctrl', on: message.on } : null;
    case 'echo':
      return typeof message.active === 'boolean' ? { type: 'echo', active: message.active } : null;
    default:
      return null;
  }
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Base64 of `bytes`, without btoa (which Hermes only has for Latin-1 strings). */
export function bytesToBase64(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += `${ALPHABET[n >> 18]!}${ALPHABET[(n >> 12) & 63]!}==`;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += `${ALPHABET[n >> 18]!}${ALPHABET[(n >> 12) & 63]!}${ALPHABET[(n >> 6) & 63]!}=`;
  }
  return out;
}

/** The bytes of base64 `text` (the page's side; atob exists in every WebView). */
export function base64ToBytes(text: string, decode: (text: string) => string = atob): Uint8Array {
  const binary = decode(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
  return bytes;
}
