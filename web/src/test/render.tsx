import { render } from '@testing-library/react';

import { App } from '@/app';
import { createAuthStore, TOKEN_REFUSED_NOTICE } from '@/features/auth/auth-store';
import { agentAcceptsToken } from '@/features/auth/check-token';
import { createQueryClient } from '@/lib/query-client';

/** The whole app as main.tsx wires it, on jsdom's localStorage and the stubbed fetch. */
export function renderApp() {
  const authStore = createAuthStore(localStorage, { checkToken: agentAcceptsToken });
  const mutationErrors: { title: string; message: string }[] = [];
  const queryClient = createQueryClient({
    onUnauthorized: () => authStore.refused(undefined, TOKEN_REFUSED_NOTICE),
    onMutationError: (title, message) => mutationErrors.push({ title, message }),
  });
  // Tests fail fast instead of waiting out retries.
  queryClient.setDefaultOptions({ queries: { ...queryClient.getDefaultOptions().queries, retry: false } });
  const result = render(<App authStore={authStore} queryClient={queryClient} />);
  return { ...result, authStore, queryClient, mutationErrors };
}
