import { ChevronRight } from 'lucide-react';
import { Fragment } from 'react';
import { Link, useLocation } from 'react-router';

interface Crumb {
  label: string;
  to?: string;
}

/** Where the page sits, from its address: "Workspaces › alpha › Terminal". */
export function crumbsFor(pathname: string): Crumb[] {
  const [section, name, tab, sessionId] = pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (section === 'agent') return [{ label: 'Agent' }];
  if (section !== 'workspaces') return [];
  if (!name) return [{ label: 'Workspaces' }];
  const crumbs: Crumb[] = [{ label: 'Workspaces', to: '/workspaces' }, { label: name }];
  if (tab === 'terminal' || tab === 'sessions') {
    crumbs[1] = { label: name, to: `/workspaces/${encodeURIComponent(name)}/terminal` };
    crumbs.push({ label: tab === 'terminal' ? 'Terminal' : 'Sessions' });
    if (tab === 'sessions' && sessionId) {
      crumbs[2] = { label: 'Sessions', to: `/workspaces/${encodeURIComponent(name)}/sessions` };
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
