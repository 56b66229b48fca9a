import { agentHost } from '../agents/agent-url';

/**
 * A TCP port as typed in the add form: its number, or what is wrong with it. The agent checks
 * the same range again (and whether the host port is free); this only saves a round trip.
 */
export function parsePort(text: string, what: string): { port: number } | { error: string } {
  const trimmed = text.trim();
  if (!/^\d+$/.test(trimmed)) return { error: `The ${what} is a number from 1 to 65535.` };
  const port = Number(trimmed);
  if (port < 1 || port > 65535) return { error: `The ${what} is a number from 1 to 65535, not ${trimmed}.` };
  return { port };
}

/**
 * Where a forward is reached from the phone: the agent listens on the host port on the same
 * address the phone uses for the agent itself.
 */
export function forwardUrl(agentUrl: string, hostPort: number): string {
  // URL keeps an IPv6 literal's brackets in hostname, so this works for [::1] too.
  return `http://${agentHost(agentUrl)}:${hostPort}/`;
}
