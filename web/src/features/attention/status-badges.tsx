import { needsThePerson, type SessionStatus } from '@perry/client';
import { BellRing, CircleAlert, CircleCheck, CirclePause, LoaderCircle } from 'lucide-react';

import { Badge } from '@/components/ui/badge';
import { formatDateTime } from '@/lib/format';

import { useWaitingSessions } from './attention';

/** How many sessions of a workspace need the person: a bell and the count. */
export function WaitingBadge({ count, className }: { count: number; className?: string }) {
  if (count === 0) return null;
  const label = count === 1 ? '1 session needs you' : `${count} sessions need you`;
  return (
    <Badge variant="warning" className={className} title={label} aria-label={label} data-attention={count}>
      <BellRing aria-hidden />
      {count}
    </Badge>
  );
}

const LOOKS = {
  working: { label: 'Working', variant: 'info', icon: LoaderCircle },
  needs_input: { label: 'Needs you', variant: 'warning', icon: BellRing },
  idle: { label: 'Done', variant: 'success', icon: CircleCheck },
  error: { label: 'Error', variant: 'destructive', icon: CircleAlert },
  ended: { label: 'Ended', variant: 'muted', icon: CirclePause },
} as const;

/** A session's status: what it is doing, and what it asks (in the tooltip, and shown in full when it needs the person). */
export function SessionStatusBadge({ status }: { status: SessionStatus | undefined }) {
  if (!status) return null;
  const look = LOOKS[status.state];
  const Icon = look.icon;
  const since = `since ${formatDateTime(status.since)}`;
  return (
    <Badge
      variant={look.variant}
      title={status.detail ? `${status.detail} (${since})` : since}
      data-state={status.state}
      className={needsThePerson(status.state) ? 'max-w-full' : undefined}
    >
      <Icon aria-hidden className={status.state === 'working' ? 'animate-spin' : undefined} />
      {look.label}
    </Badge>
  );
}

/** The count of a workspace's sessions (on the agent in scope) that need the person. */
export function WorkspaceWaiting({ name, className }: { name: string; className?: string }) {
  const waiting = useWaitingSessions(name);
  return <WaitingBadge count={waiting.length} {...(className ? { className } : {})} />;
}
