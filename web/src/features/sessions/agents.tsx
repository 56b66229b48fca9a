import type { SessionAgent } from '@perry/client';
import { Asterisk, Braces, Hexagon, type LucideIcon } from 'lucide-react';

import { cn } from '@/lib/utils';

interface AgentLook {
  name: string;
  icon: LucideIcon;
  /** Tailwind classes of the small mark: a tint per tool, readable in both themes. */
  tint: string;
}

export const AGENTS: Record<SessionAgent, AgentLook> = {
  'claude-code': { name: 'Claude Code', icon: Asterisk, tint: 'border-orange-500/30 bg-orange-500/10 text-orange-700 dark:text-orange-300' },
  opencode: { name: 'OpenCode', icon: Braces, tint: 'border-sky-500/30 bg-sky-500/10 text-sky-700 dark:text-sky-300' },
  codex: { name: 'Codex', icon: Hexagon, tint: 'border-emerald-500/30 bg-emerald-500/10 text-emerald-700 dark:text-emerald-300' },
};

export const AGENT_ORDER: readonly SessionAgent[] = ['claude-code', 'opencode', 'codex'];

export function agentName(agent: string): string {
  return AGENTS[agent as SessionAgent]?.name ?? agent;
}

/** The tool that wrote a session: its mark and name. */
export function AgentBadge({ agent, className }: { agent: string; className?: string }) {
  const look = AGENTS[agent as SessionAgent];
  const Icon = look?.icon ?? Braces;
  return (
    <span
      className={cn(
        'inline-flex w-fit shrink-0 items-center gap-1 rounded-md border px-1.5 py-0.5 text-xs font-medium whitespace-nowrap',
        look?.tint ?? 'text-muted-foreground',
        className,
      )}
    >
      <Icon className="size-3" aria-hidden />
      {look?.name ?? agent}
    </span>
  );
}
