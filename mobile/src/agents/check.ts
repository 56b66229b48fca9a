import { createPerryClient, errorCode, type AgentInfo, type PerryClient } from '@perry/client';

/** How long the app waits for an agent before saying it cannot be reached. */
export const CONNECT_TIMEOUT_MS = 8000;

export type Fetch = (request: Request, init?: RequestInit) => Promise<Response>;

/** A client for `url` whose calls give up after `timeoutMs` instead of hanging on a dead host. */
export function agentClient(url: string, token: string, fetchImpl: Fetch = fetch, timeoutMs = CONNECT_TIMEOUT_MS): PerryClient {
  return createPerryClient({
    url,
    token,
    fetch: (request, init) => {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), timeoutMs);
      // The caller's own signal (a health check's shorter patience, a screen going away) still
      // ends the call.
      for (const caller of [request.signal, init?.signal]) {
        if (!caller) continue;
        if (caller.aborted) controller.abort(caller.reason);
        else caller.addEventListener('abort', () => controller.abort(caller.reason), { once: true });
      }
      return fetchImpl(request, { ...init, signal: controller.signal }).finally(() => clearTimeout(timer));
    },
  });
}

/** What went wrong reaching an agent, in words a person can act on. */
export function connectErrorMessage(error: unknown, url: string): string {
  const code = errorCode(error);
  if (code === 'UNAUTHORIZED') {
    return 'The agent refused this token. Copy it again from the agent (the line "Token:" that perry agent run prints, or its web page).';
  }
  if (code === 'TOO_MANY_REQUESTS') {
    return 'Too many wrong tokens from this phone: the agent refuses it for a minute. Wait, then try the right token.';
  }
  if (code !== undefined && error instanceof Error) return error.message;
  return `Cannot reach the agent at ${url}. Is perry agent run running there, and can this phone reach it (same network, or Tailscale on both)?`;
}

/** Asks the agent who it is: proves the address and the token before they are saved. */
export async function checkAgent(url: string, token: string, fetchImpl?: Fetch): Promise<AgentInfo> {
  return agentClient(url, token, fetchImpl).agent.info();
}
