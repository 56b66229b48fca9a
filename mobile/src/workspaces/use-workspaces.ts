import { devcontainerInput, type Workspace } from '@perry/client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

import { useAgents } from '../agents/agents-context';
import { isArray, useWithLastKnown } from '../offline/last-known';

/** How often the list asks the agent again while it is on screen. */
export const WORKSPACES_POLL_MS = 5000;
/** How often while one is being created or rebuilt, so its steps show as they come. */
export const WORKSPACES_BUSY_POLL_MS = 2000;

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
    queryFn: async (): Promise<Workspace[]> => (client ? [...(await client.workspaces.list())].sort((a, b) => a.name.localeCompare(b.name)) : []),
    enabled: client !== null,
    refetchInterval: (query) => (query.state.data?.some((workspace) => workspace.status === 'creating') ? WORKSPACES_BUSY_POLL_MS : WORKSPACES_POLL_MS),
  });
  const shown = useWithLastKnown<Workspace[]>(query, cache, url ? `perry.workspaces.${url}` : null, isArray);
  return {
    workspaces: shown.data ?? [],
    isLoading: shown.isLoading,
    isRefetching: query.isRefetching,
    error: query.error,
    staleSince: shown.staleSince,
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

/**
 * What the create form sends: a name, the repository to clone into it, if any, and which of its
 * devcontainer.json configs to build from (a folder under .devcontainer/; with `clone` only).
 */
export interface NewWorkspace {
  name: string;
  clone?: string;
  devcontainer?: string;
}

/** Creates a workspace (cloning a repository into it when asked); resolves to it. */
export function useCreateWorkspace() {
  const { active, client } = useAgents();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async ({ name, clone, devcontainer }: NewWorkspace) => {
      if (!client) throw new Error('No agent is connected.');
      return client.workspaces.create(clone ? { name, clone, ...devcontainerInput(clone, devcontainer ?? '') } : { name });
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['workspaces', active?.url] }),
  });
}


/**
 * Rebuilds a workspace from its repository's current devcontainer.json (minutes; the list shows
 * it `creating` with the build's step meanwhile, polled faster); resolves to it.
 */
export function useRebuildWorkspace() {
  const { active, client } = useAgents();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (name: string) => {
      if (!client) throw new Error('No agent is connected.');
      return client.workspaces.rebuild({ name });
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['workspaces', active?.url] }),
  });
}
