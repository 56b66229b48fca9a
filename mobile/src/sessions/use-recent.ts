import { HEALTH_TIMEOUT_MS, recentTime, withTimeout, type RecentSession } from '@perry/client';
import { useQueries } from '@tanstack/react-query';

import { useAgents } from '../agents/agents-context';
import type { SavedAgent } from '../agents/saved-agents';
import { WORKSPACES_POLL_MS } from '../workspaces/use-workspaces';

/** How many recent sessions the home screen shows (and asks each agent for). */
export const RECENT_SHOWN = 5;

/** React Query keys of `sessions.recent`, per agent; `all` for invalidating every agent's. */
export const recentKeys = {
  all: ['sessions-recent'] as const,
  of: (url: string) => ['sessions-recent', url] as const,
};

/** An agent to ask, and whether to ask it now (the fleet asks only agents that answer). */
export interface RecentSource {
  agent: SavedAgent;
  enabled: boolean;
}

/** One recent session, with the agent it is on. */
export interface RecentItem extends RecentSession {
  agent: SavedAgent;
  /** The later of its last activity and when it was last opened (ms since the epoch). */
  at: number;
  /** True when `at` is its opening rather than its activity. */
  openedLast: boolean;
}

function time(iso: string | undefined): number {
  const parsed = iso ? Date.parse(iso) : Number.NaN;
  return Number.isNaN(parsed) ? 0 : parsed;
}

/** The agents' recent sessions as one list, newest first (each agent's order is already so). */
export function mergeRecent(lists: { agent: SavedAgent; recent: readonly RecentSession[] }[], limit = RECENT_SHOWN): RecentItem[] {
  const items = lists.flatMap(({ agent, recent }) =>
    recent.map((entry): RecentItem => {
      const when = recentTime(entry);
      return { ...entry, agent, at: time(when), openedLast: entry.openedAt !== undefined && when === entry.openedAt };
    }),
  );
  return items.sort((a, b) => b.at - a.at).slice(0, limit);
}

/**
 * The sessions most recently active or opened across every workspace of the given agents
 * (`sessions.recent`), asked again as often as the workspace list. An agent that fails to answer
 * (down, or older than `sessions.recent`) contributes nothing: the list under it says why.
 */
export function useRecentSessions(sources: RecentSource[]): RecentItem[] {
  const { clientFor } = useAgents();
  const results = useQueries({
    queries: sources.map(({ agent, enabled }) => ({
      queryKey: recentKeys.of(agent.url),
      queryFn: ({ signal }: { signal: AbortSignal }) =>
        clientFor(agent).sessions.recent({ limit: RECENT_SHOWN }, { signal: withTimeout(signal, HEALTH_TIMEOUT_MS) }),
      enabled,
      refetchInterval: WORKSPACES_POLL_MS,
      retry: false,
    })),
  });
  return mergeRecent(sources.map(({ agent }, index) => ({ agent, recent: (results[index]?.isError ? undefined : results[index]?.data) ?? [] })));
}
