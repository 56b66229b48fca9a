import type { SessionInfo } from '@perry/client';
import { Clock, FolderOpen, MessagesSquare } from 'lucide-react';

import { formatDateTime, formatRelativeTime } from '@/lib/format';

/** Message count, last activity and project directory of a session, on one wrapping line. */
export function SessionMeta({ session, now }: { session: SessionInfo; now: number }) {
  return (
    <div className="flex min-w-0 flex-wrap items-center gap-x-3 gap-y-1 text-xs text-muted-foreground">
      <span className="inline-flex items-center gap-1 tabular-nums">
        <MessagesSquare className="size-3.5" aria-hidden />
        {session.messageCount} {session.messageCount === 1 ? 'message' : 'messages'}
      </span>
      <span className="inline-flex items-center gap-1">
        <Clock className="size-3.5" aria-hidden />
        <time dateTime={session.lastActivity} title={formatDateTime(session.lastActivity)}>
          {formatRelativeTime(session.lastActivity, now)}
        </time>
      </span>
      {session.projectPath && (
        <span className="inline-flex min-w-0 max-w-full items-center gap-1 font-mono" title={session.projectPath}>
          <FolderOpen className="size-3.5 shrink-0" aria-hidden />
          <span className="truncate">{session.projectPath}</span>
        </span>
      )}
    </div>
  );
}

