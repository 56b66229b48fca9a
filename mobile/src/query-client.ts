import { QueryClient } from '@tanstack/react-query';

/**
 * The app's query client. networkMode 'always': without a network the agent is asked anyway and
 * the failure shows the last list as stale; TanStack's default would pause quietly and show
 * nothing. `retries` is 0 in tests, which want the first failure.
 */
export function createQueryClient(retries = 1): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: { retry: retries, staleTime: 2000, networkMode: 'always' },
      mutations: { networkMode: 'always' },
    },
  });
}
