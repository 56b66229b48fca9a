import type { TerminalInfo } from '@perry/client';
import { useQuery } from '@tanstack/react-query';

import { useAgents } from '../agents/agents-context';

/** The workspace's running shells (from any client: the web UI, the CLI, this phone), to reattach. */
export function useRunningTerminals(workspaceName: string, enabled: boolean) {
  const { active, client } = useAgents();
  return useQuery({
    queryKey: ['terminals', active?.url, workspaceName],
    queryFn: async (): Promise<TerminalInfo[]> => (client ? client.terminals.list({ workspaceName }) : []),
    enabled: enabled && client !== null,
    refetchInterval: 5000,
  });
}
