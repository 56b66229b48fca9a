import { createPerryClient, type PerryClient } from '@perry/client';
import { createContext, useContext, useMemo, type ReactNode } from 'react';

/**
 * The typed client for the agent that served this page. `fetch` is looked up at call time, so
 * tests can stub the global one.
 */
export function createApiClient(token: string | null, origin: string = window.location.origin): PerryClient {
  return createPerryClient({
    url: origin,
    token: token || undefined,
    fetch: (request, init) => globalThis.fetch(request, init),
  });
}

const ApiContext = createContext<PerryClient | null>(null);

export function ApiProvider({ token, children }: { token: string | null; children: ReactNode }) {
  const client = useMemo(() => createApiClient(token), [token]);
  return <ApiContext.Provider value={client}>{children}</ApiContext.Provider>;
}

export function useApi(): PerryClient {
  const client = useContext(ApiContext);
  if (!client) throw new Error('useApi needs an <ApiProvider> (signed in)');
  return client;
}
