import type { Workspace } from '@perry/client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';

import { useAgents } from '../agents/agents-context';
import { readLastKnown, writeLastKnown, type LastKnown } from './last-known';

/** How often the list asks the agent again while it is on screen. */
export const WORKSPACES_POLL_MS = 5000;

/** What the list screens show. */
export interface WorkspacesView {
  workspaces: Workspace[];
  /** Nothing to show yet: the first answer (or the cache) is on its way. */
  isLoading: boolean;
  isRefetching: boolean;
  /** Why the agent did not answer the last time it was asked. */
  error: unknown;
  /**
   * When the agent cannot be reached: since when the list shown is what it said last (from
   * this session or from the device's cache). Actions are disabled then.
   */
  staleSince: number | null;
  refetch(): void;
}

/**
 * The active agent's workspaces, polled so their status stays live. Every answer is kept on the
 * device; when the agent cannot be reached, the last one is shown, marked stale.
 */
export function useWorkspaces(): WorkspacesView {
  const { active, client, cache } = useAgents();
  const url = active?.url;
  const query = useQuery({
    queryKey: ['workspaces', url],
    queryFn: async (): Promise<Workspace[]> => {
      if (!client || !url) return [];
      const workspaces = [...(await client.workspaces.list())].sort((a, b) => a.name.localeCompare(b.name));
      await writeLastKnown(cache, url, { workspaces, at: Date.now() });
      return workspaces;
    },
    enabled: client !== null,
    refetchInterval: WORKSPACES_POLL_MS,
  });

  const [cached, setCached] = useState<{ url: string; lastKnown: LastKnown | null } | null>(null);
  useEffect(() => {
    if (!url) return;
    let cancelled = false;
    void readLastKnown(cache, url).then((lastKnown) => {
      if (!cancelled) setCached({ url, lastKnown });
    });
    return () => {
      cancelled = true;
    };
  }, [cache, url]);
  const lastKnown = cached?.url === url ? (cached?.lastKnown ?? null) : null;

  const failing = query.isError;
  const live = query.data !== undefined && !failing;
  const fallback = query.data !== undefined ? { workspaces: query.data, at: query.dataUpdatedAt } : lastKnown;
  const workspaces = live ? query.data : (fallback?.workspaces ?? []);
  return {
    workspaces,
    isLoading: query.isPending && lastKnown === null && !failing,
    isRefetching: query.isRefetching,
    error: query.error,
    staleSince: failing && fallback ? fallback.at : null,
    refetch: () => void query.refetch(),
  };
}

export type WorkspaceAction = 'start' | 'stop' | 'delete';

/** Start, stop or delete a workspace; the list is asked again afterwards. */
export function useWorkspaceAction() {
  const { active, client } = useAgents();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ action, name }: { action: WorkspaceAction; name: string }) => {
      if (!client) throw new Error('No agent is connected.');
      if (action === 'delete') {
        await client.workspaces.delete({ name });
      } else {
        await client.workspaces[action]({ name });
      }
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['workspaces', active?.url] }),
  });
}

/** Creates a workspace; resolves to it. */
export function useCreateWorkspace() {
  const { active, client } = useAgents();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (name: string) => {
      if (!client) throw new Error('No agent is connected.');
      return client.workspaces.create({ name });
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['workspaces', active?.url] }),
  });
}

