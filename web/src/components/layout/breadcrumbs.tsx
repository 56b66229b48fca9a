import { ChevronRight } from 'lucide-react';
import { Fragment } from 'react';
import { Link, useLocation } from 'react-router';

import { settingsSection } from '@/features/settings/sections';
import { workspacePath } from '@/lib/api';

interface Crumb {
  label: string;
  to?: string;
}

/**
 * Where the page sits, from its address: "Workspaces › alpha › Terminal", and for a peer's
 * workspace (`/agents/<agent>/workspaces/…`) "Workspaces › closet › alpha › Terminal".
 */
export function crumbsFor(pathname: string): Crumb[] {
  const parts = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  const agent = parts[0] === 'agents' && parts[1] !== undefined ? parts[1] : null;
  const [section, name, tab, sessionId] = agent === null ? parts : parts.slice(2);
  if (section === 'agent') return [{ label: 'Agent' }];
  if (section === 'settings' && agent === null) {
    const page = settingsSection(name);
    return page ? [{ label: 'Settings', to: '/settings' }, { label: page.label }] : [{ label: 'Settings' }];
  }
  if (section !== 'workspaces') return [];
  if (!name) return [{ label: 'Workspaces' }];
  const crumbs: Crumb[] = [{ label: 'Workspaces', to: '/workspaces' }];
  if (agent !== null) crumbs.push({ label: agent, to: '/workspaces' });
  const here = crumbs.length;
  crumbs.push({ label: name });
  if (tab === 'terminal' || tab === 'sessions') {
    crumbs[here] = { label: name, to: workspacePath(agent, name, 'terminal') };
    crumbs.push({ label: tab === 'terminal' ? 'Terminal' : 'Sessions' });
    if (tab === 'sessions' && sessionId) {
      crumbs[here + 1] = { label: 'Sessions', to: workspacePath(agent, name, 'sessions') };
      crumbs.push({ label: 'Conversation' });
    }
  }
  return crumbs;
}

export function Breadcrumbs() {
  const { pathname } = useLocation();
  const crumbs = crumbsFor(pathname);
  if (crumbs.length === 0) return null;
  return (
    <nav aria-label="Breadcrumb" className="hidden min-w-0 md:block">
      <ol className="flex min-w-0 items-center gap-1.5 text-sm text-muted-foreground">
        {crumbs.map((crumb, index) => (
          <Fragment key={`${index}-${crumb.label}`}>
            {index > 0 && <ChevronRight className="size-3.5 shrink-0" aria-hidden />}
            <li className="min-w-0 truncate">
              {crumb.to ? (
                <Link to={crumb.to} className="transition-colors hover:text-foreground">
                  {crumb.label}
                </Link>
              ) : (
                <span aria-current="page" className="font-medium text-foreground">
                  {crumb.label}
                </span>
              )}
            </li>
          </Fragment>
        ))}
      </ol>
    </nav>
  );
}
