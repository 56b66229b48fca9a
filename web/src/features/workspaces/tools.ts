// The pure parts of the workspace tools (create options, ports, logs, commands): what the forms
// send and how replies are shown, kept apart from the components so they are tested as plain
// functions.

import type { CreateWorkspaceInput, LogLine, WorkspaceLimits } from '@perry/client';
import { devcontainerInput, validateCloneUrl } from '@perry/client';

/** The create form as typed: every field a string, empty meaning "not given". */
export interface CreateForm {
  name: string;
  clone: string;
  /** The folder under .devcontainer/ whose devcontainer.json to build from (with `clone` only). */
  devcontainer: string;
  image: string;
  cpus: string;
  memoryMb: string;
  pids: string;
}

export const EMPTY_CREATE_FORM: CreateForm = { name: '', clone: '', devcontainer: '', image: '', cpus: '', memoryMb: '', pids: '' };

export type LimitField = 'cpus' | 'memoryMb' | 'pids';

/**
 * What is wrong with a limit as typed, or null. Empty takes the agent's default and `0` lifts
 * the limit; the minimums are the agent's to say (its words show when it refuses).
 */
export function limitProblem(field: LimitField, text: string): string | null {
  const value = text.trim();
  if (value === '') return null;
  const number = Number(value);
  if (!Number.isFinite(number) || number < 0) return 'Give a number, 0 for no limit, or leave it empty for the default.';
  if (field !== 'cpus' && !Number.isInteger(number)) return 'Give a whole number.';
  return null;
}

/** The repository URL's problem as typed (the agent's own words), or null; empty is no clone. */
export function cloneProblem(text: string): string | null {
  const url = text.trim();
  return url === '' ? null : validateCloneUrl(url);
}

/** `workspaces.create`'s input: only the fields given, so the agent's defaults hold for the rest. */
export function createInput(form: CreateForm): CreateWorkspaceInput {
  const input: CreateWorkspaceInput = { name: form.name };
  const clone = form.clone.trim();
  if (clone !== '') input.clone = clone;
  Object.assign(input, devcontainerInput(clone, form.devcontainer));
  const image = form.image.trim();
  if (image !== '') input.image = image;
  const limits: WorkspaceLimits = {};
  for (const field of ['cpus', 'memoryMb', 'pids'] as const) {
    const value = form[field].trim();
    if (value !== '') limits[field] = Number(value);
  }
  if (Object.keys(limits).length > 0) input.limits = limits;
  return input;
}

/** One limit for people: "2 CPUs", "4096 MiB", "8192" (processes), or "no limit". */
export function formatLimit(field: LimitField, value: number | undefined): string {
  if (value === undefined || value === 0) return 'no limit';
  if (field === 'cpus') return `${value} ${value === 1 ? 'CPU' : 'CPUs'}`;
  if (field === 'memoryMb') return `${value} MiB`;
  return String(value);
}

/** A workspace's limits on one line: "CPU: 2 CPUs · Memory: no limit · Processes: 8192". */
export function formatLimits(limits: WorkspaceLimits): string {
  return [
    `CPU: ${formatLimit('cpus', limits.cpus)}`,
    `Memory: ${formatLimit('memoryMb', limits.memoryMb)}`,
    `Processes: ${formatLimit('pids', limits.pids)}`,
  ].join(' · ');
}

/** A TCP port as typed: the number, or what is wrong; empty is `null` (for optional fields). */
export function parsePort(text: string): { port: number | null; problem: string | null } {
  const value = text.trim();
  if (value === '') return { port: null, problem: null };
  const number = Number(value);
  if (!/^\d+$/u.test(value) || number < 1 || number > 65535) return { port: null, problem: 'A port is a whole number from 1 to 65535.' };
  return { port: number, problem: null };
}

/** The address of a forwarded port, on the host the agent is reached by. */
export function forwardUrl(host: string, hostPort: number): string {
  // An IPv6 literal needs its brackets in a URL (location.hostname already has them).
  const literal = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  return `http://${literal}:${hostPort}/`;
}

/** At most this many log lines are kept in the page; older ones give way. */
export const MAX_LOG_LINES = 5_000;

/**
 * `next` after `lines`, at most `max` in all. A line repeated at the seam (same time, stream and
 * text; `since` is inclusive on some engines) is not shown twice.
 */
export function appendLogLines(lines: LogLine[], next: LogLine[], max = MAX_LOG_LINES): LogLine[] {
  if (next.length === 0) return lines;
  const seam = new Set(lines.filter((line) => line.time === next[0]!.time).map(logLineKey));
  const fresh = next.filter((line) => !seam.has(logLineKey(line)));
  const all = fresh.length === 0 ? lines : [...lines, ...fresh];
  return all.length > max ? all.slice(all.length - max) : all;
}

function logLineKey(line: LogLine): string {
  return `${line.time}\u0000${line.stream}\u0000${line.text}`;
}

/** `text` cut into parts, those matching `query` (case-insensitively) marked, for highlighting. */
export function highlightParts(text: string, query: string): { text: string; match: boolean }[] {
  if (query === '') return [{ text, match: false }];
  const parts: { text: string; match: boolean }[] = [];
  const haystack = text.toLowerCase();
  const needle = query.toLowerCase();
  let from = 0;
  for (let at = haystack.indexOf(needle); at !== -1; at = haystack.indexOf(needle, from)) {
    if (at > from) parts.push({ text: text.slice(from, at), match: false });
    parts.push({ text: text.slice(at, at + needle.length), match: true });
    from = at + needle.length;
  }
  if (from < text.length) parts.push({ text: text.slice(from), match: false });
  return parts;
}

/** The lines that hold `query` (case-insensitively); all of them for an empty query. */
export function filterLogLines(lines: LogLine[], query: string): LogLine[] {
  if (query === '') return lines;
  const needle = query.toLowerCase();
  return lines.filter((line) => line.text.toLowerCase().includes(needle));
}

/** A command line as typed, as `workspaces.exec` runs it: a login shell, so PATH and aliases hold. */
export function shellCommand(line: string): string[] {
  return ['bash', '-lc', line];
}

/** `workspaces.exec`'s timeout as typed: seconds, or null for the agent's default (60). */
export function parseTimeout(text: string): { seconds: number | null; problem: string | null } {
  const value = text.trim();
  if (value === '') return { seconds: null, problem: null };
  const number = Number(value);
  if (!/^\d+$/u.test(value) || number < 1 || number > 3600) return { seconds: null, problem: 'Give whole seconds from 1 to 3600.' };
  return { seconds: number, problem: null };
}
