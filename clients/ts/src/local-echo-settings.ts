// A person's local echo preference (LocalEcho's mode and threshold), as the web UI and the phone
// app offer it in their settings and keep it on the device: the choices, their bounds, and reading
// them back from storage.

import type { LocalEchoMode } from './local-echo.ts';

/** A person's choice of local echo (LocalEcho's options), as both apps keep it on the device. */
export interface LocalEchoSettings {
  /** auto: only while the round trip is over the threshold; always; off. */
  mode: LocalEchoMode;
  /** In auto mode, the smoothed round trip (ms) over which typing is shown before its echo. */
  thresholdMs: number;
}

/** Where both apps keep the setting on the device (localStorage, the phone's store): one key. */
export const LOCAL_ECHO_STORAGE_KEY = 'perry.localEcho';

export const DEFAULT_LOCAL_ECHO: LocalEchoSettings = { mode: 'auto', thresholdMs: 30 };

/** The modes in the order settings offer them, with their words there. */
export const LOCAL_ECHO_MODES: readonly { mode: LocalEchoMode; label: string }[] = [
  { mode: 'auto', label: 'On a slow link' },
  { mode: 'always', label: 'Always' },
  { mode: 'off', label: 'Never' },
];

/** The longest threshold settings take: beyond it auto would hardly ever show predictions. */
export const MAX_ECHO_THRESHOLD_MS = 5_000;

/** Whether `value` is one of LOCAL_ECHO_MODES' modes (as read back from storage or a URL). */
export function isLocalEchoMode(value: unknown): value is LocalEchoMode {
  return LOCAL_ECHO_MODES.some((option) => option.mode === value);
}

/** Whole milliseconds from 0 to MAX_ECHO_THRESHOLD_MS. */
export function isEchoThreshold(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= MAX_ECHO_THRESHOLD_MS;
}

/** Settings read back from storage (JSON text): a field missing or wrong takes `fallback`'s. */
export function parseLocalEchoSettings(text: string | null, fallback: LocalEchoSettings = DEFAULT_LOCAL_ECHO): LocalEchoSettings {
  let value: unknown = null;
  try {
    value = JSON.parse(text ?? 'null');
  } catch {
    // A hand edit gone wrong: the fallback, until settings save a good one.
  }
  if (typeof value !== 'object' || value === null) return fallback;
  const { mode, thresholdMs } = value as Record<string, unknown>;
  return {
    mode: isLocalEchoMode(mode) ? mode : fallback.mode,
    thresholdMs: isEchoThreshold(thresholdMs) ? thresholdMs : fallback.thresholdMs,
  };
}
