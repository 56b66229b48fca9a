import type { SessionAgent, SessionState } from '@perry/client';

import { colors } from '../ui/theme';

/** The coding tools' names and a tint each, as in the web UI. */
export const AGENT_LOOKS: Record<SessionAgent, { name: string; tint: string }> = {
  'claude-code': { name: 'Claude Code', tint: '#f0883e' },
  opencode: { name: 'OpenCode', tint: '#58a6ff' },
  codex: { name: 'Codex', tint: '#3fb950' },
};

export function agentName(agent: string): string {
  return AGENT_LOOKS[agent as SessionAgent]?.name ?? agent;
}

/** How each session state reads in a list. */
export const STATE_LOOKS: Record<SessionState, { label: string; tint: string }> = {
  working: { label: 'Working', tint: colors.accent },
  needs_input: { label: '🔔 Needs you', tint: colors.warning },
  idle: { label: 'Done', tint: colors.success },
  error: { label: 'Error', tint: colors.danger },
  ended: { label: 'Ended', tint: colors.muted },
};

