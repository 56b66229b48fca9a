import type { PortForwardRequest, PortForwardStatus } from '@perry/client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

import { useAgents } from '../agents/agents-context';

/** How often a workspace's forwards are asked again while its screen is open. */
export const PORTS_POLL_MS = 3000;

const portsKey = (agentUrl: string | undefined, workspaceName: string) => ['ports', agentUrl, workspaceName];

/** A workspace's port forwards with their live status (listening or not, and why not). */
export function usePorts(workspaceName: string, enabled: boolean) {
  const { active, client } = useAgents();
  return useQuery({
    queryKey: portsKey(active?.url, workspaceName),
    queryFn: async (): Promise<PortForwardStatus[]> =>
      client ? [...(await client.ports.list({ workspaceName }))].sort((a, b) => a.hostPort - b.hostPort) : [],
    enabled: client !== null && enabled,
    refetchInterval: PORTS_POLL_MS,
  });
}

/** A change to a workspace's forwards: one added, or one taken away by its host port. */
export type PortChange = { add: PortForwardRequest } | { remove: number };

/**
 * Adds or removes a forward. The agent answers with all of the workspace's forwards after the
 * change, which become the list at once; the workspace (whose `ports.forwards` changed) is asked
 * again too.
 */
export function usePortChange(workspaceName: string) {
  const { active, client } = useAgents();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (change: PortChange): Promise<PortForwardStatus[]> => {
      if (!client) throw new Error('No agent is connected.');
      return 'add' in change
        ? client.ports.forward({ workspaceName, forwards: [change.add] })
        : client.ports.remove({ workspaceName, hostPorts: [change.remove] });
    },
    // A poll that left before the change must not bring back the list from before it.
    onMutate: () => queryClient.cancelQueries({ queryKey: portsKey(active?.url, workspaceName) }),
    onSuccess: (forwards) => {
      queryClient.setQueryData(portsKey(active?.url, workspaceName), [...forwards].sort((a, b) => a.hostPort - b.hostPort));
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['workspaces', active?.url] }),
  });
}
