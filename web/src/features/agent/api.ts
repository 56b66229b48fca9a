import { useQuery } from '@tanstack/react-query';

import { useApi } from '@/lib/api';

export function useAgentInfo() {
  const api = useApi();
  return useQuery({
    queryKey: ['agent', 'info'],
    queryFn: ({ signal }) => api.agent.info(undefined, { signal }),
    refetchInterval: 10_000,
  });
}

export function useAgentConfig() {
  const api = useApi();
  return useQuery({
    queryKey: ['agent', 'config'],
    queryFn: ({ signal }) => api.config.get(undefined, { signal }),
  });
}
