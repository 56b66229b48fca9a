import type { PerryClient, Settings, WorkspaceSyncResult } from '@perry/client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

import { useScope } from '@/lib/api';

import { useSettingsSaved } from './apply';

/** Settings are of the agent that served this page, never a peer's: every hook uses `home`. */
export const settingsKeys = {
  all: ['settings', 'home'] as const,
  hostSshKeys: ['settings', 'home', 'sshKeys'] as const,
};

export function useSettings() {
  const { home } = useScope();
  return useQuery({
    queryKey: settingsKeys.all,
    queryFn: ({ signal }) => home.settings.get(undefined, { signal }),
  });
}

/** The host user's SSH keys, with their types and fingerprints. */
export function useHostSshKeys() {
  const { home } = useScope();
  return useQuery({
    queryKey: settingsKeys.hostSshKeys,
    queryFn: ({ signal }) => home.settings.sshKeys(undefined, { signal }),
  });
}

export interface SettingsChangeOptions {
  /** The form shows the agent's error itself; otherwise a toast says `errorTitle`. */
  handlesErrors?: boolean;
  errorTitle?: string;
}

/**
 * A change of the settings (each `settings.set*`/`unset*` answers with all of them): the reply
 * replaces the cached settings, and the page offers to apply it to running workspaces.
 */
export function useSettingsChange<I>(call: (client: PerryClient, input: I) => Promise<Settings>, options: SettingsChangeOptions = {}) {
  const { home } = useScope();
  const queryClient = useQueryClient();
  const saved = useSettingsSaved();
  return useMutation({
    mutationFn: (input: I) => call(home, input),
    meta: options.handlesErrors ? { handlesErrors: true } : { errorTitle: options.errorTitle ?? 'Could not save the setting' },
    onSuccess: (settings) => {
      queryClient.setQueryData(settingsKeys.all, settings);
      saved();
    },
  });
}

/** `workspaces.syncAll`: every running workspace of this agent gets the settings now. */
export function useApplyToRunning() {
  const { home } = useScope();
  return useMutation<WorkspaceSyncResult[]>({
    mutationFn: () => home.workspaces.syncAll(),
    meta: { handlesErrors: true },
  });
}

/** `settings.token`: shown on request only. */
export function useShowToken() {
  const { home } = useScope();
  return useMutation({
    mutationFn: async () => (await home.settings.token()).token,
    meta: { errorTitle: 'Could not show the token' },
  });
}
