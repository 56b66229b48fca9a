/** An agent this app can talk to. */
export interface SavedAgent {
  /** Its base URL, which is also its identity here: one entry per address. */
  url: string;
  token: string;
  /** The machine's host name, as the agent reported it when it was added. */
  hostname: string | null;
}

/** Everything the app keeps about agents. */
export interface SavedAgents {
  agents: SavedAgent[];
  /** The URL of the agent the app shows. */
  active: string | null;
}

export const NO_AGENTS: SavedAgents = { agents: [], active: null };

/** Adds an agent (or replaces the one at the same URL) and makes it the active one. */
export function saveAgent(saved: SavedAgents, agent: SavedAgent): SavedAgents {
  const others = saved.agents.filter((existing) => existing.url !== agent.url);
  return { agents: [...others, agent], active: agent.url };
}

export function selectAgent(saved: SavedAgents, url: string): SavedAgents {
  return saved.agents.some((agent) => agent.url === url) ? { ...saved, active: url } : saved;
}

/**
 * The agent at `url` with a new token (after a rotation), in its place and with the same agent
 * active: unlike `saveAgent`, it neither moves it nor makes it the one the app shows.
 */
export function replaceToken(saved: SavedAgents, url: string, token: string): SavedAgents {
  return { ...saved, agents: saved.agents.map((agent) => (agent.url === url ? { ...agent, token } : agent)) };
}

/** Forgets an agent; when it was the active one, the first remaining one becomes active. */
export function forgetAgent(saved: SavedAgents, url: string): SavedAgents {
  const agents = saved.agents.filter((agent) => agent.url !== url);
  const active = saved.active === url ? (agents[0]?.url ?? null) : saved.active;
  return { agents, active };
}

export function activeAgent(saved: SavedAgents): SavedAgent | null {
  return saved.agents.find((agent) => agent.url === saved.active) ?? null;
}

/** Reads what `serialize` wrote; anything unreadable counts as no agents at all. */
export function parseSavedAgents(text: string | null): SavedAgents {
  if (!text) return NO_AGENTS;
  try {
    const value = JSON.parse(text) as Partial<SavedAgents>;
    const agents = Array.isArray(value.agents)
      ? value.agents.filter(
          (agent): agent is SavedAgent =>
            typeof agent?.url === 'string' && typeof agent.token === 'string',
        )
      : [];
    const active = typeof value.active === 'string' ? value.active : null;
    return selectAgent({ agents, active: null }, active ?? agents[0]?.url ?? '');
  } catch {
    return NO_AGENTS;
  }
}
