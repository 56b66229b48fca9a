import { QueryClientProvider, type QueryClient } from '@tanstack/react-query';
import { useCallback, useEffect } from 'react';

import { Toaster } from '@/components/ui/sonner';
import { TooltipProvider } from '@/components/ui/tooltip';
import { AuthProvider, useAuth } from '@/features/auth/auth-context';
import { TOKEN_ROTATED_NOTICE, type AuthStore } from '@/features/auth/auth-store';
import { LoginPage } from '@/features/auth/login-page';
import { ApiProvider } from '@/lib/api';
import { ThemeProvider } from '@/lib/theme';
import { AppRoutes } from '@/routes';

export function App({ authStore, queryClient }: { authStore: AuthStore; queryClient: QueryClient }) {
  // Signing out drops everything fetched with the old token.
  useEffect(() => authStore.subscribe(() => {
    if (authStore.getSnapshot().token === null) queryClient.clear();
  }), [authStore, queryClient]);

  return (
    <ThemeProvider>
      <AuthProvider store={authStore}>
        <QueryClientProvider client={queryClient}>
          <TooltipProvider delayDuration={300}>
            <SignedInOrLogin />
            <Toaster />
          </TooltipProvider>
        </QueryClientProvider>
      </AuthProvider>
    </ThemeProvider>
  );
}

function SignedInOrLogin() {
  const { token, refused } = useAuth();
  // A socket closed with 4001: its token was rotated away, here (then the page holds the new one
  // already and stays) or elsewhere (then the person signs in again).
  const onTokenRevoked = useCallback((revoked: string | null) => refused(revoked, TOKEN_ROTATED_NOTICE), [refused]);
  if (token === null) return <LoginPage />;
  return (
    <ApiProvider token={token} onTokenRevoked={onTokenRevoked}>
      <AppRoutes />
    </ApiProvider>
  );
}
