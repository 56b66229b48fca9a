import { postStartNote, type Workspace } from '@perry/client';
import { Boxes, Search } from 'lucide-react';
import { useEffect, useMemo, useState } from 'react';
import { Link } from 'react-router';

import { PageHeader } from '@/components/layout/page-header';
import { EmptyState, ErrorState } from '@/components/states';
import { Card } from '@/components/ui/card';
import { Input } from '@/components/ui/input';
import { Skeleton } from '@/components/ui/skeleton';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table';
import { formatDateTime, formatRelativeTime } from '@/lib/format';

import { useWaitingWorkspaces } from '@/features/attention/attention';
import { AgentSection } from '@/features/fleet/agent-section';
import { WorkspaceWaiting } from '@/features/attention/status-badges';
import { useFleetAgents } from '@/features/fleet/api';
import { PeerScope } from '@/lib/api';

import { usePendingCreates, useWorkspaces } from './api';
import { CreateWorkspaceDialog } from './create-workspace-dialog';
import { StatusBadge } from './status-badge';
import { WorkspaceActions } from './workspace-actions';
import { useWorkspacePath } from '@/lib/api';

export const LIST_RENDERED_MARK = 'perry:workspaces-rendered';

export function WorkspacesPage() {
  const agents = useFleetAgents();
  return (
    <div className="grid gap-6">
      <PageHeader
        title="Workspaces"
        description="Isolated containers with their own Docker daemon, for you and your coding agents."
        actions={<CreateWorkspaceDialog />}
      />
      {agents.length === 1 ? (
        <WorkspaceList />
      ) : (
        agents.map((agent) => (
          <PeerScope key={agent ?? ''} agent={agent}>
            <AgentSection />
          </PeerScope>
        ))
      )}
    </div>
  );
}

/** The workspaces of the agent in scope: a table, a skeleton, an error or an empty state. */
export function WorkspaceList() {
  const workspaces = useWorkspaces();
  const pending = usePendingCreates();
  const [filter, setFilter] = useState('');
  const waiting = useWaitingWorkspaces();

  // Creations this page started show at once, before the agent's list includes them.
  const rows = useMemo(() => {
    const listed = workspaces.data ?? [];
    const placeholders = pending
      .filter((name) => !listed.some((workspace) => workspace.name === name))
      .map((name): Workspace => ({ name, status: 'creating', created: new Date().toISOString(), image: '', ports: { ssh: 0 } }));
    // By name, those where a coding agent waits for the person first.
    const all = [...listed, ...placeholders].sort(
      (a, b) => Number(waiting.has(b.name)) - Number(waiting.has(a.name)) || a.name.localeCompare(b.name),
    );
    const needle = filter.trim().toLowerCase();
    return needle ? all.filter((workspace) => workspace.name.includes(needle) || workspace.image.toLowerCase().includes(needle)) : all;
  }, [workspaces.data, pending, filter, waiting]);

  const total = (workspaces.data?.length ?? 0) + pending.length;

  // The benchmark reads this mark: navigation start → the list first on screen.
  const loaded = workspaces.data !== undefined;
  useEffect(() => {
    if (loaded && performance.getEntriesByName(LIST_RENDERED_MARK).length === 0) performance.mark(LIST_RENDERED_MARK);
  }, [loaded]);

  return (
    <>
      {workspaces.isPending ? (
        <WorkspacesSkeleton />
      ) : workspaces.isError && !workspaces.data ? (
        <ErrorState title="Could not load workspaces" error={workspaces.error} onRetry={() => void workspaces.refetch()} />
      ) : total === 0 ? (
        <EmptyState
          icon={Boxes}
          title="No workspaces yet"
          action={<CreateWorkspaceDialog />}
        >
          Create one to get a Linux box with Docker inside, reachable from this page, over SSH and from the perry CLI.
        </EmptyState>
      ) : (
        <div className="grid gap-3">
          {total > 5 && (
            <div className="relative max-w-xs">
              <Search className="pointer-events-none absolute top-1/2 left-2.5 size-4 -translate-y-1/2 text-muted-foreground" aria-hidden />
              <Input
                type="search"
                aria-label="Filter workspaces"
                placeholder="Filter workspaces…"
                className="pl-8"
                value={filter}
                onChange={(event) => setFilter(event.target.value)}
              />
            </div>
          )}
          <Card className="gap-0 overflow-hidden py-0">
            <Table aria-label="Workspaces">
              <TableHeader className="bg-muted/40">
                <TableRow className="hover:bg-transparent">
                  <TableHead className="pl-4">Name</TableHead>
                  <TableHead>Status</TableHead>
                  <TableHead className="hidden md:table-cell">Image</TableHead>
                  <TableHead className="hidden lg:table-cell">SSH port</TableHead>
                  <TableHead className="hidden md:table-cell">Created</TableHead>
                  <TableHead className="pr-4 text-right">
                    <span className="sr-only">Actions</span>
                  </TableHead>
                </TableRow>
              </TableHeader>
              <TableBody>
                {rows.map((workspace) => (
                  <WorkspaceRow key={workspace.name} workspace={workspace} placeholder={!workspaces.data?.some((w) => w.name === workspace.name)} />
                ))}
                {rows.length === 0 && (
                  <TableRow>
                    <TableCell colSpan={6} className="py-8 text-center text-muted-foreground">
                      No workspace matches “{filter}”.
                    </TableCell>
                  </TableRow>
                )}
              </TableBody>
            </Table>
          </Card>
          {workspaces.isError && (
            <p role="status" className="text-sm text-destructive">
              Live updates paused: the last refresh failed. Retrying…
            </p>
          )}
        </div>
      )}
    </>
  );
}

function WorkspaceRow({ workspace, placeholder }: { workspace: Workspace; placeholder: boolean }) {
  const href = useWorkspacePath()(workspace.name);
  return (
    <TableRow data-workspace={workspace.name} aria-label={workspace.name}>
      <TableCell className="max-w-[10rem] pl-4 sm:max-w-none">
        <div className="flex min-w-0 items-center gap-2">
          {placeholder ? (
            <span className="font-medium">{workspace.name}</span>
          ) : (
            <Link to={href} className="block truncate font-medium hover:underline focus-visible:underline focus-visible:outline-none">
              {workspace.name}
            </Link>
          )}
          {!placeholder && <WorkspaceWaiting name={workspace.name} />}
        </div>
        {(workspace.status === 'error' || workspace.status === 'unreachable') && workspace.error && (
          <p className="mt-0.5 max-w-xs truncate text-xs text-destructive" title={workspace.error}>
            {workspace.error}
          </p>
        )}
        <PostStartLine workspace={workspace} />
      </TableCell>
      <TableCell>
        <StatusBadge status={workspace.status} title={workspace.error} />
      </TableCell>
      <TableCell className="hidden font-mono text-xs text-muted-foreground md:table-cell">{workspace.image || '—'}</TableCell>
      <TableCell className="hidden font-mono text-xs text-muted-foreground lg:table-cell">{workspace.ports.ssh || '—'}</TableCell>
      <TableCell className="hidden text-muted-foreground md:table-cell">
        <time dateTime={workspace.created} title={formatDateTime(workspace.created)}>
          {formatRelativeTime(workspace.created)}
        </time>
      </TableCell>
      <TableCell className="pr-4">{!placeholder && <WorkspaceActions workspace={workspace} compact />}</TableCell>
    </TableRow>
  );
}

function WorkspacesSkeleton() {
  return (
    <Card className="gap-0 py-0" aria-busy aria-label="Loading workspaces">
      {[0, 1, 2].map((row) => (
        <div key={row} className="flex items-center gap-4 border-b px-4 py-4 last:border-0">
          <Skeleton className="h-4 w-32" />
          <Skeleton className="h-5 w-16" />
          <Skeleton className="ml-auto h-8 w-20" />
        </div>
      ))}
    </Card>
  );
}

/** Under a workspace's name: its post-start scripts failed (a warning) or still run. */
function PostStartLine({ workspace }: { workspace: Workspace }) {
  const note = postStartNote(workspace);
  if (!note) return null;
  return (
    <p data-post-start={note.tone} className={`mt-0.5 max-w-xs truncate text-xs ${note.tone === 'warning' ? 'text-warning' : 'text-muted-foreground'}`} title={note.text}>
      {note.text}
    </p>
  );
}
