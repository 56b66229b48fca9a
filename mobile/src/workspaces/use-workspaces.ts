import { errorMessage, type Workspace } from '@perry/client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

import { useAgents } from '../agents/agents-context';

/** How often the list asks the agent again while it is on screen. */
export const WORKSPACES_POLL_MS = 5000;

/** The active agent's workspaces, polled so their status stays live. */
export function useWorkspaces() {
  const { active, client } = useAgents();
  return useQuery({
    queryKey: ['workspaces', active?.url],
    queryFn: async (): Promise<Workspace[]> => {
      if (!client) return [];
      const workspaces = await client.workspaces.list();
      return [...workspaces].sort((a, b) => a.name.localeCompare(b.name));
    },
    enabled: client !== null,
    refetchInterval: WORKSPACES_POLL_MS,
  });
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

export { errorMessage };
