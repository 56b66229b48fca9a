import type { SessionAgent, SessionInfo, SessionSearchHit, Workspace } from '@perry/client';
import { MessagesSquare, Play, Search, SearchX, X } from 'lucide-react';
import { lazy, Suspense, useMemo, useState, type ReactNode } from 'react';
import { Link } from 'react-router';

import { CopyButton } from '@/components/copy-button';
import { EmptyState, ErrorState, LoadingState } from '@/components/states';
import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/input';
import { Skeleton } from '@/components/ui/skeleton';
import { Spinner } from '@/components/ui/spinner';
import { useStartWorkspace } from '@/features/workspaces/api';
import { errorCode, sessionSubtitle, sessionTitle } from '@perry/client';
import { useNow } from '@/lib/use-now';
import { cn } from '@/lib/utils';

import { AGENT_ORDER, AGENTS, AgentBadge } from './agents';
import { useDebounced, useSessions, useSessionSearch, type SessionsFeed } from './api';
import { attentionFirst, sessionKey } from '@perry/client';
import { SessionStatusBadge } from '@/features/attention/status-badges';
import { ResumeButton } from './resume-button';
import { SessionActions } from './session-actions';
import { SessionMeta } from './session-meta';
import { useWorkspacePath } from '@/lib/api';

// The conversation view is only needed once a session is opened.
const ConversationView = lazy(() => import('./conversation-view'));

/** How many sessions the list renders before "Show more". */
const LIST_PAGE = 100;

/** The address of a session's conversation, in the agent scope this is rendered in. */
function useSessionPath(): (workspaceName: string, sessionId: string) => string {
  const toWorkspace = useWorkspacePath();
  return (workspaceName, sessionId) => toWorkspace(workspaceName, `sessions/${encodeURIComponent(sessionId)}`);
}

/**
 * The coding-agent sessions (Claude Code, OpenCode, Codex) found inside a workspace, live; with
 * `sessionId`, that session's conversation.
 */
export function SessionsTab({ workspace, sessionId, messageId }: { workspace: Workspace; sessionId?: string | undefined; messageId?: string | undefined }) {
  const running = workspace.status === 'running';
  const sessions = useSessions(workspace.name, running);

  if (!running) return <StartWorkspace workspace={workspace} />;
  if (sessions.isError && errorCode(sessions.error) === 'CONFLICT') return <StartWorkspace workspace={workspace} />;
  if (sessionId !== undefined) {
    const session = sessions.data?.find((candidate) => candidate.sessionId === sessionId);
    return (
      <Suspense fallback={<LoadingState label="Loading conversation…" />}>
        <ConversationView
          key={sessionId}
          workspaceName={workspace.name}
          sessionId={sessionId}
          session={session}
          listLoaded={sessions.isSuccess}
          highlightId={messageId}
        />
      </Suspense>
    );
  }
  return <SessionsList workspaceName={workspace.name} sessions={sessions} />;
}

function StartWorkspace({ workspace }: { workspace: Workspace }) {
  const start = useStartWorkspace();
  const creating = workspace.status === 'creating';
  return (
    <EmptyState
      icon={MessagesSquare}
      title={creating ? 'The workspace is starting' : 'Start the workspace to see its sessions'}
      action={
        creating ? (
          <Spinner />
        ) : (
          <Button onClick={() => start.mutate(workspace.name)} disabled={start.isPending}>
            {start.isPending ? <Spinner /> : <Play />}
            Start workspace
          </Button>
        )
      }
    >
      {creating
        ? 'Its sessions show up once it runs.'
        : 'Perry reads the Claude Code, OpenCode and Codex sessions inside a workspace while it runs.'}
    </EmptyState>
  );
}

type AgentFilter = SessionAgent | 'all';

function SessionsList({ workspaceName, sessions }: { workspaceName: string; sessions: ReturnType<typeof useSessions> }) {
  const [filter, setFilter] = useState<AgentFilter>('all');
  const [query, setQuery] = useState('');
  const [shown, setShown] = useState(LIST_PAGE);
  const debounced = useDebounced(query.trim(), 300);
  const searching = query.trim().length > 0;
  const search = useSessionSearch(workspaceName, debounced, sessions.isSuccess);
  const now = useNow();

  // Newest first, those that need the person before the rest.
  const all = useMemo(() => attentionFirst(sessions.data ?? []), [sessions.data]);
  const counts = useMemo(() => {
    const byAgent: Record<string, number> = {};
    for (const session of all) byAgent[session.agent] = (byAgent[session.agent] ?? 0) + 1;
    return byAgent;
  }, [all]);
  const visible = filter === 'all' ? all : all.filter((session) => session.agent === filter);

  let body: ReactNode;
  if (sessions.isPending) {
    body = <ListSkeleton />;
  } else if (sessions.isError && sessions.data === undefined) {
    body = <ErrorState title="Could not load sessions" error={sessions.error} onRetry={() => void sessions.refetch()} />;
  } else if (searching) {
    body = <SearchResults workspaceName={workspaceName} query={debounced} typing={debounced !== query.trim()} search={search} filter={filter} />;
  } else if (all.length === 0) {
    body = (
      <EmptyState icon={MessagesSquare} title="No coding-agent sessions yet">
        Start <code className="font-mono text-foreground">claude</code>, <code className="font-mono text-foreground">opencode</code> or{' '}
        <code className="font-mono text-foreground">codex</code> in a terminal; its sessions show up here as they happen.
      </EmptyState>
    );
  } else if (visible.length === 0) {
    body = (
      <EmptyState icon={MessagesSquare} title={`No ${AGENTS[filter as SessionAgent]?.name ?? ''} sessions`}>
        This workspace has sessions of other tools only.
      </EmptyState>
    );
  } else {
    body = (
      <>
        <ul className="grid gap-2" aria-label="Sessions">
          {visible.slice(0, shown).map((session) => (
            <SessionRow key={sessionKey(session)} workspaceName={workspaceName} session={session} now={now} />
          ))}
        </ul>
        {visible.length > shown && (
          <Button variant="ghost" size="sm" className="mx-auto mt-2 flex" onClick={() => setShown((n) => n + LIST_PAGE)}>
            Show more ({visible.length - shown} left)
          </Button>
        )}
      </>
    );
  }

  return (
    <div className="flex min-h-0 flex-1 flex-col gap-3">
      <div className="flex flex-wrap items-center gap-2">
        <div className="relative min-w-0 flex-1 basis-56 sm:max-w-xl">
          <Search className="pointer-events-none absolute top-1/2 left-2.5 size-4 -translate-y-1/2 text-muted-foreground" aria-hidden />
          <Input
            type="search"
            aria-label="Search sessions"
            placeholder="Search titles and messages…"
            value={query}
            onChange={(event) => setQuery(event.target.value)}
            onKeyDown={(event) => {
              if (event.key === 'Escape') setQuery('');
            }}
            className="pr-8 pl-8 [&::-webkit-search-cancel-button]:hidden"
            disabled={!sessions.isSuccess}
          />
          {query && (
            <button
              type="button"
              aria-label="Clear search"
              className="absolute top-1/2 right-1.5 -translate-y-1/2 rounded p-1 text-muted-foreground hover:bg-accent hover:text-foreground"
              onClick={() => setQuery('')}
            >
              <X className="size-3.5" />
            </button>
          )}
        </div>
        <div className="ml-auto">
          <FeedIndicator feed={sessions.feed} />
        </div>
      </div>
      {all.length > 0 && (
        <div role="radiogroup" aria-label="Filter by agent" className="flex flex-wrap gap-1">
          <FilterChip label="All" count={all.length} checked={filter === 'all'} onSelect={() => setFilter('all')} />
          {AGENT_ORDER.map((agent) => (
            <FilterChip
              key={agent}
              label={AGENTS[agent].name}
              count={counts[agent] ?? 0}
              checked={filter === agent}
              onSelect={() => setFilter(agent)}
              icon={AGENTS[agent].icon}
            />
          ))}
        </div>
      )}
      <div className="min-h-0 md:-mx-1 md:flex-1 md:overflow-y-auto md:px-1 md:pb-1">{body}</div>
    </div>
  );
}

function FilterChip({
  label,
  count,
  checked,
  onSelect,
  icon: Icon,
}: {
  label: string;
  count: number;
  checked: boolean;
  onSelect: () => void;
  icon?: (typeof AGENTS)[SessionAgent]['icon'];
}) {
  return (
    <button
      type="button"
      role="radio"
      aria-checked={checked}
      onClick={onSelect}
      className={cn(
        'inline-flex h-7 shrink-0 items-center gap-1.5 rounded-full border px-2.5 text-xs font-medium transition-colors outline-none focus-visible:ring-[3px] focus-visible:ring-ring/50',
        checked ? 'border-foreground/20 bg-foreground text-background' : 'bg-background text-muted-foreground hover:bg-accent hover:text-foreground',
        count === 0 && !checked && 'opacity-60',
      )}
    >
      {Icon && <Icon className="size-3" aria-hidden />}
      {label}
      <span className={cn('tabular-nums', checked ? 'text-background/70' : 'text-muted-foreground/80')}>{count}</span>
    </button>
  );
}

function FeedIndicator({ feed }: { feed: SessionsFeed }) {
  const look = {
    live: { dot: 'bg-success', label: 'Live', title: 'Changes show up as they happen' },
    connecting: { dot: 'bg-warning animate-pulse', label: 'Connecting…', title: 'Connecting to the live feed' },
    polling: { dot: 'bg-muted-foreground', label: 'Refreshing every 5 s', title: 'The live feed cannot be opened; the list is refreshed every 5 seconds' },
  }[feed];
  return (
    <span className="inline-flex shrink-0 items-center gap-1.5 text-xs text-muted-foreground" title={look.title} role="status" aria-label={`Sessions feed: ${look.label}`}>
      <span className={cn('size-2 rounded-full', look.dot)} aria-hidden />
      {look.label}
    </span>
  );
}

function SessionRow({ workspaceName, session, now }: { workspaceName: string; session: SessionInfo; now: number }) {
  const sessionPath = useSessionPath();
  const title = sessionTitle(session);
  const subtitle = sessionSubtitle(session);
  return (
    <li
      aria-label={title}
      data-session-id={session.sessionId}
      className="group relative flex flex-col gap-2 rounded-xl border bg-card px-4 py-3 shadow-xs transition-colors hover:border-foreground/20 hover:bg-accent/40 sm:flex-row sm:items-center sm:gap-4"
    >
      <div className="grid min-w-0 flex-1 gap-1.5">
        <div className="flex min-w-0 items-center gap-2">
          <AgentBadge agent={session.agent} />
          <SessionStatusBadge status={session.status} />
          <h3 className="min-w-0 truncate font-medium">
            {/* The whole row opens the conversation; the buttons sit above this link. */}
            <Link
              to={sessionPath(workspaceName, session.sessionId)}
              className="outline-none after:absolute after:inset-0 after:rounded-xl focus-visible:after:ring-[3px] focus-visible:after:ring-ring/50"
              title={title}
            >
              {title}
            </Link>
          </h3>
        </div>
        {subtitle && (
          <p className="truncate text-sm text-muted-foreground" title={subtitle} data-session-title>
            {subtitle}
          </p>
        )}
        {session.status?.state === 'needs_input' && session.status.detail && (
          <p className="truncate text-sm text-warning" title={session.status.detail}>
            {session.status.detail}
          </p>
        )}
        <SessionMeta session={session} now={now} />
      </div>
      <div className="flex shrink-0 items-center gap-1">
        <ResumeButton workspaceName={workspaceName} session={session} compact />
        {session.resumeCommand && <CopyButton text={session.resumeCommand} label="Copy resume command" className="relative z-10" />}
        <SessionActions workspaceName={workspaceName} session={session} />
      </div>
    </li>
  );
}

function ListSkeleton() {
  return (
    <div className="grid gap-2" aria-busy aria-label="Loading sessions" role="status">
      {[0, 1, 2].map((i) => (
        <div key={i} className="grid gap-2 rounded-xl border px-4 py-3">
          <Skeleton className="h-5 w-2/3" />
          <Skeleton className="h-3.5 w-1/2" />
        </div>
      ))}
    </div>
  );
}

/** `text` with each case-insensitive occurrence of `query` marked; plain text nodes only. */
export function highlight(text: string, query: string): ReactNode[] {
  const needle = query.trim().toLowerCase();
  if (!needle) return [text];
  const parts: ReactNode[] = [];
  const lower = text.toLowerCase();
  let from = 0;
  for (let at = lower.indexOf(needle); at !== -1; at = lower.indexOf(needle, from)) {
    if (at > from) parts.push(text.slice(from, at));
    parts.push(
      <mark key={at} className="rounded-sm bg-warning/25 px-0.5 text-foreground">
        {text.slice(at, at + needle.length)}
      </mark>,
    );
    from = at + needle.length;
  }
  if (from < text.length) parts.push(text.slice(from));
  return parts;
}

function SearchResults({
  workspaceName,
  query,
  typing,
  search,
  filter,
}: {
  workspaceName: string;
  query: string;
  typing: boolean;
  search: ReturnType<typeof useSessionSearch>;
  filter: AgentFilter;
}) {
  if (search.isError) return <ErrorState title="Search failed" error={search.error} onRetry={() => void search.refetch()} />;
  if (!search.data || (search.isFetching && search.isPlaceholderData && search.data.length === 0)) {
    return <LoadingState label="Searching…" />;
  }
  const hits = filter === 'all' ? search.data : search.data.filter((hit) => hit.session.agent === filter);
  if (hits.length === 0 && !typing && !search.isFetching) {
    return (
      <EmptyState icon={SearchX} title={`Nothing matches “${query}”`}>
        Search looks through session titles and message text.
      </EmptyState>
    );
  }
  return (
    <div className={cn('grid gap-2', (typing || search.isFetching) && 'opacity-70')}>
      <p className="text-xs text-muted-foreground" role="status">
        {hits.length} {hits.length === 1 ? 'match' : 'matches'} for “{query}”
      </p>
      <ul className="grid gap-2" aria-label="Search results">
        {hits.map((hit, index) => (
          <SearchHitRow key={`${sessionKey(hit.session)}-${hit.messageId ?? ''}-${index}`} workspaceName={workspaceName} hit={hit} query={query} />
        ))}
      </ul>
    </div>
  );
}

function SearchHitRow({ workspaceName, hit, query }: { workspaceName: string; hit: SessionSearchHit; query: string }) {
  const sessionPath = useSessionPath();
  const title = sessionTitle(hit.session);
  const to = sessionPath(workspaceName, hit.session.sessionId) + (hit.messageId ? `?message=${encodeURIComponent(hit.messageId)}` : '');
  return (
    <li className="relative grid gap-1.5 rounded-xl border bg-card px-4 py-3 shadow-xs transition-colors hover:border-foreground/20 hover:bg-accent/40">
      <div className="flex min-w-0 items-center gap-2">
        <AgentBadge agent={hit.session.agent} />
        <h3 className="min-w-0 truncate font-medium">
          <Link to={to} className="outline-none after:absolute after:inset-0 after:rounded-xl focus-visible:after:ring-[3px] focus-visible:after:ring-ring/50">
            {title}
          </Link>
        </h3>
      </div>
      <p className="line-clamp-2 text-sm break-words text-muted-foreground">{highlight(hit.snippet, query)}</p>
    </li>
  );
}
