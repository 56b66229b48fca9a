import type { PerryClient } from '@perry/client';
import type { AgentConnection } from '@perry/client/react';
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';

import { agentClient, type Fetch } from './check';
import {
  activeAgent,
  forgetAgent,
  NO_AGENTS,
  parseSavedAgents,
  replaceToken,
  saveAgent,
  selectAgent,
  type SavedAgent,
  type SavedAgents,
} from './saved-agents';
import type { KeyValueStore } from './storage';

const STORAGE_KEY = 'perry.agents';

interface AgentsState {
  /** False until the saved agents have been read. */
  loaded: boolean;
  saved: SavedAgents;
  active: SavedAgent | null;
  /** A client for the active agent. */
  client: PerryClient | null;
  /** A client for any saved agent (its settings screen need not be the active one's). */
  clientFor(agent: SavedAgent): PerryClient;
  /** Where what agents said last is kept, for when they cannot be reached. */
  cache: KeyValueStore;
  save(agent: SavedAgent): Promise<void>;
  select(url: string): Promise<void>;
  forget(url: string): Promise<void>;
  /** Keeps the agent's new token after a rotation, without changing which agent is active. */
  replaceToken(url: string, token: string): Promise<void>;
}

const AgentsContext = createContext<AgentsState | null>(null);

export function AgentsProvider({
  storage,
  cache,
  fetchImpl,
  children,
}: {
  storage: KeyValueStore;
  cache: KeyValueStore;
  /** The fetch the clients use (tests pass a fake). */
  fetchImpl?: Fetch;
  children: ReactNode;
}) {
  const [saved, setSaved] = useState<SavedAgents>(NO_AGENTS);
  const [loaded, setLoaded] = useState(false);
  // The latest list, changed synchronously with every change: what is stored is always the list
  // just computed (a state updater may run only at the next render, after the write, and a
  // rotated token lost that way would lock the phone out of its agent).
  const latest = useRef<SavedAgents>(NO_AGENTS);

  useEffect(() => {
    let cancelled = false;
    storage
      .get(STORAGE_KEY)
      .catch(() => null)
      .then((text) => {
        if (cancelled) return;
        latest.current = parseSavedAgents(text);
        setSaved(latest.current);
        setLoaded(true);
      });
    return () => {
      cancelled = true;
    };
  }, [storage]);

  const update = useCallback(
    async (change: (current: SavedAgents) => SavedAgents) => {
      const next = change(latest.current);
      latest.current = next;
      setSaved(next);
      await storage.set(STORAGE_KEY, JSON.stringify(next));
    },
    [storage],
  );

  const active = activeAgent(saved);
  const client = useMemo(
    () => (active ? agentClient(active.url, active.token, fetchImpl) : null),
    [active, fetchImpl],
  );

  const clientFor = useCallback((agent: SavedAgent) => agentClient(agent.url, agent.token, fetchImpl), [fetchImpl]);

  const value = useMemo<AgentsState>(
    () => ({
      loaded,
      saved,
      active,
      client,
      clientFor,
      cache,
      save: (agent) => update((current) => saveAgent(current, agent)),
      select: (url) => update((current) => selectAgent(current, url)),
      forget: (url) => update((current) => forgetAgent(current, url)),
      replaceToken: (url, token) => update((current) => replaceToken(current, url, token)),
    }),
    [loaded, saved, active, client, clientFor, cache, update],
  );
  return <AgentsContext.Provider value={value}>{children}</AgentsContext.Provider>;
}

export function useAgents(): AgentsState {
  const state = useContext(AgentsContext);
  if (!state) throw new Error('useAgents needs an AgentsProvider');
  return state;
}

/** The active agent, as the shared hooks of @perry/client/react take it. */
export function useAgentConnection(): AgentConnection {
  const { active, client } = useAgents();
  return { client, url: active?.url ?? null, token: active?.token ?? null };
}
