import { useQuery } from '@tanstack/react-query';

import { useScope } from '@/lib/api';

export function useAgentInfo() {
  const { client: api, agent } = useScope();
  return useQuery({
    queryKey: ['agent', 'info', agent ?? ''],
    queryFn: ({ signal }) => api.agent.info(undefined, { signal }),
    refetchInterval: 10_000,
  });
}

export function useAgentConfig() {
  const { client: api, agent } = useScope();
  return useQuery({
    queryKey: ['agent', 'config', agent ?? ''],
    queryFn: ({ signal }) => api.config.get(undefined, { signal }),
  });
}
