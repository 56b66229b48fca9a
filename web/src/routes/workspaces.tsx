import { Navigate, Outlet, useParams, useSearchParams } from 'react-router';

import { WORKSPACE_TABS, WorkspacePage, type WorkspaceTab } from '@/features/workspaces/workspace-page';
import { WorkspacesPage } from '@/features/workspaces/workspaces-page';
import { PeerScope, useWorkspacePath } from '@/lib/api';

export function WorkspacesRoute() {
  return <WorkspacesPage />;
}

/** The view an address inside a workspace names: a tab (`terminal`, `ports`, …) or `sessions/<id>`. */
export function parseWorkspaceView(splat: string): { tab: WorkspaceTab; sessionId?: string } | null {
  const [tab, sessionId, ...rest] = splat.split('/');
  if (!WORKSPACE_TABS.includes(tab as WorkspaceTab) || rest.length > 0) return null;
  if (sessionId === undefined || sessionId === '') return { tab: tab as WorkspaceTab };
  return tab === 'sessions' ? { tab: 'sessions', sessionId } : null;
}

export function WorkspaceRoute() {
  const { name = '', '*': splat = '' } = useParams();
  const [search] = useSearchParams();
  const view = parseWorkspaceView(splat);
  const toWorkspace = useWorkspacePath();
  // One address per view: /workspaces/alpha becomes /workspaces/alpha/terminal.
  if (!view) return <Navigate to={toWorkspace(name, 'terminal')} replace />;
  // Keyed by name: another workspace is a fresh page (its own terminal tabs), not a re-render.
  return <WorkspacePage key={name} name={name} tab={view.tab} sessionId={view.sessionId} messageId={search.get('message') ?? undefined} />;
}

/** Everything under `/agents/<agent>/`: the same pages, about that peer. */
export function PeerRoute() {
  const { agent = '' } = useParams();
  return (
    <PeerScope key={agent} agent={agent}>
      <Outlet />
    </PeerScope>
  );
}
