import type { Workspace } from '@perry/client';

import type { KeyValueStore } from '../agents/storage';

/** The workspaces an agent listed last, and when. */
export interface LastKnown {
  workspaces: Workspace[];
  /** Milliseconds since the epoch. */
  at: number;
}

const key = (agentUrl: string) => `perry.workspaces.${agentUrl}`;

export async function readLastKnown(cache: KeyValueStore, agentUrl: string): Promise<LastKnown | null> {
  try {
    const value = JSON.parse((await cache.get(key(agentUrl))) ?? 'null') as Partial<LastKnown> | null;
    if (!value || !Array.isArray(value.workspaces) || typeof value.at !== 'number') return null;
    return { workspaces: value.workspaces, at: value.at };
  } catch {
    return null;
  }
}

export async function writeLastKnown(cache: KeyValueStore, agentUrl: string, lastKnown: LastKnown): Promise<void> {
  await cache.set(key(agentUrl), JSON.stringify(lastKnown));
}

/** "12:03" today, else "26 Nov 12:03": when a stale list was current. */
export function formatSeen(at: number, now = Date.now()): string {
  const date = new Date(at);
  const time = `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
  if (new Date(now).toDateString() === date.toDateString()) return time;
  const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][date.getMonth()];
  return `${date.getDate()} ${month} ${time}`;
}
