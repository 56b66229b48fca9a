import { Outlet, NavLink, useNavigate } from 'react-router';

import { PageHeader } from '@/components/layout/page-header';
import { cn } from '@/lib/utils';

import { AgentsSection } from './agents-section';
import { ApplyPanel, ApplyProvider } from './apply';
import { EnvironmentSection } from './environment-section';
import { FilesSection } from './files-section';
import { McpSection } from './mcp-section';
import { ScriptsSection } from './scripts-section';
import { SecuritySection } from './security-section';
import { SETTINGS_SECTIONS, type SettingsSection, type SettingsSectionId } from './sections';
import { SkillsSection } from './skills-section';
import { SshSection } from './ssh-section';
import { TerminalSection } from './terminal-section';

/**
 * The settings of the agent that served this page (never a peer's): its sections beside (on a
 * phone: above) the one shown, and the offer to apply a saved change to running workspaces,
 * which stays while the person moves between sections.
 */
export function SettingsLayout({ section }: { section: SettingsSection | undefined }) {
  return (
    <ApplyProvider>
      <div className="grid gap-6">
        <PageHeader
          title="Settings"
          description="What every workspace of this agent gets, kept in the agent’s config.json. Workspaces pick changes up when they start, or when you apply them."
        />
        <div className="grid gap-6 md:grid-cols-[11rem_minmax(0,1fr)] lg:grid-cols-[13rem_minmax(0,1fr)]">
          <SettingsNav current={section?.id} />
          <div className="grid min-w-0 content-start gap-4">
            <ApplyPanel />
            <Outlet />
          </div>
        </div>
      </div>
    </ApplyProvider>
  );
}

const navItemClass = ({ isActive }: { isActive: boolean }) =>
  cn(
    'flex h-8 items-center gap-2 rounded-md px-2 text-sm text-muted-foreground transition-colors hover:bg-accent hover:text-foreground [&_svg]:size-4 [&_svg]:shrink-0',
    isActive && 'bg-accent font-medium text-foreground',
  );

/** A column of links on wider screens; a select on a phone, where a column would push the page down. */
function SettingsNav({ current }: { current: SettingsSectionId | undefined }) {
  const navigate = useNavigate();
  return (
    <>
      <nav aria-label="Settings" className="sticky top-20 hidden content-start gap-0.5 self-start md:grid">
        {SETTINGS_SECTIONS.map(({ id, label, icon: Icon }) => (
          <NavLink key={id} to={`/settings/${id}`} className={navItemClass}>
            <Icon /> {label}
          </NavLink>
        ))}
      </nav>
      <select
        aria-label="Settings section"
        value={current ?? ''}
        onChange={(event) => void navigate(`/settings/${event.target.value}`)}
        className="h-9 w-full rounded-md border bg-transparent px-2 text-sm shadow-xs focus-visible:ring-[3px] focus-visible:ring-ring/50 focus-visible:outline-none md:hidden dark:bg-input/30"
      >
        {SETTINGS_SECTIONS.map(({ id, label }) => (
          <option key={id} value={id}>
            {label}
          </option>
        ))}
      </select>
    </>
  );
}

const SECTION_PAGES: Record<SettingsSectionId, () => React.JSX.Element> = {
  environment: EnvironmentSection,
  files: FilesSection,
  agents: AgentsSection,
  scripts: ScriptsSection,
  skills: SkillsSection,
  mcp: McpSection,
  ssh: SshSection,
  security: SecuritySection,
  terminal: TerminalSection,
};

export function SettingsSectionPage({ section }: { section: SettingsSectionId }) {
  const Page = SECTION_PAGES[section];
  return <Page />;
}
