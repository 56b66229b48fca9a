import { BrowserRouter, Navigate, Route, Routes } from 'react-router';

import { AppShell } from '@/components/layout/app-shell';

import { AgentRoute } from './agent';
import { NotFoundRoute } from './not-found';
import { SettingsIndexRoute, SettingsRoute, SettingsSectionRoute } from './settings';
import { PeerRoute, WorkspaceRoute, WorkspacesRoute } from './workspaces';

/** Every page of the signed-in app. The login page sits outside, so any address survives a sign-in. */
export function AppRoutes() {
  return (
    <BrowserRouter>
      <Routes>
        <Route element={<AppShell />}>
          <Route index element={<Navigate to="/workspaces" replace />} />
          <Route path="workspaces" element={<WorkspacesRoute />} />
          <Route path="workspaces/:name" element={<WorkspaceRoute />} />
          {/* One route for every view of a workspace, so switching between them keeps its shells. */}
          <Route path="workspaces/:name/*" element={<WorkspaceRoute />} />
          {/* A peer's workspaces, reached through this agent's relay with the same token. */}
          <Route path="agents/:agent" element={<PeerRoute />}>
            <Route path="workspaces/:name" element={<WorkspaceRoute />} />
            <Route path="workspaces/:name/*" element={<WorkspaceRoute />} />
          </Route>
          <Route path="agent" element={<AgentRoute />} />
          {/* The settings of the agent that served the page; the layout outlives a change of section. */}
          <Route path="settings" element={<SettingsRoute />}>
            <Route index element={<SettingsIndexRoute />} />
            <Route path=":section" element={<SettingsSectionRoute />} />
          </Route>
          <Route path="*" element={<NotFoundRoute />} />
        </Route>
      </Routes>
    </BrowserRouter>
  );
}
