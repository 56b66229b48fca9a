import type { Workspace } from '@perry/client';

import { cn } from '@/lib/utils';

import { progressPercent } from './list-order';

/**
 * What a create or clone under way is doing: its step and, when the agent tells it, a bar of the
 * step's percent (an indeterminate one otherwise). Nothing once the workspace is no longer
 * `creating` or the agent said no step.
 */
export function WorkspaceProgressBar({ workspace, className }: { workspace: Workspace; className?: string | undefined }) {
  if (workspace.status !== 'creating' || !workspace.progress) return null;
  const percent = progressPercent(workspace.progress);
  return (
    <div className={cn('grid min-w-0 gap-1', className)} data-progress-step={workspace.progress.step}>
      <div className="flex min-w-0 items-baseline justify-between gap-2 text-xs text-muted-foreground">
        <span className="truncate" title={workspace.progress.step}>
          {workspace.progress.step}
        </span>
        {percent !== undefined && <span className="shrink-0 tabular-nums">{percent}%</span>}
      </div>
      <div
        role="progressbar"
        aria-label={`${workspace.name}: ${workspace.progress.step}`}
        aria-valuemin={0}
        aria-valuemax={100}
        {...(percent === undefined ? {} : { 'aria-valuenow': percent })}
        className="h-1.5 w-full overflow-hidden rounded-full bg-muted"
      >
        <div
          className={cn('h-full rounded-full bg-info transition-[width] duration-500', percent === undefined && 'w-1/3 animate-pulse')}
          style={percent === undefined ? undefined : { width: `${percent}%` }}
        />
      </div>
    </div>
  );
}
