// How the workspace list is ordered and what a workspace under way says of itself: plain
// functions, so the list, the sidebar and the workspace page agree and are tested without a DOM.

import type { Workspace, WorkspaceProgress } from '@perry/client';

/** The orders the workspace list offers. */
export type WorkspaceSort = 'name' | 'created' | 'lastUsed';

export const WORKSPACE_SORTS: readonly { value: WorkspaceSort; label: string }[] = [
  { value: 'name', label: 'Name' },
  { value: 'created', label: 'Created' },
  { value: 'lastUsed', label: 'Last used' },
];

export function isWorkspaceSort(value: unknown): value is WorkspaceSort {
  return WORKSPACE_SORTS.some((sort) => sort.value === value);
}

/** Milliseconds since the epoch, or -Infinity for a missing or unreadable time (sorts last). */
function timeOf(iso: string | undefined): number {
  if (iso === undefined) return -Infinity;
  const time = Date.parse(iso);
  return Number.isNaN(time) ? -Infinity : time;
}

/**
 * `workspaces` in `sort` order: by name A–Z; by created or last used newest first (never used
 * last, by name among themselves). Those in `first` (a coding agent waits for the person) lead
 * whatever the order.
 */
export function sortWorkspaces(workspaces: readonly Workspace[], sort: WorkspaceSort, first: ReadonlySet<string> = new Set()): Workspace[] {
  const byName = (a: Workspace, b: Workspace) => a.name.localeCompare(b.name);
  const newest = (time: (workspace: Workspace) => number) => (a: Workspace, b: Workspace) => {
    const [ta, tb] = [time(a), time(b)];
    if (ta === tb) return byName(a, b);
    return tb > ta ? 1 : -1;
  };
  const order =
    sort === 'name' ? byName : sort === 'created' ? newest((w) => timeOf(w.created)) : newest((w) => timeOf(w.lastUsed));
  return [...workspaces].sort((a, b) => Number(first.has(b.name)) - Number(first.has(a.name)) || order(a, b));
}

/** The percent of a step as a whole number from 0 to 100, or undefined when not told. */
export function progressPercent(progress: WorkspaceProgress | undefined): number | undefined {
  const percent = progress?.percent;
  if (percent === undefined || !Number.isFinite(percent)) return undefined;
  return Math.min(100, Math.max(0, Math.round(percent)));
}

/** What a workspace under way is doing, for people: "copying 42%", "starting"; null when idle. */
export function progressText(workspace: Pick<Workspace, 'status' | 'progress'>): string | null {
  if (workspace.status !== 'creating' || !workspace.progress) return null;
  const percent = progressPercent(workspace.progress);
  return percent === undefined ? workspace.progress.step : `${workspace.progress.step} ${percent}%`;
}
