import './index.css';

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { toast } from 'sonner';

import { App } from './app';
import { createAuthStore, TOKEN_REFUSED_NOTICE } from './features/auth/auth-store';
import { agentAcceptsToken } from './features/auth/check-token';
import { consumeTokenFromUrl } from './features/auth/token-store';
import { keepEchoOverride } from './features/terminal/echo-settings';
import { workspaceKeys } from './features/workspaces/api';
import { createApiClient } from './lib/api';
import { createQueryClient } from './lib/query-client';

// The agent prints `http://host:7391/?token=…`: take the token before anything renders, so it
// leaves the address bar at once.
consumeTokenFromUrl(window.location, window.history, localStorage);
// Tests and benchmarks force the terminals' local echo for this tab with `?localEcho=always|auto|off`.
keepEchoOverride(window.location.search);

// A refusal is checked once more before signing out: after this page rotated the token, calls
// and sockets still under way with the old one are refused, and that is no reason to leave.
const authStore = createAuthStore(localStorage, { checkToken: agentAcceptsToken });
const queryClient = createQueryClient({
  onUnauthorized: () => authStore.refused(undefined, TOKEN_REFUSED_NOTICE),
  onMutationError: (title, message) => toast.error(title, { description: message }),
});

// Every signed-in page shows the workspace list (the page or the sidebar): ask for it now, while
// React renders the first frame, instead of after.
const { token } = authStore.getSnapshot();
if (token !== null) {
  void queryClient.prefetchQuery({ queryKey: workspaceKeys.list(null), queryFn: () => createApiClient(token).workspaces.list() });
}

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root');
createRoot(root).render(
  <StrictMode>
    <App authStore={authStore} queryClient={queryClient} />
  </StrictMode>,
);
