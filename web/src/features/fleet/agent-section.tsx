import { describeAgent, unreachableNote } from '@perry/client';
import { Server, Unplug } from 'lucide-react';

import { Badge } from '@/components/ui/badge';
import { Card } from '@/components/ui/card';
import { CreateWorkspaceDialog } from '@/features/workspaces/create-workspace-dialog';
import { WorkspaceList } from '@/features/workspaces/workspaces-page';
import { Button } from '@/components/ui/button';
import { useScope } from '@/lib/api';

import { useAgentHealth } from './api';

/**
 * One agent of the fleet on the workspaces page: its name and health, then its workspaces. An
 * agent that does not answer is one line saying so; the others are not held up by it, and its
 * workspaces show again as soon as it answers.
 */
export function AgentSection() {
  const { agent } = useScope();
  const health = useAgentHealth();
  const unreachable = health.data?.state === 'unreachable' ? health.data.reason : null;
  const label = agent ?? 'This agent';
  return (
    <section aria-label={`Agent ${label}`} data-agent={agent ?? ''} data-health={health.data?.state ?? 'checking'} className="grid gap-3">
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
        <h2 className="flex items-center gap-2 text-base font-semibold">
          <Server className="size-4 text-muted-foreground" aria-hidden />
          {label}
          {agent === null && health.data?.state === 'up' && <span className="font-mono text-sm font-normal text-muted-foreground">{health.data.info.hostname}</span>}
        </h2>
        <AgentHealthBadge />
        {health.data?.state === 'up' && <span className="text-xs text-muted-foreground">{describeAgent(health.data.info, health.data.roundTripMs)}</span>}
        {agent !== null && !unreachable && (
          <div className="ml-auto">
            <CreateWorkspaceDialog
              trigger={
                <Button variant="outline" size="sm">
                  New workspace on {agent}
                </Button>
              }
            />
          </div>
        )}
      </div>
      {unreachable !== null && agent !== null ? (
        <Card className="flex-row items-center gap-3 px-4 py-3 text-sm" role="status">
          <Unplug className="size-4 shrink-0 text-warning" aria-hidden />
          <span>
            <span className="font-medium">{agent} is unreachable</span>
            <span className="text-muted-foreground">: {unreachableNote(unreachable)}</span>
          </span>
        </Card>
      ) : (
        <WorkspaceList />
      )}
    </section>
  );
}

/** Up, unreachable or being checked, as a badge. */
export function AgentHealthBadge() {
  const health = useAgentHealth();
  if (!health.data) return <Badge variant="muted">Checking…</Badge>;
  return health.data.state === 'up' ? (
    <Badge variant="success" data-health="up">
      Up
    </Badge>
  ) : (
    <Badge variant="warning" data-health="unreachable" title={health.data.reason}>
      Unreachable
    </Badge>
  );
}
