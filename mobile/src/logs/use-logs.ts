import { logsInput, type LogLine, type LogSource } from '@perry/client';
import { useEffect, useState } from 'react';

import { useAgents } from '../agents/agents-context';

/** How many lines the screen starts with (the agent's `tail`). */
export const LOG_TAIL = 300;
/** How often the log is asked for what followed. */
export const LOG_POLL_MS = 2000;
/** Lines kept on the phone; older ones are dropped as new ones come. */
export const LOG_KEEP = 2000;

export interface LogsView {
  lines: LogLine[];
  /** False until the agent answered once. */
  loaded: boolean;
  /** Why the last ask failed (the lines shown so far stay). */
  error: unknown;
}

/** Appends `more` to `lines`, keeping the last `LOG_KEEP`. */
export function appendLines(lines: LogLine[], more: LogLine[]): LogLine[] {
  if (more.length === 0) return lines;
  const joined = [...lines, ...more];
  return joined.length > LOG_KEEP ? joined.slice(joined.length - LOG_KEEP) : joined;
}

/**
 * A Docker log time (RFC 3339 in UTC, up to nine digits of a second, trailing zeros dropped) as a
 * string that sorts in time order.
 */
function sortableTime(time: string): string {
  const parts = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9}))?Z$/.exec(time);
  return parts ? `${parts[1]}.${(parts[2] ?? '').padEnd(9, '0')}` : time;
}

/**
 * The time to ask from next: the newest of the agent's `until` and the lines' own times. Docker
 * merges stdout and stderr as they arrive, so the last line is not always the newest, and the
 * agent's `until` is the last line's time: asking from it would bring newer lines again.
 */
export function nextSince(since: string | undefined, until: string | undefined, lines: LogLine[]): string | undefined {
  let newest = since;
  for (const time of [until, ...lines.map((line) => line.time)]) {
    if (time !== undefined && (newest === undefined || sortableTime(time) > sortableTime(newest))) newest = time;
  }
  return newest;
}

/**
 * A workspace container's log (or, with `source` `build`, its last image build's), followed:
 * the last `LOG_TAIL` lines, then every `LOG_POLL_MS` what came after the newest line seen
 * (`since`, see `nextSince`), so nothing comes twice. A failed ask is retried at the next tick.
 */
export function useWorkspaceLogs(name: string, source: LogSource = 'container', pollMs = LOG_POLL_MS): LogsView {
  const { client } = useAgents();
  const [view, setView] = useState<LogsView>({ lines: [], loaded: false, error: null });

  useEffect(() => {
    if (!client) return;
    let stopped = false;
    let since: string | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    setView({ lines: [], loaded: false, error: null });
    async function ask() {
      try {
        const answer = await client!.workspaces.logs(logsInput(name, source, since === undefined ? { tail: LOG_TAIL } : { since }));
        if (stopped) return;
        since = nextSince(since, answer.until, answer.lines);
        setView((current) => ({ lines: appendLines(current.lines, answer.lines), loaded: true, error: null }));
      } catch (error) {
        if (stopped) return;
        setView((current) => ({ ...current, loaded: true, error }));
      }
      if (!stopped) timer = setTimeout(ask, pollMs);
    }
    void ask();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [client, name, source, pollMs]);

  return view;
}
