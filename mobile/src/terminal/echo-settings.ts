// Local echo (typing shown before the shell echoes it, LocalEcho of @perry/client, run by the
// terminal page) is a preference of this phone, for every agent: kept in the device's store
// (AsyncStorage: the AgentsProvider's `cache`) under `perry.localEcho` as
// {"mode":"auto"|"always"|"off","thresholdMs":30}, changed on the Settings screen.
import { DEFAULT_LOCAL_ECHO, LOCAL_ECHO_STORAGE_KEY, parseLocalEchoSettings, type LocalEchoSettings } from '@perry/client';
import { useCallback, useEffect, useSyncExternalStore } from 'react';

import { useAgents } from '../agents/agents-context';
import type { KeyValueStore } from '../agents/storage';

/** What each store holds, once read: every screen of the app sees the same settings. */
const known = new WeakMap<KeyValueStore, LocalEchoSettings>();
const reading = new WeakSet<KeyValueStore>();
const listeners = new Set<() => void>();

function notify(): void {
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

async function load(store: KeyValueStore): Promise<void> {
  if (known.has(store) || reading.has(store)) return;
  reading.add(store);
  const text = await store.get(LOCAL_ECHO_STORAGE_KEY).catch(() => null);
  reading.delete(store);
  // A save while it was being read wins.
  if (!known.has(store)) known.set(store, parseLocalEchoSettings(text));
  notify();
}

export interface EchoSettingsState {
  /** The defaults until the device's copy has been read. */
  settings: LocalEchoSettings;
  loaded: boolean;
  save(settings: LocalEchoSettings): Promise<void>;
}

/** This phone's local echo settings, following every change. */
export function useEchoSettings(): EchoSettingsState {
  const { cache } = useAgents();
  const settings = useSyncExternalStore(subscribe, () => known.get(cache) ?? null);
  useEffect(() => {
    void load(cache);
  }, [cache]);
  const save = useCallback(
    async (next: LocalEchoSettings) => {
      known.set(cache, next);
      notify();
      await cache.set(LOCAL_ECHO_STORAGE_KEY, JSON.stringify(next));
    },
    [cache],
  );
  return { settings: settings ?? DEFAULT_LOCAL_ECHO, loaded: settings !== null, save };
}
