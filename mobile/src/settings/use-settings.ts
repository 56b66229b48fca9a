import type { PerryClient, Settings, WorkspaceSyncResult } from '@perry/client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useMemo } from 'react';

import { useAgents } from '../agents/agents-context';
import type { SavedAgent } from '../agents/saved-agents';

const settingsKey = (url: string | undefined) => ['settings', url] as const;

/** The saved agent at `url` (a settings screen's parameter), and a client for it. */
export function useSavedAgent(url: string | undefined): { agent: SavedAgent | null; client: PerryClient | null } {
  const { saved, clientFor } = useAgents();
  const agent = saved.agents.find((candidate) => candidate.url === url) ?? null;
  // A new client when the token changes (after a rotation), not at every render.
  const token = agent?.token;
  const client = useMemo(() => (url && token ? clientFor({ url, token, hostname: null }) : null), [url, token, clientFor]);
  return { agent, client };
}

/** The agent's settings as clients may see them: names, times and fingerprints, never values. */
export function useSettings(url: string | undefined, client: PerryClient | null) {
  return useQuery({
    queryKey: settingsKey(url),
    queryFn: (): Promise<Settings> => {
      if (!client) throw new Error('This agent is not saved on this phone.');
      return client.settings.get();
    },
    enabled: client !== null,
  });
}

/**
 * One change of the settings (set or unset a variable or an account key): the agent answers with
 * the settings after it, which replace the cached ones. Each form has its own, so each shows its
 * own progress and error.
 */
export function useSettingsChange(url: string | undefined, client: PerryClient | null) {
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (change: (client: PerryClient) => Promise<Settings>) => {
      if (!client) throw new Error('This agent is not saved on this phone.');
      return change(client);
    },
    onSuccess: (settings) => queryClient.setQueryData(settingsKey(url), settings),
    // A refusal may mean the list is out of date (another client changed it): ask again.
    onError: () => queryClient.invalidateQueries({ queryKey: settingsKey(url) }),
  });
}

/** Applies the settings to every running workspace now (`workspaces.syncAll`). */
export function useApplyToWorkspaces(client: PerryClient | null) {
  return useMutation({
    mutationFn: (): Promise<WorkspaceSyncResult[]> => {
      if (!client) throw new Error('This agent is not saved on this phone.');
      return client.workspaces.syncAll();
    },
  });
}

/** Asks the agent for its token, to show it. */
export function useRevealToken(client: PerryClient | null) {
  return useMutation({
    mutationFn: async (): Promise<string> => {
      if (!client) throw new Error('This agent is not saved on this phone.');
      return (await client.settings.token()).token;
    },
  });
}

/**
 * Rotates the agent's token. The old one is refused at once, this phone's included, so the new
 * one is stored before anything else is asked.
 */
export function useRotateToken(url: string | undefined, client: PerryClient | null) {
  const { replaceToken } = useAgents();
  return useMutation({
    mutationFn: async (): Promise<string> => {
      if (!client || !url) throw new Error('This agent is not saved on this phone.');
      const { token } = await client.settings.rotateToken();
      await replaceToken(url, token);
      return token;
    },
  });
}
