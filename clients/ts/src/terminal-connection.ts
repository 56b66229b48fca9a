// One terminal tab's socket: attaches, reconnects after drops without replaying what the tab
// already shows, and stops for good when the shell exits or the workspace stops. While attached it
// pings every second (the round trip) and acks the output it got (the agent's flow control). Uses
// only the WebSocket API, so it runs in a browser and in React Native alike.

import type { PerryClient } from './client.ts';
import { errorCode } from './errors.ts';
import { isStalled, PING_INTERVAL_MS, smoothRoundTrip, type RoundTrip } from './round-trip.ts';
import { closeQuietly } from './socket.ts';
import {
  ACK_AFTER_MS,
  ACK_EVERY_BYTES,
  ackMessage,
  classifyClose,
  nextPingId,
  parseControl,
  pingMessage,
  reconnectDelay,
  resizeMessage,
  resumeOffset,
  terminalSocketUrl,
} from './terminal-protocol.ts';

export type ConnectionStatus =
  | { kind: 'connecting'; attempt: number }
  | { kind: 'open' }
  | { kind: 'exited'; exitCode: number | null }
  | { kind: 'stopped' }
  | { kind: 'gone'; message: string };

/**
 * Why an upgrade failed, found out through the API (the browser hides the HTTP status):
 * `retry` try again later, `fresh` the shell is gone so open a new one, `stopped` the workspace
 * is not running, `gone` the workspace no longer exists.
 */
export type Diagnosis = 'retry' | 'fresh' | 'stopped' | 'gone';

export interface ConnectionOptions {
  origin: string;
  workspace: string;
  token: string | null;
  /** The shell to reattach to; null opens a new one. */
  terminalId: string | null;
  /**
   * The program the first new terminal runs instead of a login shell. Once attached it is
   * forgotten: a later new shell in the tab (after an exit) is a login shell.
   */
  command?: readonly string[] | null;
  cols: number;
  rows: number;
  /**
   * Output to show. A screen that writes asynchronously (xterm) returns a promise resolved once
   * the bytes are parsed: they are acked only then, so a flood waits at the agent, where Ctrl-C
   * skips it, not in the screen's write queue.
   */
  onOutput(bytes: Uint8Array): void | PromiseLike<void>;
  onStatus(status: ConnectionStatus): void;
  /** The agent's id of the shell this tab shows (new or reattached), or null when it was lost. */
  onTerminalId(id: string | null): void;
  /** Asks the API why an upgrade was refused. */
  diagnose(terminalId: string | null): Promise<Diagnosis>;
  /** Told before output of a different shell starts, so the screen can be cleared. */
  onNewShell?(): void;
  /**
   * The agent closed the socket because its token was revoked (4001, `settings.rotateToken`):
   * the connection stops (status `gone`) and the app signs in again.
   */
  onTokenRevoked?: (() => void) | undefined;
  /**
   * The link's round trip: after every pong, and every second while a ping goes unanswered for
   * over twice the smoothed round trip and over a second (then it grows: the link stalls).
   */
  onRoundTrip?(roundTrip: RoundTrip): void;
  /** The agent skipped this many output bytes here (it was far behind, or the user typed while it was). */
  onDropped?(bytes: number): void;
  createSocket?(url: string): TerminalSocket;
  /** Runs `callback` in `ms` (tests: by hand); returns what cancels it. */
  schedule?(callback: () => void, ms: number): () => void;
  /** A monotonic clock in milliseconds (tests: a fake one); performance.now() by default. */
  now?(): number;
}

/** The part of the WebSocket API (browsers, React Native) a terminal uses. */
export interface TerminalSocket {
  readonly readyState: number;
  binaryType: string;
  send(data: string | Uint8Array): void;
  close(code?: number, reason?: string): void;
  onopen: (() => void) | null;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
}

/** Pings the agent has not answered yet, at most: a link that answers none is not pinged more. */
const MAX_UNANSWERED_PINGS = 64;

/** The platform's WebSocket (a global in browsers and React Native, not in Node 20's types). */
function platformSocket(url: string): TerminalSocket {
  const WebSocketClass = (globalThis as unknown as { WebSocket: new (url: string) => TerminalSocket }).WebSocket;
  return new WebSocketClass(url);
}

const encoder = new TextEncoder();

/** What a terminal says when its token was rotated away. */
export const TOKEN_REVOKED_MESSAGE = 'The agent’s token was changed. Sign in again with the new one.';

export class TerminalConnection {
  private socket: TerminalSocket | null = null;
  private terminalId: string | null;
  private command: readonly string[] | null;
  private cols: number;
  private rows: number;
  /** Offset and byte counts of the current attachment, to resume where the screen left off. */
  private attachedOffset: number | null = null;
  private receivedBytes = 0;
  private droppedBytes = 0;
  /** Whether this tab's screen holds output already (then a reconnect asks only for the rest). */
  private hasScreen = false;
  private attempt = 0;
  private cancelTimer: (() => void) | null = null;
  private disposed = false;
  private readonly options: ConnectionOptions;
  /** Round trip: the next ping's id, the unanswered pings of this socket (id → sent at, oldest first). */
  private pingId = 1;
  private readonly unansweredPings = new Map<number, number>();
  private smoothedRoundTrip: number | null = null;
  private cancelPing: (() => void) | null = null;
  /** Flow control: output bytes of this socket not acked yet, and the timer that acks them. */
  private unackedBytes = 0;
  /** Whether the agent of this socket answers pings and takes acks (`attached.pings`). */
  private agentPings = false;
  private cancelAck: (() => void) | null = null;

  constructor(options: ConnectionOptions) {
    this.options = options;
    this.terminalId = options.terminalId;
    this.command = options.command ?? null;
    this.cols = options.cols;
    this.rows = options.rows;
  }

  connect(): void {
    if (this.disposed) return;
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.closeSocket();
    this.options.onStatus({ kind: 'connecting', attempt: this.attempt });
    const since =
      this.hasScreen && this.attachedOffset !== null
        ? resumeOffset(this.attachedOffset, this.receivedBytes, this.droppedBytes)
        : null;
    const url = terminalSocketUrl({
      origin: this.options.origin,
      workspace: this.options.workspace,
      token: this.options.token,
      cols: this.cols,
      rows: this.rows,
      terminalId: this.terminalId,
      since,
      command: this.command,
    });
    const socket = (this.options.createSocket ?? platformSocket)(url);
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    let opened = false;
    socket.onopen = () => {
      opened = true;
    };
    socket.onmessage = (event) => {
      if (this.socket !== socket) return;
      // binaryType is 'arraybuffer', so anything that is not text is an ArrayBuffer.
      if (typeof event.data === 'string') this.onControl(event.data);
      else this.onBytes(socket, new Uint8Array(event.data as ArrayBuffer));
    };
    socket.onclose = (event) => {
      if (this.socket !== socket || this.disposed) return;
      this.socket = null;
      this.stopLinkTimers();
      void this.onClose(event.code, event.reason, opened);
    };
  }

  /** Attached to a shell: keystrokes sent now reach it (before, they are dropped). */
  get attached(): boolean {
    return this.isOpen();
  }

  /** Keystrokes (xterm's onData): sent as binary frames of UTF-8. */
  sendInput(data: string): void {
    this.sendBytes(encoder.encode(data));
  }

  /** Raw bytes (xterm's onBinary, e.g. mouse reports), one byte per char code. */
  sendBinary(data: string): void {
    const bytes = new Uint8Array(data.length);
    for (let i = 0; i < data.length; i += 1) bytes[i] = data.charCodeAt(i) & 0xff;
    this.sendBytes(bytes);
  }

  resize(cols: number, rows: number): void {
    if (cols === this.cols && rows === this.rows) return;
    this.cols = cols;
    this.rows = rows;
    if (this.isOpen()) this.socket?.send(resizeMessage(cols, rows));
  }

  /** After an exit or a stop: a new shell in the same tab. */
  startNewShell(): void {
    this.command = null;
    this.forgetShell();
    this.attempt = 0;
    this.connect();
  }

  /** Try now instead of waiting for the next scheduled reconnect. */
  retryNow(): void {
    this.attempt = 0;
    this.connect();
  }

  dispose(): void {
    this.disposed = true;
    this.cancelTimer?.();
    this.cancelTimer = null;
    this.closeSocket();
  }

  private isOpen(): boolean {
    return this.socket !== null && this.socket.readyState === 1 && this.attachedOffset !== null;
  }

  private sendBytes(bytes: Uint8Array): void {
    // Keystrokes typed while reconnecting are dropped rather than replayed into a later shell.
    if (this.isOpen()) this.socket?.send(bytes);
  }

  private onControl(text: string): void {
    const control = parseControl(text);
    if (!control) return;
    if (control.type === 'attached') {
      this.command = null;
      if (this.terminalId !== control.id) {
        if (this.hasScreen) this.options.onNewShell?.();
        this.hasScreen = false;
        this.terminalId = control.id;
        this.options.onTerminalId(control.id);
      }
      this.attachedOffset = control.offset;
      this.receivedBytes = 0;
      this.droppedBytes = 0;
      this.attempt = 0;
      this.options.onStatus({ kind: 'open' });
      // A reattached shell keeps the size its last client gave it; give it ours.
      if (control.cols !== this.cols || control.rows !== this.rows) this.socket?.send(resizeMessage(this.cols, this.rows));
      // An agent from before pings and acks would type them into the shell: only to one that says it takes them.
      this.agentPings = control.pings === true;
      if (this.agentPings && this.socket && this.cancelPing === null) this.pingEverySecond(this.socket);
    } else if (control.type === 'dropped') {
      this.droppedBytes += control.bytes;
      this.options.onDropped?.(control.bytes);
    } else if (control.type === 'pong') {
      this.onPong(control.id);
    }
  }

  private onBytes(socket: TerminalSocket, bytes: Uint8Array): void {
    this.receivedBytes += bytes.byteLength;
    this.hasScreen = true;
    const written = this.options.onOutput(bytes);
    if (written) void Promise.resolve(written).then(() => this.written(socket, bytes.byteLength));
    else this.written(socket, bytes.byteLength);
  }

  /** Acks output once the screen has it; the tab may have closed or reconnected meanwhile. */
  private written(socket: TerminalSocket, bytes: number): void {
    if (this.socket !== socket || this.attachedOffset === null || !this.agentPings) return;
    this.unackedBytes += bytes;
    if (this.unackedBytes >= ACK_EVERY_BYTES) this.ack();
    else this.cancelAck ??= this.schedule(() => this.ack(), ACK_AFTER_MS);
  }

  /** Acks every byte not acked yet. */
  private ack(): void {
    this.cancelAck?.();
    this.cancelAck = null;
    const bytes = this.unackedBytes;
    this.unackedBytes = 0;
    if (bytes > 0 && this.isOpen()) this.socket?.send(ackMessage(bytes));
  }

  /** A ping now and every second, while `socket` stays attached; a ping unanswered too long is a stall. */
  private pingEverySecond(socket: TerminalSocket): void {
    this.cancelPing = null;
    if (this.socket !== socket || !this.isOpen()) return;
    this.reportStall();
    if (this.unansweredPings.size < MAX_UNANSWERED_PINGS) {
      const id = this.pingId;
      this.pingId = nextPingId(id);
      this.unansweredPings.set(id, this.now());
      socket.send(pingMessage(id));
    }
    this.cancelPing = this.schedule(() => this.pingEverySecond(socket), PING_INTERVAL_MS);
  }

  private onPong(id: number): void {
    const sentAt = this.unansweredPings.get(id);
    // Answered already, or never sent on this socket: a stale pong says nothing about the link now.
    if (sentAt === undefined) return;
    // Pongs come in order, so the pings before this one are answered (or will never be).
    for (const pending of this.unansweredPings.keys()) {
      this.unansweredPings.delete(pending);
      if (pending === id) break;
    }
    const sample = Math.max(0, this.now() - sentAt);
    this.smoothedRoundTrip = smoothRoundTrip(this.smoothedRoundTrip, sample);
    this.options.onRoundTrip?.({ lastMs: sample, smoothedMs: this.smoothedRoundTrip, stalled: false });
  }

  /**
   * A ping unanswered for much longer than the round trip: the link stalls, and the round trip
   * shown grows with the wait instead of keeping its last, better value.
   */
  private reportStall(): void {
    const oldest = this.unansweredPings.values().next();
    if (oldest.done || this.smoothedRoundTrip === null) return;
    const waited = this.now() - oldest.value;
    if (!isStalled(waited, this.smoothedRoundTrip)) return;
    this.options.onRoundTrip?.({ lastMs: waited, smoothedMs: Math.max(this.smoothedRoundTrip, waited), stalled: true });
  }

  /** Pings and acks belong to one socket: a new one starts afresh (the round trip is kept). */
  private stopLinkTimers(): void {
    this.cancelPing?.();
    this.cancelPing = null;
    this.cancelAck?.();
    this.cancelAck = null;
    this.unansweredPings.clear();
    this.unackedBytes = 0;
  }

  private now(): number {
    return this.options.now?.() ?? globalThis.performance?.now() ?? Date.now();
  }

  private schedule(callback: () => void, ms: number): () => void {
    if (this.options.schedule) return this.options.schedule(callback, ms);
    const timer = setTimeout(callback, ms);
    return () => clearTimeout(timer);
  }

  private async onClose(code: number, reason: string, opened: boolean): Promise<void> {
    const outcome = classifyClose(code, reason, opened);
    switch (outcome.kind) {
      case 'exited':
        this.forgetShell();
        this.options.onStatus({ kind: 'exited', exitCode: outcome.exitCode });
        return;
      case 'stopped':
        this.options.onStatus({ kind: 'stopped' });
        return;
      case 'dropped':
        this.scheduleReconnect();
        return;
      case 'revoked':
        this.options.onStatus({ kind: 'gone', message: TOKEN_REVOKED_MESSAGE });
        this.options.onTokenRevoked?.();
        return;
      case 'refused': {
        let diagnosis: Diagnosis;
        try {
          diagnosis = await this.options.diagnose(this.terminalId);
        } catch {
          diagnosis = 'retry';
        }
        if (this.disposed || this.socket !== null) return;
        if (diagnosis === 'fresh') {
          // The shell is gone (grace period over, killed elsewhere): open a new one in this tab.
          this.forgetShell();
          this.connect();
        } else if (diagnosis === 'stopped') {
          this.options.onStatus({ kind: 'stopped' });
        } else if (diagnosis === 'gone') {
          this.options.onStatus({ kind: 'gone', message: 'This workspace no longer exists.' });
        } else {
          this.scheduleReconnect();
        }
      }
    }
  }

  private forgetShell(): void {
    if (this.terminalId !== null) this.options.onTerminalId(null);
    this.terminalId = null;
    this.attachedOffset = null;
    this.receivedBytes = 0;
    this.droppedBytes = 0;
  }

  private scheduleReconnect(): void {
    const delay = reconnectDelay(this.attempt);
    this.attempt += 1;
    this.options.onStatus({ kind: 'connecting', attempt: this.attempt });
    this.cancelTimer = this.schedule(() => this.connect(), delay);
  }

  private closeSocket(): void {
    this.stopLinkTimers();
    const socket = this.socket;
    this.socket = null;
    if (!socket) return;
    closeQuietly(socket);
  }
}

/**
 * Why the agent refused a terminal's upgrade, asked through the API (a browser hides the HTTP
 * status of a failed upgrade). `onUnauthorized` is told when the token itself was refused.
 */
export async function diagnoseRefusedTerminal(
  api: PerryClient,
  workspaceName: string,
  terminalId: string | null,
  onUnauthorized?: () => void,
): Promise<Diagnosis> {
  try {
    const workspace = await api.workspaces.get({ name: workspaceName });
    if (workspace.status !== 'running') return 'stopped';
  } catch (error) {
    const code = errorCode(error);
    if (code === 'UNAUTHORIZED') onUnauthorized?.();
    return code === 'NOT_FOUND' ? 'gone' : 'retry';
  }
  if (terminalId === null) return 'retry';
  try {
    const open = await api.terminals.list({ workspaceName });
    return open.some((terminal) => terminal.id === terminalId) ? 'retry' : 'fresh';
  } catch {
    return 'retry';
  }
}
