import { History } from 'lucide-react';
import { Link } from 'react-router';

import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Skeleton } from '@/components/ui/skeleton';
import { SessionStatusBadge } from '@/features/attention/status-badges';
import { formatDateTime, formatRelativeTime } from '@/lib/format';
import { useWorkspacePath } from '@/lib/api';
import { useNow } from '@/lib/use-now';
import { errorMessage, recentTime, sessionSubtitle, sessionTitle } from '@perry/client';

import { AgentBadge } from './agents';
import { useRecentSessions } from './api';

/**
 * The coding-agent sessions opened or active last, across every workspace of the agent in scope,
 * each leading to its conversation: where the person left off.
 */
export function RecentSessionsCard() {
  const recent = useRecentSessions();
  const toWorkspace = useWorkspacePath();
  const now = useNow();

  let body;
  if (recent.isPending) {
    body = (
      <div className="grid gap-2 px-5" aria-busy aria-label="Loading recent sessions">
        {[0, 1, 2].map((row) => (
          <Skeleton key={row} className="h-10 w-full" />
        ))}
      </div>
    );
  } else if (recent.isError && !recent.data) {
    body = (
      // Quiet, not an alert: the page is about the workspaces, and an older agent has no such list.
      <CardContent className="flex flex-wrap items-center gap-2 text-sm text-muted-foreground">
        <span className="min-w-0 break-words">Could not load recent sessions: {errorMessage(recent.error)}</span>
        <Button variant="outline" size="sm" onClick={() => void recent.refetch()}>
          Try again
        </Button>
      </CardContent>
    );
  } else if (recent.data.length === 0) {
    body = (
      <CardContent>
        <p className="rounded-lg border border-dashed px-4 py-6 text-center text-sm text-muted-foreground">
          No sessions yet. Run <code className="font-mono text-foreground">claude</code>, <code className="font-mono text-foreground">opencode</code> or{' '}
          <code className="font-mono text-foreground">codex</code> in a workspace&apos;s terminal: its sessions show up here, newest first, from
          every running workspace.
        </p>
      </CardContent>
    );
  } else {
    body = (
      <ul className="grid" aria-label="Recent sessions">
        {recent.data.map((item) => {
          const title = sessionTitle(item.session);
          const subtitle = sessionSubtitle(item.session);
          const when = recentTime(item);
          return (
            <li
              key={`${item.workspace}/${item.session.agent}/${item.session.sessionId}`}
              aria-label={title}
              data-session-id={item.session.sessionId}
              className="relative border-t px-5 py-2.5 transition-colors first:border-t-0 hover:bg-accent/40"
            >
              <div className="flex min-w-0 items-center gap-2">
                <span className="max-w-[40%] shrink-0 truncate font-mono text-xs text-muted-foreground" title={item.workspace}>
                  {item.workspace}
                </span>
                <Link
                  to={toWorkspace(item.workspace, `sessions/${encodeURIComponent(item.session.sessionId)}`)}
                  className="min-w-0 flex-1 truncate text-sm font-medium outline-none after:absolute after:inset-0 focus-visible:after:ring-[3px] focus-visible:after:ring-ring/50"
                  title={subtitle ? `${title} (${subtitle})` : title}
                >
                  {title}
                </Link>
                <time dateTime={when} title={formatDateTime(when)} className="shrink-0 text-xs text-muted-foreground">
                  {formatRelativeTime(when, now)}
                </time>
              </div>
              <div className="mt-1 flex min-w-0 items-center gap-2">
                <AgentBadge agent={item.session.agent} />
                <SessionStatusBadge status={item.session.status} />
                {subtitle && <span className="min-w-0 truncate text-xs text-muted-foreground">{subtitle}</span>}
              </div>
            </li>
          );
        })}
      </ul>
    );
  }

  return (
    <Card className="gap-3 overflow-hidden pb-0" aria-labelledby="recent-sessions-title" role="region">
      <CardHeader>
        <CardTitle id="recent-sessions-title" className="flex items-center gap-2">
          <History className="size-4 text-muted-foreground" aria-hidden />
          Recent sessions
        </CardTitle>
        <CardDescription>Opened or active last, across your workspaces.</CardDescription>
      </CardHeader>
      <div className="pb-3">{body}</div>
    </Card>
  );
}
