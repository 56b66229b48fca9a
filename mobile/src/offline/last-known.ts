// What the agent said last, kept on the device (AsyncStorage; localStorage on web) so the app
// still shows something, marked stale, when the agent cannot be reached.
import { isRetryable } from '@perry/client';
import type { UseQueryResult } from '@tanstack/react-query';
import { useEffect, useState } from 'react';

import type { KeyValueStore } from '../agents/storage';

/** A value an agent gave, and when (milliseconds since the epoch). */
export interface LastKnown<T> {
  value: T;
  at: number;
}

export async function readLastKnown<T>(cache: KeyValueStore, key: string, isValue: (value: unknown) => value is T): Promise<LastKnown<T> | null> {
  try {
    const stored = JSON.parse((await cache.get(key)) ?? 'null') as Partial<LastKnown<unknown>> | null;
    if (!stored || typeof stored.at !== 'number' || !isValue(stored.value)) return null;
    return { value: stored.value, at: stored.at };
  } catch {
    return null;
  }
}

export async function writeLastKnown<T>(cache: KeyValueStore, key: string, lastKnown: LastKnown<T>): Promise<void> {
  await cache.set(key, JSON.stringify(lastKnown));
}

export const isArray = (value: unknown): value is never[] => Array.isArray(value);

/** What a screen shows of a query that may fall back to the device's copy. */
export interface WithLastKnown<T> {
  /** The live answer, else the last one (this session's, or the device's). */
  data: T | undefined;
  /** Nothing to show yet: the first answer (or the device's copy) is on its way. */
  isLoading: boolean;
  /** When the agent cannot be reached: since when the data shown is what it said last. */
  staleSince: number | null;
}

/**
 * `query`'s data, kept on the device under `key` as it changes; while the query fails, the last
 * data instead (this session's, else the device's), with its time.
 */
export function useWithLastKnown<T>(
  query: UseQueryResult<T>,
  cache: KeyValueStore,
  key: string | null,
  isValue: (value: unknown) => value is T,
): WithLastKnown<T> {
  const [cached, setCached] = useState<{ key: string; lastKnown: LastKnown<T> | null } | null>(null);
  useEffect(() => {
    if (!key) return;
    let cancelled = false;
    void readLastKnown(cache, key, isValue).then((lastKnown) => {
      if (!cancelled) setCached({ key, lastKnown });
    });
    return () => {
      cancelled = true;
    };
  }, [cache, key, isValue]);

  // Stale means the agent could not be reached (or Docker behind it is down): an answer such as
  // "this workspace is not running" is news, shown as an error, not an outage.
  const failing = query.isError && isRetryable(query.error);
  const data = query.data;
  const at = query.dataUpdatedAt;
  useEffect(() => {
    if (key && data !== undefined && !query.isError) void writeLastKnown(cache, key, { value: data, at }).catch(() => undefined);
  }, [cache, key, data, at, query.isError]);

  const lastKnown = cached && cached.key === key ? cached.lastKnown : null;
  if (failing) {
    const fallback = data !== undefined ? { value: data, at: query.dataUpdatedAt } : lastKnown;
    return { data: fallback?.value, isLoading: false, staleSince: fallback?.at ?? null };
  }
  if (query.isError) return { data, isLoading: false, staleSince: null };
  // Loading: the device's copy meanwhile, as a start.
  return { data: data ?? lastKnown?.value, isLoading: query.isPending && lastKnown === null, staleSince: null };
}

/** "12:03" today, else "26 Nov 12:03": when a stale list was current. */
export function formatSeen(at: number, now = Date.now()): string {
  const date = new Date(at);
  const time = `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
  if (new Date(now).toDateString() === date.toDateString()) return time;
  const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][date.getMonth()];
  return `${date.getDate()} ${month} ${time}`;
}
