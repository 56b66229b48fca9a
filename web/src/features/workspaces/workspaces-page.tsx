import { postStartNote, type Workspace } from '@perry/client';
import { ArrowDownUp, Boxes, Search } from 'lucide-react';
import { useEffect, useMemo, useState } from 'react';
import { Link } from 'react-router';

import { PageHeader } from '@/components/layout/page-header';
import { EmptyState, ErrorState } from '@/components/states';
import { Button } from '@/components/ui/button';
import { Card } from '@/components/ui/card';
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuLabel,
  DropdownMenuRadioGroup,
  DropdownMenuRadioItem,
  DropdownMenuTrigger,
} from '@/components/ui/dropdown-menu';
import { Input } from '@/components/ui/input';
import { Skeleton } from '@/components/ui/skeleton';
import { Table, TableBody, TableCell, TableHead, TableHeader, TableRow } from '@/components/ui/table';
import { formatDateTime, formatRelativeTime } from '@/lib/format';
import { useNow } from '@/lib/use-now';

import { useWaitingWorkspaces } from '@/features/attention/attention';
import { AgentSection } from '@/features/fleet/agent-section';
import { WorkspaceWaiting } from '@/features/attention/status-badges';
import { useFleetAgents } from '@/features/fleet/api';
import { PeerScope } from '@/lib/api';

import { usePendingCreates, useWorkspaces } from './api';
import { CreateWorkspaceDialog } from './create-workspace-dialog';
import { isWorkspaceSort, sortWorkspaces, WORKSPACE_SORTS, type WorkspaceSort } from './list-order';
import { RecentSessionsCard } from '@/features/sessions/recent-sessions-card';
import { StatusBadge } from './status-badge';
import { WorkspaceActions } from './workspace-actions';
import { LastUsed } from './last-used';
import { WorkspaceProgressBar } from './workspace-progress';
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
      <RecentSessionsCard />
    </div>
  );
}

/** The workspaces of the agent in scope: a table, a skeleton, an error or an empty state. */
export function WorkspaceList() {
  const workspaces = useWorkspaces();
  const pending = usePendingCreates();
  const [filter, setFilter] = useState('');
  const [sort, setSort] = useWorkspaceSort();
  const waiting = useWaitingWorkspaces();
  const now = useNow();

  // Creations this page started show at once, before the agent's list includes them.
  const rows = useMemo(() => {
    const listed = workspaces.data ?? [];
    const placeholders = pending
      .filter((name) => !listed.some((workspace) => workspace.name === name))
      .map((name): Workspace => ({ name, status: 'creating', created: new Date().toISOString(), image: '', ports: { ssh: 0 } }));
    // In the chosen order, those where a coding agent waits for the person first.
    const all = sortWorkspaces([...listed, ...placeholders], sort, waiting);
    const needle = filter.trim().toLowerCase();
    return needle ? all.filter((workspace) => workspace.name.includes(needle) || workspace.image.toLowerCase().includes(needle)) : all;
  }, [workspaces.data, pending, filter, waiting, sort]);

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
          <div className="flex flex-wrap items-center gap-2">
          {total > 5 && (
            <div className="relative max-w-xs flex-1 basis-48">
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
            <SortMenu sort={sort} onSort={setSort} />
          </div>
          <Card className="gap-0 overflow-hidden py-0">
            <Table aria-label="Workspaces">
              <TableHeader className="bg-muted/40">
                <TableRow className="hover:bg-transparent">
                  <TableHead className="pl-4">Name</TableHead>
                  <TableHead>Status</TableHead>
                  <TableHead className="hidden md:table-cell">Image</TableHead>
                  <TableHead className="hidden lg:table-cell">SSH port</TableHead>
                  <TableHead className="hidden md:table-cell">Created</TableHead>
                  <TableHead className="hidden sm:table-cell">Last used</TableHead>
                  <TableHead className="pr-4 text-right">
                    <span className="sr-only">Actions</span>
                  </TableHead>
                </TableRow>
              </TableHeader>
              <TableBody>
                {rows.map((workspace) => (
                  <WorkspaceRow key={workspace.name} workspace={workspace} now={now} placeholder={!workspaces.data?.some((w) => w.name === workspace.name)} />
                ))}
                {rows.length === 0 && (
                  <TableRow>
                    <TableCell colSpan={7} className="py-8 text-center text-muted-foreground">
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

const SORT_STORAGE_KEY = 'perry:workspaces-sort';

/** The list's order, remembered in this browser. */
function useWorkspaceSort(): [WorkspaceSort, (sort: WorkspaceSort) => void] {
  const [sort, setSort] = useState<WorkspaceSort>(() => {
    const stored = localStorage.getItem(SORT_STORAGE_KEY);
    return isWorkspaceSort(stored) ? stored : 'name';
  });
  return [
    sort,
    (next) => {
      setSort(next);
      localStorage.setItem(SORT_STORAGE_KEY, next);
    },
  ];
}

function SortMenu({ sort, onSort }: { sort: WorkspaceSort; onSort: (sort: WorkspaceSort) => void }) {
  const label = WORKSPACE_SORTS.find((option) => option.value === sort)?.label ?? '';
  return (
    <DropdownMenu>
      <DropdownMenuTrigger asChild>
        <Button variant="outline" size="sm" className="ml-auto" aria-label={`Sort workspaces: ${label}`}>
          <ArrowDownUp />
          <span className="text-muted-foreground">Sort:</span> {label}
        </Button>
      </DropdownMenuTrigger>
      <DropdownMenuContent align="end" className="w-44">
        <DropdownMenuLabel>Sort by</DropdownMenuLabel>
        <DropdownMenuRadioGroup value={sort} onValueChange={(value) => isWorkspaceSort(value) && onSort(value)}>
          {WORKSPACE_SORTS.map((option) => (
            <DropdownMenuRadioItem key={option.value} value={option.value}>
              {option.label}
            </DropdownMenuRadioItem>
          ))}
        </DropdownMenuRadioGroup>
      </DropdownMenuContent>
    </DropdownMenu>
  );
}

function WorkspaceRow({ workspace, placeholder, now }: { workspace: Workspace; placeholder: boolean; now: number }) {
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
        {!placeholder && workspace.status !== 'creating' && (
          <p className="mt-0.5 text-xs text-muted-foreground sm:hidden">
            Last used <LastUsed workspace={workspace} now={now} />
          </p>
        )}
        <WorkspaceProgressBar workspace={workspace} className="mt-1.5 max-w-56" />
      </TableCell>
      <TableCell>
        <StatusBadge status={workspace.status} title={workspace.error} />
      </TableCell>
      <TableCell className="hidden font-mono text-xs text-muted-foreground md:table-cell">{workspace.image || '—'}</TableCell>
      <TableCell className="hidden font-mono text-xs text-muted-foreground lg:table-cell">{workspace.ports.ssh || '—'}</TableCell>
      <TableCell className="hidden text-muted-foreground md:table-cell">
        <time dateTime={workspace.created} title={formatDateTime(workspace.created)}>
          {formatRelativeTime(workspace.created, now)}
        </time>
      </TableCell>
      <TableCell className="hidden text-muted-foreground sm:table-cell" data-column="last-used">
        <LastUsed workspace={workspace} now={now} />
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
