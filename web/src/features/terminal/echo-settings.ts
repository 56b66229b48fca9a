// Local echo (mosh-style prediction of typing, LocalEcho of @perry/client) is a preference of
// this browser, not of the agent: kept in localStorage under `perry.localEcho` as
// {"mode":"auto"|"always"|"off","thresholdMs":30}, changed on Settings → Terminal.
//
// Tests and benchmarks may force it for one tab: open any page of the app with
// `?localEcho=always|auto|off` (and/or `&localEchoThresholdMs=<n>`). main.tsx keeps that in
// sessionStorage (`perry.localEcho.override`) for as long as the tab lives, over what localStorage
// says, and Settings → Terminal shows that it is forced. Or write `perry.localEcho` into
// localStorage before the page loads.

import {
  DEFAULT_LOCAL_ECHO,
  isEchoThreshold,
  isLocalEchoMode,
  LOCAL_ECHO_STORAGE_KEY,
  parseLocalEchoSettings,
  type LocalEchoSettings,
} from '@perry/client';
import { useMemo, useSyncExternalStore } from 'react';

const OVERRIDE_KEY = 'perry.localEcho.override';

type Storage = Pick<globalThis.Storage, 'getItem' | 'setItem'>;

function read(storage: Storage | undefined, key: string): string | null {
  try {
    return storage?.getItem(key) ?? null;
  } catch {
    // Storage can be disabled (private modes, sandboxed frames): the defaults then.
    return null;
  }
}

/** The saved preference (localStorage). */
export function readSavedEchoSettings(storage: Storage | undefined = globalThis.localStorage): LocalEchoSettings {
  return parseLocalEchoSettings(read(storage, LOCAL_ECHO_STORAGE_KEY), DEFAULT_LOCAL_ECHO);
}

/** What this tab's address forced (over the saved preference), or null. */
export function readForcedEchoSettings(
  storage: Storage | undefined = globalThis.localStorage,
  session: Storage | undefined = globalThis.sessionStorage,
): LocalEchoSettings | null {
  const text = read(session, OVERRIDE_KEY);
  return text === null ? null : parseLocalEchoSettings(text, readSavedEchoSettings(storage));
}

/**
 * Keeps a `?localEcho=` and/or `&localEchoThresholdMs=` of the page's address for this tab, so it
 * holds on every page the tab goes to. Returns whether there was one.
 */
export function keepEchoOverride(search: string, session: Storage | undefined = globalThis.sessionStorage): boolean {
  const params = new URLSearchParams(search);
  const mode = params.get('localEcho');
  const threshold = params.get('localEchoThresholdMs');
  const forced: Partial<LocalEchoSettings> = {};
  if (isLocalEchoMode(mode)) forced.mode = mode;
  if (threshold !== null && threshold.trim() !== '' && isEchoThreshold(Number(threshold))) forced.thresholdMs = Number(threshold);
  if (Object.keys(forced).length === 0) return false;
  try {
    session?.setItem(OVERRIDE_KEY, JSON.stringify(forced));
  } catch {
    return false;
  }
  notify();
  return true;
}

/** Saves the preference (Settings), for every tab of this browser. */
export function saveEchoSettings(settings: LocalEchoSettings, storage: Storage | undefined = globalThis.localStorage): void {
  try {
    storage?.setItem(LOCAL_ECHO_STORAGE_KEY, JSON.stringify(settings));
  } catch {
    // Not kept; the open terminals still follow it.
  }
  notify();
}

const listeners = new Set<() => void>();

function notify(): void {
  for (const listener of listeners) listener();
}

/** Calls `listener` when the settings may have changed: in this page, or in another tab (the storage event). */
function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  const onStorage = (event: StorageEvent) => {
    if (event.key === null || event.key === LOCAL_ECHO_STORAGE_KEY) listener();
  };
  window.addEventListener('storage', onStorage);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('storage', onStorage);
  };
}

/** The preference saved, what this tab's address forced, and what terminals use. */
export interface EchoSettingsState {
  saved: LocalEchoSettings;
  forced: LocalEchoSettings | null;
  /** `forced`, else `saved`. */
  used: LocalEchoSettings;
}

function readState(): EchoSettingsState {
  const saved = readSavedEchoSettings();
  const forced = readForcedEchoSettings();
  return { saved, forced, used: forced ?? saved };
}

/** The settings, following every change. */
export function useEchoSettingsState(): EchoSettingsState {
  // A string snapshot: the same settings read twice are equal, so React does not render in a loop.
  const text = useSyncExternalStore(subscribe, () => JSON.stringify(readState()));
  return useMemo(() => JSON.parse(text) as EchoSettingsState, [text]);
}

/** The settings terminals use now (forced or saved), following every change. */
export function useEchoSettings(): LocalEchoSettings {
  return useEchoSettingsState().used;
}
