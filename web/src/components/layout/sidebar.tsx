import { Boxes, Server, Settings } from 'lucide-react';
import { NavLink } from 'react-router';

import { useWaitingWorkspaces } from '@/features/attention/attention';
import { WorkspaceWaiting } from '@/features/attention/status-badges';
import { useFleetAgents } from '@/features/fleet/api';
import { useWorkspaces } from '@/features/workspaces/api';
import { PeerScope, useScope, useWorkspacePath } from '@/lib/api';
import { StatusDot } from '@/features/workspaces/status-badge';
import { progressPercent, progressText } from '@/features/workspaces/list-order';
import { cn } from '@/lib/utils';

import { Logo } from './logo';

const navItemClass = ({ isActive }: { isActive: boolean }) =>
  cn(
    'flex h-8 items-center gap-2 rounded-md px-2 text-sm text-sidebar-foreground/80 transition-colors hover:bg-sidebar-accent hover:text-sidebar-foreground [&_svg]:size-4 [&_svg]:shrink-0',
    isActive && 'bg-sidebar-accent font-medium text-sidebar-foreground',
  );

/** Navigation and the workspaces at a glance; a fixed column on desktop, a drawer on phones. */
export function SidebarContent({ onNavigate }: { onNavigate?: (() => void) | undefined }) {
  const agents = useFleetAgents();
  return (
    <div className="flex h-full flex-col">
      <div className="flex h-14 items-center px-4">
        <Logo />
      </div>
      <nav aria-label="Main" className="grid gap-0.5 px-2">
        <NavLink to="/workspaces" end className={navItemClass} onClick={onNavigate}>
          <Boxes /> Workspaces
        </NavLink>
        <NavLink to="/agent" className={navItemClass} onClick={onNavigate}>
          <Server /> Agent
        </NavLink>
        <NavLink to="/settings" className={navItemClass} onClick={onNavigate}>
          <Settings /> Settings
        </NavLink>
      </nav>
      <div className="mt-6 flex min-h-0 flex-1 flex-col gap-4 overflow-y-auto px-2">
        {agents.map((agent) => (
          <PeerScope key={agent ?? ''} agent={agent}>
            <SidebarWorkspaces fleet={agents.length > 1} onNavigate={onNavigate} />
          </PeerScope>
        ))}
      </div>
    </div>
  );
}

/** The workspaces of the agent in scope; with several agents, under the agent's name. */
function SidebarWorkspaces({ fleet, onNavigate }: { fleet: boolean; onNavigate?: (() => void) | undefined }) {
  const { agent } = useScope();
  const workspaces = useWorkspaces();
  const toWorkspace = useWorkspacePath();
  const waiting = useWaitingWorkspaces();
  const title = fleet ? (agent ?? 'This agent') : 'Workspaces';
  if (!workspaces.data || (workspaces.data.length === 0 && !fleet)) return null;
  // Those where a coding agent waits for the person come first.
  const ordered = [...workspaces.data.filter((w) => waiting.has(w.name)), ...workspaces.data.filter((w) => !waiting.has(w.name))];
  return (
    <nav aria-label={fleet ? `Workspaces on ${title}` : 'Workspaces'} className="flex flex-col">
      <p className="px-2 pb-1.5 text-xs font-medium text-muted-foreground">{title}</p>
      <ul className="grid gap-0.5">
        {ordered.map((workspace) => (
          <li key={workspace.name}>
            <NavLink to={toWorkspace(workspace.name)} className={navItemClass} onClick={onNavigate}>
              <StatusDot status={workspace.status} />
              <span className="truncate">{workspace.name}</span>
              {progressText(workspace) && (
                <span className="ml-auto shrink-0 text-xs text-muted-foreground tabular-nums" data-progress={progressText(workspace)}>
                  {progressPercent(workspace.progress) !== undefined ? `${progressPercent(workspace.progress)}%` : workspace.progress?.step}
                </span>
              )}
              <WorkspaceWaiting name={workspace.name} className="ml-auto" />
            </NavLink>
          </li>
        ))}
      </ul>
    </nav>
  );
}
