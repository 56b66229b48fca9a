import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

import { useScope } from '@/lib/api';
import { errorCode } from '@perry/client';

export const terminalKeys = {
  list: (agent: string | null, workspaceName: string) => ['terminals', agent ?? '', workspaceName] as const,
};

/** The workspace's open shells, including ones opened elsewhere (another browser, the CLI). */
export function useTerminals(workspaceName: string, enabled: boolean) {
  const { client: api, agent } = useScope();
  return useQuery({
    queryKey: terminalKeys.list(agent, workspaceName),
    queryFn: ({ signal }) => api.terminals.list({ workspaceName }, { signal }),
    enabled,
    refetchInterval: 5_000,
  });
}

export function useKillTerminal(workspaceName: string) {
  const { client: api, agent } = useScope();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (id: string) => {
      try {
        await api.terminals.kill({ workspaceName, id });
      } catch (error) {
        // Already gone (exited, or its grace period ran out): that is what closing wanted.
        if (errorCode(error) !== 'NOT_FOUND') throw error;
      }
    },
    meta: { errorTitle: 'Could not end the shell' },
    onSettled: () => queryClient.invalidateQueries({ queryKey: terminalKeys.list(agent, workspaceName) }),
  });
}
