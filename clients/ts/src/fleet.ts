// The person's agents seen as one fleet, shared by the web UI and the phone app: where each
// agent is reached, how its health is checked (with a timeout, so one that is down never holds
// up the rest), and how the agents are ordered. The web UI reaches its peers through the agent
// that served it (`/peers/<name>`); the phone reaches each saved agent directly.

import type { AgentInfo } from './api.gen.ts';
import type { PerryClient } from './client.ts';
import { errorMessage } from './errors.ts';

/** How often each agent's health is asked for. */
export const HEALTH_INTERVAL_MS = 1_500;
/**
 * How long an agent gets to answer before it counts as unreachable. With the interval this
 * marks an agent that went down within 5 s (the last answer at most 1.5 s old, then 2.5 s of
 * waiting), while a slow link (a 300 ms round trip) still answers well within it.
 */
export const HEALTH_TIMEOUT_MS = 2_500;

/** The base URL of peer `name` relayed by the agent at `origin`: sockets and calls go under it. */
export function peerBaseUrl(origin: string, name: string): string {
  return `${origin.replace(/\/+$/, '')}/peers/${encodeURIComponent(name)}`;
}

/** What a health check found. */
export type AgentHealth =
  | { state: 'up'; info: AgentInfo; roundTripMs: number }
  | { state: 'unreachable'; reason: string };

/**
 * `signal`, ending also after `ms`. Made by hand rather than with `AbortSignal.timeout/any`,
 * which React Native's runtime lacks.
 */
export function withTimeout(signal: AbortSignal | undefined, ms: number): AbortSignal {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error(`no answer within ${ms} ms`)), ms);
  if (signal) {
    const follow = () => {
      clearTimeout(timer);
      controller.abort(signal.reason);
    };
    if (signal.aborted) follow();
    else signal.addEventListener('abort', follow, { once: true });
  }
  return controller.signal;
}

/**
 * Asks the agent behind `client` for `agent.info`, giving it `timeoutMs`. Never throws: an agent
 * that is down, too slow or refusing is `unreachable` with a reason a person can read.
 */
export async function checkHealth(
  client: PerryClient,
  options: { signal?: AbortSignal; timeoutMs?: number; now?: () => number } = {},
): Promise<AgentHealth> {
  const timeoutMs = options.timeoutMs ?? HEALTH_TIMEOUT_MS;
  const now = options.now ?? (() => performance.now());
  const started = now();
  const signal = withTimeout(options.signal, timeoutMs);
  try {
    const info = await client.agent.info(undefined, { signal });
    return { state: 'up', info, roundTripMs: Math.max(0, Math.round(now() - started)) };
  } catch (error) {
    if (options.signal?.aborted) throw error;
    return { state: 'unreachable', reason: signal.aborted ? `no answer within ${timeoutMs < 1000 ? `${timeoutMs} ms` : `${timeoutMs / 1000} s`}` : errorMessage(error) };
  }
}

/** One line on an agent that answered: version, engine, workspaces, free memory, round trip. */
export function describeAgent(info: AgentInfo, roundTripMs?: number): string {
  const parts = [`Perry ${info.version}`, info.engine?.kind ?? 'docker'];
  const capacity = info.capacity;
  parts.push(`${info.workspacesCount} workspace${info.workspacesCount === 1 ? '' : 's'}`);
  if (capacity) parts.push(`${capacity.runningWorkspaces} running`);
  if (capacity?.memoryAvailableMb !== undefined) parts.push(`${formatMb(capacity.memoryAvailableMb)} free`);
  if (capacity?.cpus !== undefined) parts.push(`${capacity.cpus} CPU${capacity.cpus === 1 ? '' : 's'}`);
  if (roundTripMs !== undefined) parts.push(`${roundTripMs} ms`);
  return parts.join(' · ');
}

function formatMb(mb: number): string {
  return mb >= 1024 ? `${(mb / 1024).toFixed(mb >= 10 * 1024 ? 0 : 1)} GB` : `${mb} MB`;
}

/** What a client says under an agent that does not answer. */
export function unreachableNote(reason: string): string {
  const sentence = /[.?!]$/.test(reason) ? reason : `${reason}.`;
  return `${sentence} Its workspaces show again when it answers.`;
}
