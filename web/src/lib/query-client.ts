import { MutationCache, QueryCache, QueryClient } from '@tanstack/react-query';

import { errorMessage, isRetryable, isUnauthorized } from '@perry/client';

declare module '@tanstack/react-query' {
  interface Register {
    mutationMeta: {
      /** The component shows this mutation's errors itself (a dialog), so no toast. */
      handlesErrors?: boolean;
      /** What the toast says failed, e.g. "Could not stop alpha". */
      errorTitle?: string;
    };
  }
}

export interface QueryClientHandlers {
  /** Any call answered UNAUTHORIZED: the token is wrong or was changed on the agent. */
  onUnauthorized(): void;
  /** A mutation failed and no component shows it: tell the user (a toast). */
  onMutationError(title: string, message: string): void;
}

/**
 * The app's one QueryClient. Errors are handled in one place: a 401 from any query or mutation
 * signs out; mutation failures become toasts with the server's message. Query failures are shown
 * inline by the component that asked (a list that cannot load says so where the list would be),
 * because a poll every few seconds would otherwise stack the same toast.
 */
export function createQueryClient(handlers: QueryClientHandlers): QueryClient {
  return new QueryClient({
    queryCache: new QueryCache({
      onError(error) {
        if (isUnauthorized(error)) handlers.onUnauthorized();
      },
    }),
    mutationCache: new MutationCache({
      onError(error, _variables, _context, mutation) {
        if (isUnauthorized(error)) {
          handlers.onUnauthorized();
          return;
        }
        if (mutation.meta?.handlesErrors) return;
        handlers.onMutationError(mutation.meta?.errorTitle ?? 'Something went wrong', errorMessage(error));
      },
    }),
    defaultOptions: {
      queries: {
        staleTime: 1_000,
        retry: (failureCount, error) => isRetryable(error) && failureCount < 2,
        retryDelay: (attempt) => Math.min(500 * 2 ** attempt, 4_000),
      },
      mutations: { retry: false },
    },
  });
}
