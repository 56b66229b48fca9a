import { Navigate, useParams } from 'react-router';

import { WorkspacePage, type WorkspaceTab } from '@/features/workspaces/workspace-page';
import { WorkspacesPage } from '@/features/workspaces/workspaces-page';

export function WorkspacesRoute() {
  return <WorkspacesPage />;
}

const TABS: readonly WorkspaceTab[] = ['terminal', 'sessions'];

export function WorkspaceRoute() {
  const { name = '', tab } = useParams();
  // One address per view: /workspaces/alpha becomes /workspaces/alpha/terminal.
  if (!TABS.includes(tab as WorkspaceTab)) return <Navigate to={`/workspaces/${encodeURIComponent(name)}/terminal`} replace />;
  // Keyed by name: another workspace is a fresh page (its own terminal tabs), not a re-render.
  return <WorkspacePage key={name} name={name} tab={tab as WorkspaceTab} />;
}
