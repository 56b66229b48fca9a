import { diagnoseRefusedTerminal, type Diagnosis, type Workspace } from '@perry/client';
import { ChevronDown, Play, Plus, SquareTerminal, X } from 'lucide-react';
import { lazy, Suspense, useCallback, useEffect, useEffectEvent, useReducer } from 'react';
import { useLocation, useNavigate } from 'react-router';

import { EmptyState } from '@/components/states';
import { Button } from '@/components/ui/button';
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuLabel,
  DropdownMenuTrigger,
} from '@/components/ui/dropdown-menu';
import { Spinner } from '@/components/ui/spinner';
import { useAuth } from '@/features/auth/auth-context';
import { TOKEN_REFUSED_NOTICE } from '@/features/auth/auth-store';
import { useStartWorkspace } from '@/features/workspaces/api';
import { useApi } from '@/lib/api';
import { formatRelativeTime } from '@/lib/format';
import { cn, newId } from '@/lib/utils';

import { useKillTerminal, useTerminals } from './api';
import { readOpenTerminalRequest } from './open-request';
import { loadTabs, saveTabs, tabsReducer, type TerminalTab } from './tabs';

const TerminalView = lazy(() => import('./terminal-view'));

const newKey = () => newId();

/** The workspace's terminal tabs: several shells, each kept across reloads. */
export function TerminalPanel({ workspace }: { workspace: Workspace }) {
  const running = workspace.status === 'running';
  const start = useStartWorkspace();
  if (!running) {
    return (
      <EmptyState
        icon={SquareTerminal}
        title={workspace.status === 'creating' ? 'The workspace is starting' : 'The workspace is not running'}
        className="flex-1"
        action={
          workspace.status === 'creating' ? (
            <Spinner />
          ) : (
            <Button onClick={() => start.mutate(workspace.name)} disabled={start.isPending}>
              {start.isPending ? <Spinner /> : <Play />}
              Start workspace
            </Button>
          )
        }
      >
        {workspace.status === 'creating' ? 'Its terminal opens once Docker and SSH answer.' : 'Start it to open a terminal.'}
      </EmptyState>
    );
  }
  return <RunningTerminals workspaceName={workspace.name} />;
}

function RunningTerminals({ workspaceName }: { workspaceName: string }) {
  const { token, refused } = useAuth();
  const api = useApi();
  const [state, dispatch] = useReducer(tabsReducer, workspaceName, (name) => loadTabs(sessionStorage, name, newKey));
  const terminals = useTerminals(workspaceName, true);
  const kill = useKillTerminal(workspaceName);

  useEffect(() => saveTabs(sessionStorage, workspaceName, state), [workspaceName, state]);

  // A tab asked for by another part of the page (resuming a session): open it once, then drop the
  // request from the history entry so a reload or Back does not open it again.
  const location = useLocation();
  const navigate = useNavigate();
  const request = readOpenTerminalRequest(location.state);
  const openRequested = useEffectEvent(() => {
    if (!request) return;
    dispatch({ type: 'add', key: request.id, title: request.title, command: request.command });
    void navigate({ pathname: location.pathname, search: location.search }, { replace: true, state: null });
  });
  // The request's id identifies it; the rest of the location does not matter here.
  const requestId = request?.id;
  useEffect(() => {
    if (requestId !== undefined) openRequested();
  }, [requestId]);

  const diagnose = useCallback(
    (terminalId: string | null): Promise<Diagnosis> =>
      diagnoseRefusedTerminal(api, workspaceName, terminalId, () => refused(token, TOKEN_REFUSED_NOTICE)),
    [api, workspaceName, refused, token],
  );

  const closeTab = (tab: TerminalTab) => {
    dispatch({ type: 'close', key: tab.key });
    if (tab.terminalId) kill.mutate(tab.terminalId);
  };

  const openIds = new Set(state.tabs.map((tab) => tab.terminalId));
  const others = (terminals.data ?? []).filter((terminal) => !openIds.has(terminal.id));

  return (
    <div className="flex min-h-0 flex-1 flex-col gap-2">
      <div className="flex items-center gap-1 overflow-x-auto" role="tablist" aria-label="Shells">
        {state.tabs.map((tab) => {
          const active = tab.key === state.activeKey;
          return (
            <div
              key={tab.key}
              className={cn(
                'group flex h-8 shrink-0 items-center rounded-md border text-sm transition-colors',
                active ? 'border-border bg-card font-medium shadow-xs' : 'border-transparent text-muted-foreground hover:bg-accent',
              )}
            >
              <button
                type="button"
                role="tab"
                aria-selected={active}
                className="flex h-full items-center gap-1.5 pr-1 pl-2.5 outline-none focus-visible:ring-2 focus-visible:ring-ring/50"
                onClick={() => dispatch({ type: 'select', key: tab.key })}
              >
                <SquareTerminal className="size-3.5 shrink-0" aria-hidden />
                <span className="max-w-[14rem] truncate" title={tab.title}>
                  {tab.title}
                </span>
              </button>
              <button
                type="button"
                aria-label={`Close ${tab.title}`}
                title="Close and end this shell"
                className="mr-1 rounded p-0.5 text-muted-foreground opacity-60 hover:bg-muted hover:opacity-100 focus-visible:opacity-100"
                onClick={() => closeTab(tab)}
              >
                <X className="size-3.5" />
              </button>
            </div>
          );
        })}
        <Button variant="ghost" size="sm" className="shrink-0" onClick={() => dispatch({ type: 'add', key: newKey() })}>
          <Plus />
          New shell
        </Button>
        {others.length > 0 && (
          <DropdownMenu>
            <DropdownMenuTrigger asChild>
              <Button variant="ghost" size="sm" className="shrink-0 text-muted-foreground">
                Running shells ({others.length})
                <ChevronDown />
              </Button>
            </DropdownMenuTrigger>
            <DropdownMenuContent align="start" className="w-72">
              <DropdownMenuLabel>Shells open elsewhere: attach to one</DropdownMenuLabel>
              {others.map((terminal) => (
                <DropdownMenuItem key={terminal.id} onSelect={() => dispatch({ type: 'add', key: newKey(), terminalId: terminal.id })}>
                  <SquareTerminal />
                  <div className="grid min-w-0 gap-0.5">
                    <span className="truncate font-mono text-xs">{terminal.id}</span>
                    <span className="text-xs text-muted-foreground">
                      opened {formatRelativeTime(terminal.created)} · {terminal.clients}{' '}
                      {terminal.clients === 1 ? 'viewer' : 'viewers'} · {terminal.cols}×{terminal.rows}
                    </span>
                  </div>
                </DropdownMenuItem>
              ))}
            </DropdownMenuContent>
          </DropdownMenu>
        )}
      </div>

      <div className="relative min-h-[320px] flex-1">
        {state.tabs.length === 0 ? (
          <EmptyState
            icon={SquareTerminal}
            title="No open shells"
            className="h-full"
            action={
              <Button onClick={() => dispatch({ type: 'add', key: newKey() })}>
                <Plus />
                New shell
              </Button>
            }
          >
            Open a shell in {workspaceName}, or attach to one that is still running.
          </EmptyState>
        ) : (
          <Suspense
            fallback={
              <div className="flex h-full items-center justify-center gap-2 rounded-lg border bg-[#0a0a0b] text-sm text-zinc-400" role="status">
                <Spinner /> Loading terminal…
              </div>
            }
          >
            {state.tabs.map((tab) => (
              <div
                key={tab.key}
                role="tabpanel"
                aria-label={tab.title}
                className={cn('absolute inset-0', tab.key !== state.activeKey && 'invisible')}
              >
                <TerminalView
                  workspace={workspaceName}
                  token={token}
                  terminalId={tab.terminalId}
                  command={tab.command}
                  active={tab.key === state.activeKey}
                  label={`Terminal: ${tab.title}`}
                  diagnose={diagnose}
                  onTerminalId={(id) =>
                    dispatch(id === null ? { type: 'detached', key: tab.key } : { type: 'attached', key: tab.key, terminalId: id })
                  }
                />
              </div>
            ))}
          </Suspense>
        )}
      </div>
    </div>
  );
}
