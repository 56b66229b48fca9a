import type { Workspace } from '@perry/client';

import { formatDateTime, formatRelativeTime } from '@/lib/format';

/** When a client last opened a terminal or session in the workspace: relative, or "never". */
export function LastUsed({ workspace, now }: { workspace: Workspace; now: number }) {
  if (!workspace.lastUsed) return <span data-last-used="never">never</span>;
  return (
    <time data-last-used={workspace.lastUsed} dateTime={workspace.lastUsed} title={formatDateTime(workspace.lastUsed)}>
      {formatRelativeTime(workspace.lastUsed, now)}
    </time>
  );
}
