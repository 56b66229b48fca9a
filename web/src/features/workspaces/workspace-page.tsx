import type { Workspace } from '@perry/client';
import { ArrowLeft, CircleAlert, CirclePlay, GitBranch, MessagesSquare, Network, ScrollText, SearchX, SquareTerminal, type LucideIcon } from 'lucide-react';
import type { ReactNode } from 'react';
import { Link, useNavigate } from 'react-router';

import { CopyButton } from '@/components/copy-button';
import { EmptyState, ErrorState } from '@/components/states';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Skeleton } from '@/components/ui/skeleton';
import { Tabs, TabsContent, TabsList, TabsTrigger } from '@/components/ui/tabs';
import { SessionsTab } from '@/features/sessions/sessions-tab';
import { TerminalPanel } from '@/features/terminal/terminal-panel';
import { formatDateTime, formatRelativeTime } from '@/lib/format';
import { cn } from '@/lib/utils';

import { useWorkspace } from './api';
import { builtFromText, postStartNote, sshCommand } from '@perry/client';
import { LogsPanel } from './logs-panel';
import { PortsPanel } from './ports-panel';
import { RunPanel } from './run-panel';
import { StatusBadge } from './status-badge';
import { formatLimits } from './tools';
import { WorkspaceActions } from './workspace-actions';
import { WorkspaceProgressBar } from './workspace-progress';
import { LastUsed } from './last-used';
import { useNow } from '@/lib/use-now';
import { useAgentHost } from '@/features/fleet/api';
import { useWorkspacePath } from '@/lib/api';

export type WorkspaceTab = 'terminal' | 'sessions' | 'ports' | 'logs' | 'run';

/** The tabs in the order they show; the route accepts exactly these. */
export const WORKSPACE_TABS: readonly WorkspaceTab[] = ['terminal', 'sessions', 'ports', 'logs', 'run'];

/**
 * One workspace: its facts on top, then a tab filling the rest: the terminal, its sessions, its
 * port forwards, its log, or a command run in it (with a sync of the settings).
 */
export function WorkspacePage({
  name,
  tab,
  sessionId,
  messageId,
}: {
  name: string;
  tab: WorkspaceTab;
  /** With tab `sessions`: the session whose conversation shows. */
  sessionId?: string | undefined;
  /** A message of that session to show (a search hit). */
  messageId?: string | undefined;
}) {
  const workspace = useWorkspace(name);
  const navigate = useNavigate();
  const toWorkspace = useWorkspacePath();
  const base = toWorkspace(name);

  if (workspace.isPending) return <WorkspaceSkeleton />;
  if (workspace.isError && workspace.data === undefined) {
    return <ErrorState title={`Could not load ${name}`} error={workspace.error} onRetry={() => void workspace.refetch()} />;
  }
  if (!workspace.data) {
    return (
      <EmptyState
        icon={SearchX}
        title={`No workspace named “${name}”`}
        action={
          <Button variant="outline" asChild>
            <Link to="/workspaces">
              <ArrowLeft /> All workspaces
            </Link>
          </Button>
        }
      >
        It may have been deleted.
      </EmptyState>
    );
  }
  const current = workspace.data;

  return (
    // On wide screens the page is exactly the viewport's height, so the terminal can fill it and a
    // long conversation or session list scrolls inside it. (As a flex item its height alone would
    // give way to its content; the max-height holds.)
    <div className="flex min-h-0 flex-1 flex-col gap-5 md:h-[calc(100dvh-3.5rem-4rem)] md:max-h-[calc(100dvh-3.5rem-4rem)]">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="grid min-w-0 gap-1">
          <Link to="/workspaces" className="inline-flex w-fit items-center gap-1 text-xs text-muted-foreground hover:text-foreground md:hidden">
            <ArrowLeft className="size-3" aria-hidden /> Workspaces
          </Link>
          <div className="flex min-w-0 items-center gap-3">
            <h1 className="truncate text-2xl font-semibold tracking-tight">{current.name}</h1>
            <StatusBadge status={current.status} title={current.error} />
          </div>
        </div>
        <WorkspaceActions workspace={current} showOpen={false} onDeleted={() => navigate('/workspaces')} />
      </div>

      {(current.status === 'error' || current.status === 'unreachable') && current.error && (
        <Alert variant="destructive">
          <CircleAlert />
          <AlertTitle>{current.status === 'unreachable' ? 'This workspace cannot be reached' : 'This workspace has a problem'}</AlertTitle>
          <AlertDescription>{current.error}</AlertDescription>
        </Alert>
      )}

      {current.status === 'creating' && current.progress && (
        <div className="rounded-xl border bg-card px-4 py-3" aria-label="Progress" role="group">
          <WorkspaceProgressBar workspace={current} className="max-w-md" />
        </div>
      )}

      <PostStartAlert workspace={current} />
      <CloneAlert workspace={current} />

      {/* A conversation needs the height more than the facts do on a phone. */}
      <WorkspaceFacts workspace={current} className={sessionId !== undefined ? 'max-md:hidden' : undefined} />

      <Tabs value={tab} onValueChange={(value) => navigate(`${base}/${value}`)} className="min-h-0 flex-1">
        {/* On a phone the tabs that are not shown are icons only, so all five fit. */}
        <TabsList className="max-w-full justify-start overflow-x-auto">
          <WorkspaceTabTrigger value="terminal" icon={SquareTerminal} label="Terminal" />
          <WorkspaceTabTrigger
            value="sessions"
            icon={MessagesSquare}
            label="Sessions"
            // From a conversation, the Sessions tab leads back to the list.
            onClick={() => sessionId !== undefined && tab === 'sessions' && navigate(`${base}/sessions`)}
          />
          <WorkspaceTabTrigger value="ports" icon={Network} label="Ports" />
          <WorkspaceTabTrigger value="logs" icon={ScrollText} label="Logs" />
          <WorkspaceTabTrigger value="run" icon={CirclePlay} label="Run" />
        </TabsList>
        {/* Kept mounted while Sessions shows, so the shells stay connected. */}
        <TabsContent value="terminal" forceMount hidden={tab !== 'terminal'} className="flex min-h-0 flex-col">
          <TerminalPanel workspace={current} />
        </TabsContent>
        <TabsContent value="sessions" className="flex min-h-0 flex-col">
          <SessionsTab workspace={current} sessionId={tab === 'sessions' ? sessionId : undefined} messageId={messageId} />
        </TabsContent>
        <TabsContent value="ports" className="min-h-0 overflow-y-auto">
          <PortsPanel workspace={current} shown={tab === 'ports'} />
        </TabsContent>
        {/* Kept mounted, so what was read of the log stays; it is asked for only while it shows. */}
        <TabsContent value="logs" forceMount hidden={tab !== 'logs'} className="flex min-h-0 flex-col">
          <LogsPanel workspace={current} shown={tab === 'logs'} />
        </TabsContent>
        {/* Kept mounted, so the last command's output stays while another tab shows. */}
        <TabsContent value="run" forceMount hidden={tab !== 'run'} className="min-h-0 overflow-y-auto">
          <RunPanel workspace={current} />
        </TabsContent>
      </Tabs>
    </div>
  );
}

function WorkspaceTabTrigger({ value, icon: Icon, label, onClick }: { value: WorkspaceTab; icon: LucideIcon; label: string; onClick?: () => void }) {
  return (
    <TabsTrigger value={value} aria-label={label} title={label} className="group" onClick={onClick}>
      <Icon aria-hidden />
      <span className="max-sm:hidden max-sm:group-data-[state=active]:inline">{label}</span>
    </TabsTrigger>
  );
}

function WorkspaceFacts({ workspace, className }: { workspace: Workspace; className?: string | undefined }) {
  const host = useAgentHost();
  const command = workspace.ports.ssh ? sshCommand(workspace.ports.ssh, host) : null;
  const now = useNow();
  return (
    <dl className={cn('grid grid-cols-2 gap-x-6 gap-y-3 rounded-xl border bg-card px-4 py-3 text-sm sm:grid-cols-3 lg:grid-cols-[auto_auto_auto_auto_minmax(0,1fr)]', className)}>
      <Fact label="Image">
        <span className="font-mono text-xs">{workspace.image}</span>
      </Fact>
      <Fact label="Created">
        <time dateTime={workspace.created} title={formatDateTime(workspace.created)}>
          {formatRelativeTime(workspace.created)}
        </time>
      </Fact>
      <Fact label="Last used">
        <LastUsed workspace={workspace} now={now} />
      </Fact>
      <Fact label="SSH port">
        <span className="font-mono text-xs">{workspace.ports.ssh || '—'}</span>
      </Fact>
      <Fact label="SSH" className="col-span-2 lg:col-span-1">
        {command ? (
          <div className="-my-1 flex min-w-0 items-center gap-1 rounded-md border bg-muted/40 pl-2.5">
            <code className="min-w-0 flex-1 truncate font-mono text-xs" aria-label="SSH command">
              {command}
            </code>
            <CopyButton text={command} label="Copy SSH command" className="size-7" />
          </div>
        ) : (
          '—'
        )}
      </Fact>
      <Fact label="Limits" className="col-span-2 sm:col-span-3">
        <span className="text-xs" data-testid="limits">
          {workspace.limits ? formatLimits(workspace.limits) : 'not recorded'}
        </span>
      </Fact>
      {workspace.devcontainer && (
        <Fact label="Devcontainer" className="col-span-2 sm:col-span-3 lg:col-span-1">
          <span className="block truncate text-xs" data-testid="built-from" title={workspace.devcontainer}>
            {builtFromText(workspace)}
          </span>
        </Fact>
      )}
      {workspace.clone && (
        <Fact label="Repository" className="col-span-2 sm:col-span-3 lg:col-span-1">
          <span className="block truncate font-mono text-xs" title={workspace.clone.url}>
            {workspace.clone.path}
            {workspace.clone.error && <span className="text-warning"> (not cloned)</span>}
          </span>
        </Fact>
      )}
    </dl>
  );
}

function Fact({ label, children, className }: { label: string; children: ReactNode; className?: string }) {
  return (
    <div className={className}>
      <dt className="text-xs text-muted-foreground">{label}</dt>
      <dd className="mt-1 min-w-0 font-medium">{children}</dd>
    </div>
  );
}

function WorkspaceSkeleton() {
  return (
    <div className="grid gap-5" aria-busy aria-label="Loading workspace">
      <Skeleton className="h-8 w-56" />
      <Skeleton className="h-16 w-full" />
      <Skeleton className="h-80 w-full" />
    </div>
  );
}

/** A repository asked for at create that could not be cloned: the workspace runs, without it. */
function CloneAlert({ workspace }: { workspace: Workspace }) {
  const clone = workspace.clone;
  if (!clone?.error) return null;
  return (
    <Alert variant="warning" data-clone="failed">
      <GitBranch />
      <AlertTitle>
        {clone.url} was not cloned into {clone.path}
      </AlertTitle>
      <AlertDescription>
        <pre className="font-mono text-xs whitespace-pre-wrap break-all">{clone.error}</pre>
      </AlertDescription>
    </Alert>
  );
}

/** The post-start scripts of the last start, when a person should know: one failed (a warning,
 * with why each failed), or they are still running. */
function PostStartAlert({ workspace }: { workspace: Workspace }) {
  const note = postStartNote(workspace);
  if (!note) return null;
  return (
    <Alert variant={note.tone === 'warning' ? 'warning' : 'default'} data-post-start={note.tone}>
      <CircleAlert />
      <AlertTitle>{note.text}</AlertTitle>
      {note.failed.length > 0 && (
        <AlertDescription>
          <ul className="grid gap-0.5">
            {note.failed.map((run) => (
              <li key={run.name}>
                <span className="font-medium">{run.name}</span>: {run.error}
              </li>
            ))}
          </ul>
        </AlertDescription>
      )}
    </Alert>
  );
}
