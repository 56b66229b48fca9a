import type { WorkspaceStatus } from '@perry/client';

import { Badge, type BadgeProps } from '@/components/ui/badge';
import { Spinner } from '@/components/ui/spinner';
import { cn } from '@/lib/utils';

const STATUS: Record<WorkspaceStatus, { label: string; variant: NonNullable<BadgeProps['variant']>; dot: string }> = {
  running: { label: 'Running', variant: 'success', dot: 'bg-success' },
  stopped: { label: 'Stopped', variant: 'muted', dot: 'bg-muted-foreground/60' },
  creating: { label: 'Creating', variant: 'info', dot: 'bg-info' },
  error: { label: 'Error', variant: 'destructive', dot: 'bg-destructive' },
  unreachable: { label: 'Unreachable', variant: 'warning', dot: 'bg-warning' },
};

export function statusLabel(status: WorkspaceStatus): string {
  return STATUS[status].label;
}

/** A workspace's status as a coloured badge; `title` carries the error reason on hover. */
export function StatusBadge({ status, title, className }: { status: WorkspaceStatus; title?: string | undefined; className?: string }) {
  const { label, variant, dot } = STATUS[status];
  return (
    <Badge variant={variant} className={className} title={title} data-status={status}>
      {status === 'creating' ? <Spinner className="size-3" /> : <span aria-hidden className={cn('size-1.5 rounded-full', dot)} />}
      {label}
    </Badge>
  );
}

/** Just the dot, for dense places like the sidebar; the label is for screen readers. */
export function StatusDot({ status, className }: { status: WorkspaceStatus; className?: string }) {
  const { label, dot } = STATUS[status];
  return (
    <span className={cn('relative inline-flex size-2 shrink-0', className)}>
      {(status === 'creating' || status === 'running') && (
        <span aria-hidden className={cn('absolute inset-0 rounded-full opacity-40', dot, status === 'creating' && 'animate-ping')} />
      )}
      <span aria-hidden className={cn('relative inline-flex size-2 rounded-full', dot)} />
      <span className="sr-only">{label}</span>
    </span>
  );
}
