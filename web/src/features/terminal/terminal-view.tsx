// Loaded lazily (React.lazy): xterm.js is most of the app's JavaScript, and the workspace list
// should not wait for it.
import '@xterm/xterm/css/xterm.css';

import { FitAddon } from '@xterm/addon-fit';
import { Terminal, type ITheme } from '@xterm/xterm';
import { CirclePower, RotateCw, SquareTerminal, Unplug } from 'lucide-react';
import { useEffect, useLayoutEffect, useRef, useState } from 'react';

import { Button } from '@/components/ui/button';
import { Spinner } from '@/components/ui/spinner';

import {
  LocalEcho,
  noticeLine,
  skippedOutputNotice,
  TERMINAL_THEME,
  TerminalConnection,
  type ConnectionStatus,
  type Diagnosis,
  type RoundTrip,
} from '@perry/client';

import { useScope } from '@/lib/api';

import { useEchoSettings } from './echo-settings';
import { RoundTripIndicator } from './round-trip-indicator';

export interface TerminalViewProps {
  workspace: string;
  token: string | null;
  /** The shell to reattach to, remembered by the tab; null opens a new one. */
  terminalId: string | null;
  /** What a new terminal runs instead of a login shell (used only when terminalId is null). */
  command?: readonly string[] | undefined;
  /** Whether this tab is the one showing (hidden tabs stay connected). */
  active: boolean;
  /** Accessible name of the terminal, e.g. "Terminal: Shell 1". */
  label: string;
  onTerminalId(id: string | null): void;
  diagnose(terminalId: string | null): Promise<Diagnosis>;
}

const FONT_FAMILY = '"Geist Mono Variable", "DejaVu Sans Mono", ui-monospace, monospace';

const THEME: ITheme = TERMINAL_THEME;

/** The text of the line the cursor is on (what end-to-end tests and benchmarks read). */
export function cursorLineText(term: Pick<Terminal, 'buffer'>): string {
  const buffer = term.buffer.active;
  return buffer.getLine(buffer.baseY + buffer.cursorY)?.translateToString(true) ?? '';
}

export default function TerminalView({ workspace, token, terminalId, command, active, label, onTerminalId, diagnose }: TerminalViewProps) {
  const { origin, onTokenRevoked } = useScope();
  const hostRef = useRef<HTMLDivElement>(null);
  const termRef = useRef<Terminal | null>(null);
  const fitRef = useRef<FitAddon | null>(null);
  const connectionRef = useRef<TerminalConnection | null>(null);
  const localEchoRef = useRef<LocalEcho | null>(null);
  const [status, setStatus] = useState<ConnectionStatus>({ kind: 'connecting', attempt: 0 });
  const [roundTrip, setRoundTrip] = useState<RoundTrip | null>(null);
  const [echoActive, setEchoActive] = useState(false);
  const echoSettings = useEchoSettings();

  // The latest callbacks, read by the long-lived connection without reconnecting on each render.
  const callbacks = useRef({ onTerminalId, diagnose, onTokenRevoked });
  const activeRef = useRef(active);
  const echoSettingsRef = useRef(echoSettings);
  // Updated after each render, before any effect of this render runs (refs are not written while rendering).
  useLayoutEffect(() => {
    callbacks.current = { onTerminalId, diagnose, onTokenRevoked };
    activeRef.current = active;
    echoSettingsRef.current = echoSettings;
  });
  // The id to attach to is read once, when the connection is made; later changes come from it.
  const initialTerminalId = useRef(terminalId);
  const initialCommand = useRef(command ?? null);
  // Whether what runs in this tab is a command rather than a login shell, for the exit message.
  const [runsCommand, setRunsCommand] = useState(terminalId === null && (command?.length ?? 0) > 0);

  useEffect(() => {
    const host = hostRef.current;
    if (!host) return;
    let disposed = false;
    const small = window.matchMedia('(max-width: 640px)').matches;
    const term = new Terminal({
      fontFamily: FONT_FAMILY,
      fontSize: small ? 12 : 13,
      lineHeight: 1.15,
      cursorBlink: true,
      scrollback: 10_000,
      theme: THEME,
      allowProposedApi: false,
    });
    const fit = new FitAddon();
    term.loadAddon(fit);
    termRef.current = term;
    fitRef.current = fit;

    const fitNow = () => {
      // Hidden tabs measure 0×0; fitting them would shrink the shell to nothing.
      if (disposed || host.clientWidth === 0 || host.clientHeight === 0) return;
      fit.fit();
      connectionRef.current?.resize(term.cols, term.rows);
    };

    const start = () => {
      if (disposed) return;
      term.open(host);
      fitNow();
      // Every output goes through LocalEcho, which writes it to the terminal: it checks what it
      // predicted against what the shell echoes.
      const localEcho = new LocalEcho(term, echoSettingsRef.current);
      localEchoRef.current = localEcho;
      setEchoActive(localEcho.active);
      // For end-to-end tests and benchmarks: the cursor's line as the buffer holds it.
      term.onWriteParsed(() => {
        host.dataset.cursorLine = cursorLineText(term);
      });
      const connection = new TerminalConnection({
        origin,
        workspace,
        token,
        terminalId: initialTerminalId.current,
        command: initialTerminalId.current === null ? initialCommand.current : null,
        cols: term.cols,
        rows: term.rows,
        onOutput: (bytes) => localEcho.onOutput(bytes),
        onStatus: setStatus,
        onTerminalId: (id) => callbacks.current.onTerminalId(id),
        diagnose: (id) => callbacks.current.diagnose(id),
        onNewShell: () => localEcho.onOutput(noticeLine('new shell')),
        onDropped: (bytes) => localEcho.onOutput(noticeLine(skippedOutputNotice(bytes))),
        onRoundTrip: (next) => {
          localEcho.setRoundTrip(next.smoothedMs);
          setRoundTrip(next);
          setEchoActive(localEcho.active);
        },
        onTokenRevoked: () => callbacks.current.onTokenRevoked(),
      });
      connectionRef.current = connection;
      term.onData((data) => {
        // Keys typed while reconnecting are not sent, so there is nothing to predict.
        if (connection.attached) localEcho.onInput(data);
        connection.sendInput(data);
      });
      term.onBinary((data) => connection.sendBinary(data));
      connection.connect();
      if (activeRef.current) term.focus();
    };

    // Measure the cell size with the real font, or the columns come out wrong until a resize.
    const fontReady = document.fonts?.load(`13px ${FONT_FAMILY}`).catch(() => undefined) ?? Promise.resolve();
    void Promise.race([fontReady, new Promise((done) => setTimeout(done, 1500))]).then(start);

    const observer = new ResizeObserver(() => fitNow());
    observer.observe(host);
    return () => {
      disposed = true;
      observer.disconnect();
      connectionRef.current?.dispose();
      connectionRef.current = null;
      localEchoRef.current?.dispose();
      localEchoRef.current = null;
      term.dispose();
      termRef.current = null;
    };
  }, [workspace, token, origin]);

  // Settings changed (here or in another tab): the open terminal follows at once.
  useEffect(() => {
    const localEcho = localEchoRef.current;
    if (!localEcho) return;
    localEcho.setMode(echoSettings.mode);
    localEcho.setThreshold(echoSettings.thresholdMs);
    setEchoActive(localEcho.active);
  }, [echoSettings]);

  // A tab that becomes visible again fits itself (its size may have changed while hidden) and
  // takes the keyboard.
  useEffect(() => {
    if (!active) return;
    const frame = requestAnimationFrame(() => {
      const host = hostRef.current;
      const term = termRef.current;
      if (!host || !term || host.clientWidth === 0) return;
      fitRef.current?.fit();
      connectionRef.current?.resize(term.cols, term.rows);
      term.focus();
    });
    return () => cancelAnimationFrame(frame);
  }, [active]);

  const newShell = () => {
    setRunsCommand(false);
    termRef.current?.focus();
    connectionRef.current?.startNewShell();
  };

  return (
    <div className="relative h-full min-h-0 w-full overflow-hidden rounded-lg border border-zinc-800 bg-[#0a0a0b]">
      <div
        ref={hostRef}
        role="region"
        aria-label={label}
        data-terminal-status={status.kind}
        data-rtt-ms={status.kind === 'open' && roundTrip ? Math.round(roundTrip.smoothedMs) : undefined}
        data-local-echo={echoActive ? 'on' : 'off'}
        className="absolute inset-0 m-2 mr-0 [&_.xterm]:h-full [&_.xterm-viewport]:!bg-transparent"
      />
      <RoundTripIndicator status={status} roundTrip={roundTrip} localEcho={echoActive} />
      <StatusOverlay status={status} runsCommand={runsCommand} onNewShell={newShell} onRetry={() => connectionRef.current?.retryNow()} />
    </div>
  );
}

function StatusOverlay({
  status,
  runsCommand,
  onNewShell,
  onRetry,
}: {
  status: ConnectionStatus;
  runsCommand: boolean;
  onNewShell: () => void;
  onRetry: () => void;
}) {
  if (status.kind === 'open') return null;
  if (status.kind === 'connecting') {
    return (
      <div role="status" className="pointer-events-none absolute top-3 right-3 flex items-center gap-2 rounded-md bg-zinc-800/90 px-2.5 py-1 text-xs text-zinc-200">
        <Spinner className="size-3" />
        {status.attempt === 0 ? 'Connecting…' : `Reconnecting (attempt ${status.attempt})…`}
        {status.attempt > 2 && (
          <button type="button" className="pointer-events-auto underline underline-offset-2" onClick={onRetry}>
            Retry now
          </button>
        )}
      </div>
    );
  }
  const { icon: Icon, title, detail } =
    status.kind === 'exited'
      ? {
          icon: SquareTerminal,
          title: runsCommand ? 'Command exited' : 'Shell exited',
          detail:
            status.exitCode === null
              ? `The ${runsCommand ? 'command' : 'shell'} has ended.`
              : `The ${runsCommand ? 'command' : 'shell'} ended with exit code ${status.exitCode}.`,
        }
      : status.kind === 'stopped'
        ? { icon: CirclePower, title: 'Workspace stopped', detail: 'The workspace stopped or the agent shut down.' }
        : { icon: Unplug, title: 'Disconnected', detail: status.message };
  return (
    <div className="absolute inset-x-0 bottom-0 flex justify-center p-4">
      <div role="alert" className="flex max-w-md flex-wrap items-center gap-3 rounded-lg border border-zinc-700 bg-zinc-900/95 px-4 py-3 text-sm text-zinc-100 shadow-lg">
        <Icon className="size-5 shrink-0 text-zinc-400" aria-hidden />
        <div className="grid min-w-0 flex-1 gap-0.5">
          <span className="font-medium">{title}</span>
          <span className="text-zinc-400">{detail}</span>
        </div>
        {status.kind !== 'gone' && (
          <Button size="sm" variant="secondary" onClick={onNewShell} className="bg-zinc-100 text-zinc-900 hover:bg-zinc-200">
            <RotateCw />
            Start a new shell
          </Button>
        )}
      </div>
    </div>
  );
}
