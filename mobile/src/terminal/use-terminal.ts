import { diagnoseRefusedTerminal, skippedOutputNotice, TerminalConnection, type ConnectionStatus, type RoundTrip } from '@perry/client';
import { useCallback, useEffect, useRef, useState } from 'react';

import { useAgents } from '../agents/agents-context';
import { bytesToBase64, type PageMessage } from './bridge';
import { useEchoSettings } from './echo-settings';
import type { BarKey } from './keys';
import type { TerminalSurfaceHandle } from './terminal-surface';

/** The command a route parameter carries (a JSON array of strings), or null. */
export function commandParam(value: string | undefined): string[] | null {
  if (!value) return null;
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) && parsed.length > 0 && parsed.every((part) => typeof part === 'string') ? parsed : null;
  } catch {
    return null;
  }
}

/** Output is handed to the page at most this often: one bridge call per burst, not per frame. */
const OUTPUT_FLUSH_MS = 8;

export interface TerminalOptions {
  workspace: string;
  /** A running shell to reattach to; null opens a new one. */
  terminalId: string | null;
  /** What a new terminal runs instead of a login shell (resuming a session). */
  command: readonly string[] | null;
}

/**
 * One terminal screen: the socket to the agent (TerminalConnection from @perry/client, with its
 * reconnects and replay), wired to the page that draws it, plus the key bar's Ctrl state. The
 * page echoes typing locally on a slow link: it gets the person's setting, whether keys reach a
 * shell, and the round trip the connection measures, and says whether predictions are shown.
 */
export function useTerminal({ workspace, terminalId, command }: TerminalOptions) {
  const { loaded, active, client } = useAgents();
  const surface = useRef<TerminalSurfaceHandle>(null);
  const connection = useRef<TerminalConnection | null>(null);
  const [status, setStatus] = useState<ConnectionStatus>({ kind: 'connecting', attempt: 0 });
  const [ctrl, setCtrl] = useState(false);
  const [roundTrip, setRoundTrip] = useState<RoundTrip | null>(null);
  const [localEcho, setLocalEcho] = useState(false);
  const { settings: echoSettings } = useEchoSettings();
  /** What a page that (re)loads is told at once. */
  const pageState = useRef({ echo: echoSettings, attached: false, roundTripMs: null as number | null });
  // Whether what runs is a command (resuming a session) rather than a login shell, for the exit message.
  const [runsCommand, setRunsCommand] = useState(terminalId === null && (command?.length ?? 0) > 0);
  const [currentId, setCurrentId] = useState(terminalId);
  const currentIdRef = useRef(terminalId);
  /** The command still to start: forgotten once the agent has attached a terminal for it. */
  const commandRef = useRef(command);
  /** The page's size once it is ready; the socket opens when both it and the agent are there. */
  const pageSize = useRef<{ cols: number; rows: number } | null>(null);

  const pending = useRef<Uint8Array[]>([]);
  const flushTimer = useRef<ReturnType<typeof setTimeout> | null>(null);
  const flush = useCallback(() => {
    flushTimer.current = null;
    const chunks = pending.current;
    pending.current = [];
    if (chunks.length === 0) return;
    const size = chunks.reduce((sum, chunk) => sum + chunk.byteLength, 0);
    const joined = new Uint8Array(size);
    let at = 0;
    for (const chunk of chunks) {
      joined.set(chunk, at);
      at += chunk.byteLength;
    }
    surface.current?.send({ type: 'output', data: bytesToBase64(joined) });
  }, []);
  const dropPendingOutput = useCallback(() => {
    if (flushTimer.current) clearTimeout(flushTimer.current);
    flushTimer.current = null;
    pending.current = [];
  }, []);

  const open = useCallback(() => {
    if (connection.current) {
      connection.current.dispose();
      connection.current = null;
      // The new connection replays the whole screen: start from a clean one.
      surface.current?.send({ type: 'reset' });
    }
    // Output of the old connection must not reach a page that is about to get the whole replay.
    dropPendingOutput();
    const size = pageSize.current;
    if (!size) return;
    if (!active || !client) {
      // Saved agents are still being read: this runs again when they are.
      if (loaded) setStatus({ kind: 'gone', message: 'No agent is connected. Connect to one from Agents.' });
      return;
    }
    const attachTo = currentIdRef.current;
    const next: TerminalConnection = new TerminalConnection({
      origin: active.url,
      workspace,
      token: active.token,
      terminalId: attachTo,
      command: attachTo === null ? commandRef.current : null,
      cols: size.cols,
      rows: size.rows,
      onOutput: (bytes) => {
        pending.current.push(bytes);
        flushTimer.current ??= setTimeout(flush, OUTPUT_FLUSH_MS);
      },
      onStatus: (next) => {
        setStatus(next);
        pageState.current.attached = next.kind === 'open';
        surface.current?.send({ type: 'link', attached: next.kind === 'open' });
      },
      onRoundTrip: (next) => {
        setRoundTrip(next);
        pageState.current.roundTripMs = next.smoothedMs;
        surface.current?.send({ type: 'roundTrip', ms: next.smoothedMs });
      },
      // Notices go after the output before them, which may still wait for its flush.
      onDropped: (bytes) => {
        flush();
        surface.current?.send({ type: 'notice', text: skippedOutputNotice(bytes) });
      },
      onTerminalId: (id) => {
        if (id !== null) commandRef.current = null;
        currentIdRef.current = id;
        setCurrentId(id);
      },
      onNewShell: () => {
        flush();
        surface.current?.send({ type: 'notice', text: 'new shell' });
      },
      diagnose: (id) =>
        diagnoseRefusedTerminal(client, workspace, id, () => {
          next.dispose();
          setStatus({ kind: 'gone', message: 'The agent refused this token. Connect to it again from Agents.' });
        }),
    });
    connection.current = next;
    next.connect();
  }, [loaded, active, client, workspace, flush, dropPendingOutput]);

  // The setting changed (on the Settings screen): the page follows at once.
  useEffect(() => {
    pageState.current.echo = echoSettings;
    // A page not ready yet gets it with the rest when it is.
    if (pageSize.current) surface.current?.send({ type: 'echo', ...echoSettings });
  }, [echoSettings]);

  // The agent (or its token) arrived or changed after the page was ready: connect now.
  useEffect(() => {
    if (pageSize.current) open();
  }, [open]);

  useEffect(
    () => () => {
      connection.current?.dispose();
      connection.current = null;
      dropPendingOutput();
    },
    [dropPendingOutput],
  );

  /** A page that (re)loaded knows nothing yet: the setting and the link as they are. */
  const sendPageState = useCallback(() => {
    const { echo, attached, roundTripMs } = pageState.current;
    surface.current?.send({ type: 'echo', ...echo });
    surface.current?.send({ type: 'link', attached });
    if (roundTripMs !== null) surface.current?.send({ type: 'roundTrip', ms: roundTripMs });
  }, []);

  const onMessage = useCallback(
    (message: PageMessage) => {
      switch (message.type) {
        case 'ready':
          // The first time, or the page was loaded again (its process died and the view was
          // remounted): attach again, and the agent replays the screen.
          pageSize.current = { cols: message.cols, rows: message.rows };
          // A new page shows no predictions until it says so.
          setLocalEcho(false);
          sendPageState();
          open();
          break;
        case 'input':
          connection.current?.sendInput(message.data);
          break;
        case 'binary':
          connection.current?.sendBinary(message.data);
          break;
        case 'resize':
          pageSize.current = { cols: message.cols, rows: message.rows };
          connection.current?.resize(message.cols, message.rows);
          break;
        case 'ctrl':
          setCtrl(message.on);
          break;
        case 'echo':
          setLocalEcho(message.active);
          break;
      }
    },
    [open, sendPageState],
  );

  return {
    surface,
    onMessage,
    status,
    roundTrip,
    /** Whether the page shows typing before the shell echoes it. */
    localEcho,
    terminalId: currentId,
    ctrl,
    pressKey: (key: BarKey) => surface.current?.send({ type: 'key', key }),
    toggleCtrl: () => {
      const on = !ctrl;
      setCtrl(on);
      surface.current?.send({ type: 'ctrl', on });
    },
    runsCommand,
    newShell: () => {
      setRunsCommand(false);
      surface.current?.send({ type: 'focus' });
      connection.current?.startNewShell();
    },
    retry: () => connection.current?.retryNow(),
  };
}
