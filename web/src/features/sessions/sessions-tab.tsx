import type { Workspace } from '@perry/client';
import { Bot, Clock, FolderOpen, MessagesSquare, Sparkles } from 'lucide-react';

import { CopyButton } from '@/components/copy-button';
import { EmptyState, ErrorState, LoadingState } from '@/components/states';
import { Badge } from '@/components/ui/badge';
import { Card } from '@/components/ui/card';
import { errorCode } from '@/lib/errors';
import { formatDateTime, formatRelativeTime } from '@/lib/format';

import { useSessions, type SessionListItem } from './api';

const AGENT_NAMES: Record<string, string> = {
  'claude-code': 'Claude Code',
  opencode: 'OpenCode',
  codex: 'Codex',
};

/** The coding-agent sessions (Claude Code, OpenCode, Codex…) found inside a workspace. */
export function SessionsTab({ workspace }: { workspace: Workspace }) {
  const running = workspace.status === 'running';
  const sessions = useSessions(workspace.name, running);

  if (!running) {
    return (
      <EmptyState icon={MessagesSquare} title="The workspace is not running">
        Start it to see the coding-agent sessions inside.
      </EmptyState>
    );
  }
  if (sessions.isPending) return <LoadingState label="Loading sessions…" />;
  if (sessions.isError) {
    if (errorCode(sessions.error) === 'NOT_IMPLEMENTED') {
      return (
        <EmptyState icon={Sparkles} title="Sessions are not available yet">
          This agent does not index coding-agent sessions yet. Once it does, the sessions of Claude Code, OpenCode and
          Codex in this workspace show up here, live.
        </EmptyState>
      );
    }
    return <ErrorState title="Could not load sessions" error={sessions.error} onRetry={() => void sessions.refetch()} />;
  }
  if (sessions.data.length === 0) {
    return (
      <EmptyState icon={MessagesSquare} title="No sessions yet">
        Start a coding agent (claude, opencode, codex) in the terminal; its sessions appear here.
      </EmptyState>
    );
  }
  const sorted = [...sessions.data].sort((a, b) => Date.parse(b.lastActivity) - Date.parse(a.lastActivity));
  return (
    <ul className="grid gap-3" aria-label="Sessions">
      {sorted.map((session) => (
        <SessionCard key={session.sessionId} session={session} />
      ))}
    </ul>
  );
}

function SessionCard({ session }: { session: SessionListItem }) {
  return (
    <li>
      <Card className="gap-3 px-4 py-4">
        <div className="flex flex-wrap items-start justify-between gap-2">
          <h3 className="min-w-0 flex-1 font-medium break-words">{session.title || 'Untitled session'}</h3>
          <Badge variant="outline" className="gap-1">
            <Bot aria-hidden />
            {AGENT_NAMES[session.agent] ?? session.agent}
          </Badge>
        </div>
        <div className="flex flex-wrap gap-x-4 gap-y-1 text-xs text-muted-foreground">
          <span className="inline-flex items-center gap-1">
            <MessagesSquare className="size-3.5" aria-hidden />
            {session.messageCount} {session.messageCount === 1 ? 'message' : 'messages'}
          </span>
          <span className="inline-flex items-center gap-1">
            <Clock className="size-3.5" aria-hidden />
            <time dateTime={session.lastActivity} title={formatDateTime(session.lastActivity)}>
              {formatRelativeTime(session.lastActivity)}
            </time>
          </span>
          {session.projectPath && (
            <span className="inline-flex min-w-0 items-center gap-1 font-mono">
              <FolderOpen className="size-3.5 shrink-0" aria-hidden />
              <span className="truncate">{session.projectPath}</span>
            </span>
          )}
        </div>
        {session.resumeCommand && (
          <div className="flex items-center gap-1 rounded-md border bg-muted/40 py-0.5 pr-0.5 pl-3">
            <code className="min-w-0 flex-1 truncate font-mono text-xs">{session.resumeCommand}</code>
            <CopyButton text={session.resumeCommand} label="Copy resume command" />
          </div>
        )}
      </Card>
    </li>
  );
}
