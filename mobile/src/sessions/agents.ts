import type { SessionAgent } from '@perry/client';

/** The coding tools' names and a tint each, as in the web UI. */
export const AGENT_LOOKS: Record<SessionAgent, { name: string; tint: string }> = {
  'claude-code': { name: 'Claude Code', tint: '#f0883e' },
  opencode: { name: 'OpenCode', tint: '#58a6ff' },
  codex: { name: 'Codex', tint: '#3fb950' },
};

export function agentName(agent: string): string {
  return AGENT_LOOKS[agent as SessionAgent]?.name ?? agent;
}
