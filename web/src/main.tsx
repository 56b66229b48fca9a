import './index.css';

import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { toast } from 'sonner';

import { App } from './app';
import { createAuthStore, TOKEN_REFUSED_NOTICE } from './features/auth/auth-store';
import { consumeTokenFromUrl } from './features/auth/token-store';
import { workspaceKeys } from './features/workspaces/api';
import { createApiClient } from './lib/api';
import { createQueryClient } from './lib/query-client';

// The agent prints `http://host:7391/?token=…`: take the token before anything renders, so it
// leaves the address bar at once.
consumeTokenFromUrl(window.location, window.history, localStorage);

const authStore = createAuthStore(localStorage);
const queryClient = createQueryClient({
  onUnauthorized: () => authStore.signOut(TOKEN_REFUSED_NOTICE),
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
