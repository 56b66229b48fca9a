import { createPerryClient, peerBaseUrl, type PerryClient } from '@perry/client';
import { createContext, useContext, useMemo, type ReactNode } from 'react';

/**
 * The typed client for the agent at `origin` (this page's agent unless told otherwise; a peer is
 * `<origin>/peers/<name>`). `fetch` is looked up at call time, so tests can stub the global one.
 */
export function createApiClient(token: string | null, origin: string = window.location.origin): PerryClient {
  return createPerryClient({
    url: origin,
    token: token || undefined,
    fetch: (request, init) => globalThis.fetch(request, init),
  });
}

/**
 * Which agent a part of the page is about: the one that served the page (`agent` null), or one
 * of its peers, reached through it with the same token. Everything about a workspace (its calls,
 * its terminal and sessions sockets, its links) reads the scope it is rendered in.
 */
export interface AgentScope {
  /** The peer's name; null for the agent that served this page. */
  agent: string | null;
  /** Base URL for calls and sockets. */
  origin: string;
  token: string | null;
  client: PerryClient;
  /** The client of the agent that served this page, whatever the scope (its peers are its own). */
  home: PerryClient;
  /**
   * A socket opened with `token` was closed by the agent with 4001 (the token was rotated away):
   * the app signs in again unless it holds a newer token already.
   */
  onTokenRevoked: () => void;
}

const ScopeContext = createContext<AgentScope | null>(null);

/** The agent that served this page, for everything inside. */
export function ApiProvider({
  token,
  onTokenRevoked = () => undefined,
  children,
}: {
  token: string | null;
  /** Told when the agent closes a socket opened with `token` with 4001. */
  onTokenRevoked?: (token: string | null) => void;
  children: ReactNode;
}) {
  const scope = useMemo(() => scopeOf(null, token, () => onTokenRevoked(token)), [token, onTokenRevoked]);
  return <ScopeContext.Provider value={scope}>{children}</ScopeContext.Provider>;
}

/** Peer `agent` of the page's agent, for everything inside. */
export function PeerScope({ agent, children }: { agent: string | null; children: ReactNode }) {
  const { token, onTokenRevoked } = useScope();
  const scope = useMemo(() => scopeOf(agent, token, onTokenRevoked), [agent, token, onTokenRevoked]);
  return <ScopeContext.Provider value={scope}>{children}</ScopeContext.Provider>;
}

function scopeOf(agent: string | null, token: string | null, onTokenRevoked: () => void): AgentScope {
  const origin = agent === null ? window.location.origin : peerBaseUrl(window.location.origin, agent);
  const client = createApiClient(token, origin);
  return { agent, origin, token, client, home: agent === null ? client : createApiClient(token), onTokenRevoked };
}

export function useScope(): AgentScope {
  const scope = useContext(ScopeContext);
  if (!scope) throw new Error('useScope needs an <ApiProvider> (signed in)');
  return scope;
}

export function useApi(): PerryClient {
  return useScope().client;
}

/**
 * The address of a workspace's page (`view`: `terminal`, `sessions`, `sessions/<id>`): under
 * `/workspaces/` on this page's agent, under `/agents/<agent>/workspaces/` on a peer.
 */
export function workspacePath(agent: string | null, name: string, view?: string): string {
  const base = `${agent === null ? '' : `/agents/${encodeURIComponent(agent)}`}/workspaces/${encodeURIComponent(name)}`;
  return view ? `${base}/${view}` : base;
}

/** [`workspacePath`] in the scope this is rendered in. */
export function useWorkspacePath(): (name: string, view?: string) => string {
  const { agent } = useScope();
  return (name, view) => workspacePath(agent, name, view);
}
