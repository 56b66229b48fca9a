import { checkHealth, HEALTH_INTERVAL_MS, HEALTH_TIMEOUT_MS, withTimeout, type AgentHealth, type Workspace } from '@perry/client';
import { useQueries } from '@tanstack/react-query';
import { useMemo } from 'react';

import { useAgents } from '../agents/agents-context';
import { agentClient, type Fetch } from '../agents/check';
import type { SavedAgent } from '../agents/saved-agents';
import { WORKSPACES_POLL_MS } from './use-workspaces';

/** One saved agent in the combined view: its health and, while it answers, its workspaces. */
export interface FleetAgent {
  agent: SavedAgent;
  /** Undefined until the first check has answered. */
  health: AgentHealth | undefined;
  workspaces: Workspace[];
}

/**
 * Every saved agent at once, each asked for its health every 1.5 s with 2.5 s of patience (the
 * same rule as the web UI and the CLI, from @perry/client): one that goes down is marked within
 * 5 s and never holds up the others; one that comes back shows again at its next answer. An
 * agent that does not answer is not asked for its list until it does.
 */
export function useFleet(fetchImpl?: Fetch): FleetAgent[] {
  const { saved } = useAgents();
  const clients = useMemo(
    () => saved.agents.map((agent) => ({ agent, client: agentClient(agent.url, agent.token, fetchImpl) })),
    [saved.agents, fetchImpl],
  );
  const health = useQueries({
    queries: clients.map(({ agent, client }) => ({
      queryKey: ['health', agent.url],
      queryFn: ({ signal }: { signal: AbortSignal }) => checkHealth(client, { signal }),
      refetchInterval: HEALTH_INTERVAL_MS,
      retry: false,
    })),
  });
  const lists = useQueries({
    queries: clients.map(({ agent, client }, index) => ({
      queryKey: ['workspaces', agent.url],
      queryFn: async ({ signal }: { signal: AbortSignal }): Promise<Workspace[]> =>
        [...(await client.workspaces.list(undefined, { signal: withTimeout(signal, HEALTH_TIMEOUT_MS) }))].sort((a, b) => a.name.localeCompare(b.name)),
      enabled: health[index]?.data?.state !== 'unreachable',
      refetchInterval: WORKSPACES_POLL_MS,
      retry: false,
    })),
  });
  return clients.map(({ agent }, index) => ({
    agent,
    health: health[index]?.data,
    workspaces: health[index]?.data?.state === 'unreachable' ? [] : (lists[index]?.data ?? []),
  }));
}
