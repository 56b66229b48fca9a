// The terminal WebSocket protocol of the agent (`/terminal/<workspace>`), as pure functions:
// no DOM and no React, shared by the web UI and the phone app. What a terminal makes of it lives
// beside it: the round trip of its pings in round-trip.ts, the lines it writes between outputs in
// terminal-notices.ts, and the connection that speaks it in terminal-connection.ts.

import type { TerminalControl } from './api.gen.ts';
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

// Flow control (issue #22). A client that acks once gets it: the agent keeps at most 256 KiB of
// unacknowledged output in flight, so Ctrl-C during a flood is answered quickly, as long as the
// client acks reliably: every 32 KiB, and what is left once output pauses.

/** Tells the agent that `bytes` more output bytes arrived since the last ack (its flow control). */
export function ackMessage(bytes: number): string {
  const message: TerminalControl = { type: 'ack', bytes };
  return JSON.stringify(message);
}

/** Output bytes a client lets arrive before it acks them... */
export const ACK_EVERY_BYTES = 32 * 1024;
/** ...and how long it lets fewer stay unacknowledged. */
export const ACK_AFTER_MS = 100;
