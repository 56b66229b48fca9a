// The terminal WebSocket protocol of the agent (`/terminal/<workspace>`), and what a terminal
// screen shows of it (the round trip, skipped output, the local echo preference), as pure
// functions: no DOM and no React, shared by the web UI and the phone app.

import type { TerminalControl } from './api.gen.ts';
import type { LocalEchoMode } from './local-echo.ts';
import type { ConnectionStatus } from './terminal-connection.ts';
import { isTokenRevoked } from './socket.ts';

export interface TerminalUrlOptions {
  /**
   * The agent's base URL, e.g. `https://box:7391` (a peer relayed by it: `https://box:7391/peers/closet`);
   * http becomes ws, https becomes wss.
   */
  origin: string;
  workspace: string;
  /** Browsers cannot set headers on a WebSocket, so the token travels in the query. */
  token: string | null;
  cols: number;
  rows: number;
  /** Reattach to this shell instead of opening a new one. */
  terminalId?: string | null | undefined;
  /** Replay only output from this absolute offset on (what the client has not seen yet). */
  since?: number | null | undefined;
  /**
   * Run this program instead of the login shell (`cmd`, a JSON array; the agent runs it through
   * `bash -l` as user workspace in /home/workspace). Only for a new terminal, not a reattach.
   */
  command?: readonly string[] | null | undefined;
}

export function terminalSocketUrl(options: TerminalUrlOptions): string {
  const url = new URL(options.origin);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  // A base path is kept: a peer relayed by the page's agent is `<origin>/peers/<name>`.
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/terminal/${encodeURIComponent(options.workspace)}`;
  url.search = '';
  url.hash = '';
  if (options.token) url.searchParams.set('token', options.token);
  url.searchParams.set('cols', String(Math.max(1, Math.floor(options.cols))));
  url.searchParams.set('rows', String(Math.max(1, Math.floor(options.rows))));
  if (options.terminalId) url.searchParams.set('terminal', options.terminalId);
  if (options.terminalId && options.since !== null && options.since !== undefined && options.since > 0) {
    url.searchParams.set('since', String(Math.floor(options.since)));
  }
  if (!options.terminalId && options.command && options.command.length > 0) {
    url.searchParams.set('cmd', JSON.stringify(options.command));
  }
  return url.toString();
}

/** A text frame from the server as a control message, or null when it is not one we know. */
export function parseControl(text: string): TerminalControl | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null || !('type' in value)) return null;
  const message = value as Record<string, unknown>;
  const isNumber = (key: string) => typeof message[key] === 'number';
  // Ping ids and ack counts are the agent's u32.
  const isCount = (key: string) => {
    const field = message[key];
    return typeof field === 'number' && Number.isInteger(field) && field >= 0 && field <= MAX_U32;
  };
  switch (message.type) {
    case 'attached':
      return typeof message.id === 'string' && isNumber('cols') && isNumber('rows') && isNumber('replayedBytes') && isNumber('offset')
        ? (message as TerminalControl)
        : null;
    case 'dropped':
      return isNumber('bytes') ? (message as TerminalControl) : null;
    case 'resize':
      return isNumber('cols') && isNumber('rows') ? (message as TerminalControl) : null;
    case 'ping':
    case 'pong':
      return isCount('id') ? (message as TerminalControl) : null;
    case 'ack':
      return isCount('bytes') ? (message as TerminalControl) : null;
    default:
      return null;
  }
}

export function resizeMessage(cols: number, rows: number): string {
  const message: TerminalControl = { type: 'resize', cols, rows };
  return JSON.stringify(message);
}

/** What a closed socket means for the tab that showed it. */
export type CloseOutcome =
  /** The shell ended (close 1000, reason "exit N"): do not reconnect, offer a new shell. */
  | { kind: 'exited'; exitCode: number | null }
  /** The workspace stopped or the agent is shutting down (1001): do not reconnect. */
  | { kind: 'stopped' }
  /**
   * The upgrade failed before the socket opened. Browsers hide the HTTP status (404 unknown
   * workspace or terminal, 409 not running), so the caller asks the API what happened.
   */
  | { kind: 'refused' }
  /** The connection dropped (network, proxy, agent restart): reconnect and resume. */
  | { kind: 'dropped' }
  /** The token it was opened with was rotated away (4001): reconnecting with it cannot work. */
  | { kind: 'revoked' };

export function classifyClose(code: number, reason: string, opened: boolean): CloseOutcome {
  if (isTokenRevoked(code)) return { kind: 'revoked' };
  if (code === 1000) {
    const match = /^exit (-?\d+)$/.exec(reason.trim());
    return { kind: 'exited', exitCode: match?.[1] !== undefined ? Number(match[1]) : null };
  }
  if (code === 1001) return { kind: 'stopped' };
  if (!opened) return { kind: 'refused' };
  return { kind: 'dropped' };
}

/** Reconnect delays: quick at first (a blip), then backing off to every 8 s. */
export function reconnectDelay(attempt: number): number {
  return Math.min(250 * 2 ** Math.max(0, attempt), 8_000);
}

/**
 * Where to resume after a drop: the offset of the first byte of this attachment, plus every
 * byte received since and every byte the server said it skipped.
 */
export function resumeOffset(attachedOffset: number, receivedBytes: number, droppedBytes: number): number {
  return attachedOffset + receivedBytes + droppedBytes;
}

const MAX_U32 = 0xffff_ffff;

/** The id after `id`: ping ids are the agent's u32, so they wrap to 0 after 2³²−1. */
export function nextPingId(id: number): number {
  return id >= MAX_U32 ? 0 : id + 1;
}

/** A ping the agent answers at once with a pong of the same id. */
export function pingMessage(id: number): string {
  const message: TerminalControl = { type: 'ping', id };
  return JSON.stringify(message);
}

/** Tells the agent that `bytes` more output bytes arrived since the last ack (its flow control). */
export function ackMessage(bytes: number): string {
  const message: TerminalControl = { type: 'ack', bytes };
  return JSON.stringify(message);
}

// Round trip and flow control (issue #22). A client pings every second while attached; the pongs
// give the round trip that the indicator shows and that decides whether typing is echoed locally.
// A client that acks once gets flow control: the agent keeps at most ~512 KiB of unacknowledged
// output in flight, so Ctrl-C during a flood is answered quickly, as long as the client acks
// reliably: every 32 KiB, and what is left once output pauses.

/** How often a client pings while attached. */
export const PING_INTERVAL_MS = 1_000;
/** Output bytes a client lets arrive before it acks them... */
export const ACK_EVERY_BYTES = 32 * 1024;
/** ...and how long it lets fewer stay unacknowledged. */
export const ACK_AFTER_MS = 100;
/** A ping unanswered this long (and for twice the smoothed round trip) means the link stalls. */
export const STALL_AFTER_MS = 1_000;

/** What a client knows of its link's round trip (milliseconds). */
export interface RoundTrip {
  /** The last sample; while the link stalls, how long the oldest ping has gone unanswered. */
  lastMs: number;
  /** Smoothed as TCP (RFC 6298) and mosh do; while the link stalls, at least `lastMs`. */
  smoothedMs: number;
  /** A ping has gone unanswered for over twice the smoothed round trip and over a second. */
  stalled: boolean;
}

/** The smoothed round trip after `sampleMs`: the first sample sets it, then srtt = 7/8·srtt + 1/8·sample. */
export function smoothRoundTrip(smoothedMs: number | null, sampleMs: number): number {
  return smoothedMs === null ? sampleMs : (7 / 8) * smoothedMs + (1 / 8) * sampleMs;
}

/** Whether a ping unanswered for `waitedMs` means the link stalls (rather than is merely slow). */
export function isStalled(waitedMs: number, smoothedMs: number): boolean {
  return waitedMs > 2 * smoothedMs && waitedMs > STALL_AFTER_MS;
}

/** How a terminal's round-trip indicator looks: grey (`unknown`), green, yellow or red. */
export type RoundTripQuality = 'unknown' | 'good' | 'fair' | 'poor';

/**
 * The indicator of a terminal whose connection is `status`: grey unless attached and measured,
 * then green under 80 ms, yellow under 250 ms, red from 250 ms on or while the link stalls.
 */
export function linkQuality(status: ConnectionStatus['kind'], roundTrip: RoundTrip | null): RoundTripQuality {
  if (status !== 'open' || roundTrip === null) return 'unknown';
  if (roundTrip.stalled || roundTrip.smoothedMs >= 250) return 'poor';
  return roundTrip.smoothedMs < 80 ? 'good' : 'fair';
}

/** The indicator's words (its tooltip and accessible name), e.g. "Round trip 42 ms". */
export function describeLink(status: ConnectionStatus['kind'], roundTrip: RoundTrip | null, localEcho: boolean): string {
  if (status === 'connecting') return 'Connecting…';
  if (status !== 'open') return 'Not connected';
  const words =
    roundTrip === null
      ? 'Round trip not measured yet'
      : roundTrip.stalled
        ? `No answer for ${(roundTrip.lastMs / 1000).toFixed(1)} s: the link stalls`
        : `Round trip ${Math.round(roundTrip.smoothedMs)} ms`;
  return localEcho ? `${words} · typing shown before the shell echoes it` : words;
}

/** A line a terminal shows between outputs, dim and set apart: `── new shell ──`. */
export function noticeLine(text: string): string {
  return `\r\n\x1b[2m── ${text} ──\x1b[0m\r\n`;
}

/**
 * What a terminal says where the agent skipped output (`dropped`: the client was far behind, or
 * the user typed while it was), e.g. "8.2 MB of output skipped".
 */
export function skippedOutputNotice(bytes: number): string {
  return `${byteCount(bytes)} of output skipped`;
}

/** A byte count for people, in decimal units: "512 bytes", "8.2 MB", "120 MB". */
function byteCount(bytes: number): string {
  if (bytes < 1000) return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let value = bytes / 1000;
  let unit = 0;
  while (value >= 999.95 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value < 99.95 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}

/** A person's choice of local echo (LocalEcho's options), as both apps keep it on the device. */
export interface LocalEchoSettings {
  /** auto: only while the round trip is over the threshold; always; off. */
  mode: LocalEchoMode;
  /** In auto mode, the smoothed round trip (ms) over which typing is shown before its echo. */
  thresholdMs: number;
}

export const DEFAULT_LOCAL_ECHO: LocalEchoSettings = { mode: 'auto', thresholdMs: 30 };

/** The modes in the order settings offer them, with their words there. */
export const LOCAL_ECHO_MODES: readonly { mode: LocalEchoMode; label: string }[] = [
  { mode: 'auto', label: 'On a slow link' },
  { mode: 'always', label: 'Always' },
  { mode: 'off', label: 'Never' },
];

/** The longest threshold settings take: beyond it auto would hardly ever show predictions. */
export const MAX_ECHO_THRESHOLD_MS = 5_000;

export function isLocalEchoMode(value: unknown): value is LocalEchoMode {
  return LOCAL_ECHO_MODES.some((option) => option.mode === value);
}

/** Whole milliseconds from 0 to MAX_ECHO_THRESHOLD_MS. */
export function isEchoThreshold(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_ECHO_THRESHOLD_MS;
}

/** Settings read back from storage (JSON text): a field missing or wrong takes `fallback`'s. */
export function parseLocalEchoSettings(text: string | null, fallback: LocalEchoSettings = DEFAULT_LOCAL_ECHO): LocalEchoSettings {
  let value: unknown = null;
  try {
    value = JSON.parse(text ?? 'null');
  } catch {
    // A hand edit gone wrong: the fallback, until settings save a good one.
  }
  if (typeof value !== 'object' || value === null) return fallback;
  const { mode, thresholdMs } = value as Record<string, unknown>;
  return {
    mode: isLocalEchoMode(mode) ? mode : fallback.mode,
    thresholdMs: isEchoThreshold(thresholdMs) ? thresholdMs : fallback.thresholdMs,
  };
}
