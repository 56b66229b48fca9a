// One terminal tab's socket: attaches, reconnects after drops without replaying what the tab
// already shows, and stops for good when the shell exits or the workspace stops. Uses only the
// WebSocket API, so it runs in a browser and in React Native alike.

import type { PerryClient } from './client.ts';
import { errorCode } from './errors.ts';
import { closeQuietly } from './socket.ts';
import { classifyClose, parseControl, reconnectDelay, resizeMessage, resumeOffset, terminalSocketUrl } from './terminal-protocol.ts';

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
  onOutput(bytes: Uint8Array): void;
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
  createSocket?(url: string): TerminalSocket;
  schedule?(callback: () => void, ms: number): () => void;
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
      else this.onBytes(new Uint8Array(event.data as ArrayBuffer));
    };
    socket.onclose = (event) => {
      if (this.socket !== socket || this.disposed) return;
      this.socket = null;
      void this.onClose(event.code, event.reason, opened);
    };
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
    } else if (control.type === 'dropped') {
      this.droppedBytes += control.bytes;
    }
  }

  private onBytes(bytes: Uint8Array): void {
    this.receivedBytes += bytes.byteLength;
    this.hasScreen = true;
    this.options.onOutput(bytes);
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
    const schedule =
      this.options.schedule ??
      ((callback: () => void, ms: number) => {
        const timer = setTimeout(callback, ms);
        return () => clearTimeout(timer);
      });
    this.cancelTimer = schedule(() => this.connect(), delay);
  }

  private closeSocket(): void {
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
