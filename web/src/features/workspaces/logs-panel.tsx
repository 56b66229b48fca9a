import type { LogLine, LogSource, Workspace } from '@perry/client';
import { errorMessage, mayHaveBuildLog } from '@perry/client';
import { CircleAlert, Pause, Play, Search } from 'lucide-react';
import { useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useSearchParams } from 'react-router';

import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/input';
import { Spinner } from '@/components/ui/spinner';
import { Tabs, TabsContent, TabsList, TabsTrigger } from '@/components/ui/tabs';
import { cn } from '@/lib/utils';

import { filterLogLines, highlightParts } from './tools';
import { useWorkspaceLogs } from './tools-api';

/**
 * The container's log, followed live, with a search that filters and highlights; for a workspace
 * from a repository, its last image build's log beside it (`?log=build` opens that one).
 */
export function LogsPanel({ workspace, shown }: { workspace: Workspace; shown: boolean }) {
  const [follow, setFollow] = useState(true);
  const [query, setQuery] = useState('');
  const [search, setSearch] = useSearchParams();
  const withBuild = mayHaveBuildLog(workspace);
  const source: LogSource = withBuild && search.get('log') === 'build' ? 'build' : 'container';
  // Both kept, so switching back shows what was read; only the one in sight is asked.
  const logsBySource = {
    container: useWorkspaceLogs(workspace.name, { enabled: shown && source === 'container', follow }),
    build: useWorkspaceLogs(workspace.name, { enabled: shown && source === 'build', follow, source: 'build' }),
  };
  const logs = logsBySource[source];
  const visible = useMemo(() => filterLogLines(logs.lines, query), [logs.lines, query]);

  function choose(value: string) {
    setSearch(
      (previous) => {
        const next = new URLSearchParams(previous);
        if (value === 'build') next.set('log', 'build');
        else next.delete('log');
        return next;
      },
      { replace: true },
    );
  }

  return (
    <Tabs value={source} onValueChange={choose} className="flex min-h-0 flex-1 flex-col gap-3">
      <div className="flex flex-wrap items-center gap-2">
        {withBuild && (
          <TabsList aria-label="Which log">
            <TabsTrigger value="container">Container</TabsTrigger>
            <TabsTrigger value="build">Build</TabsTrigger>
          </TabsList>
        )}
        <div className="relative min-w-0 flex-1 basis-48">
          <Search className="pointer-events-none absolute top-1/2 left-2.5 size-4 -translate-y-1/2 text-muted-foreground" aria-hidden />
          <Input
            type="search"
            aria-label="Search the log"
            placeholder="Search the log"
            className="pl-8"
            value={query}
            onChange={(event) => setQuery(event.target.value)}
          />
        </div>
        <Button variant={follow ? 'secondary' : 'outline'} aria-pressed={follow} onClick={() => setFollow((value) => !value)}>
          {follow ? <Pause /> : <Play />}
          {follow ? 'Following' : 'Follow'}
        </Button>
      </div>
      <div className="flex items-center gap-2 text-xs text-muted-foreground" aria-live="polite">
        {follow && shown && <span className="size-2 animate-pulse rounded-full bg-success" aria-hidden />}
        <span data-testid="log-count">
          {query ? `${visible.length} of ${logs.lines.length} lines match` : `${logs.lines.length} lines`}
          {follow ? ', following' : ', paused'}
        </span>
        {logs.error !== null && (
          <span role="alert" className="inline-flex items-center gap-1 text-destructive">
            <CircleAlert className="size-3.5" aria-hidden /> {errorMessage(logs.error)}
          </span>
        )}
      </div>
      {(['container', 'build'] as const).map((value) => (
        <TabsContent key={value} value={value} className="flex min-h-0 flex-1 flex-col">
          <LogView source={value} loading={logs.loading} lines={visible} query={query} follow={follow && shown} />
        </TabsContent>
      ))}
    </Tabs>
  );
}

const LOG_WORDS: Record<LogSource, { label: string; loading: string; empty: string }> = {
  container: { label: 'Workspace log', loading: 'Loading the log…', empty: 'The log is empty.' },
  build: {
    label: 'Build log',
    loading: 'Loading the build log…',
    empty: 'No image build yet: the build from the repository’s devcontainer.json writes here.',
  },
};

/** The lines of one log; while `follow`, the newest stays in sight. */
function LogView({ source, loading, lines, query, follow }: { source: LogSource; loading: boolean; lines: LogLine[]; query: string; follow: boolean }) {
  const view = useRef<HTMLDivElement>(null);
  const words = LOG_WORDS[source];

  useLayoutEffect(() => {
    if (!follow || !view.current) return;
    view.current.scrollTop = view.current.scrollHeight;
  }, [follow, lines]);

  return (
    <div
      ref={view}
      role="log"
      aria-label={words.label}
      className="min-h-64 flex-1 overflow-auto rounded-xl border bg-muted/30 py-2 font-mono text-xs leading-5 max-md:h-[60dvh] md:min-h-0"
    >
      {loading ? (
        <div className="flex items-center gap-2 px-3 text-muted-foreground">
          <Spinner /> {words.loading}
        </div>
      ) : lines.length === 0 ? (
        <p className="px-3 text-muted-foreground">{query ? 'No line holds that.' : words.empty}</p>
      ) : (
        lines.map((line, index) => <LogRow key={`${line.time}-${index}`} line={line} query={query} />)
      )}
    </div>
  );
}

function LogRow({ line, query }: { line: LogLine; query: string }) {
  const stderr = line.stream === 'stderr';
  return (
    <div
      data-stream={line.stream}
      className={cn('flex gap-3 border-l-2 px-3 whitespace-pre-wrap break-all', stderr ? 'border-destructive bg-destructive/5' : 'border-transparent')}
    >
      <time dateTime={line.time} className="shrink-0 text-muted-foreground select-none max-sm:hidden">
        {line.time.slice(11, 19)}
      </time>
      {stderr && (
        <span className="shrink-0 font-semibold text-destructive select-none" title="standard error">
          err
        </span>
      )}
      <span className="min-w-0">
        {highlightParts(line.text, query).map((part, index) =>
          part.match ? (
            <mark key={index} className="rounded-sm bg-warning/40 text-foreground">
              {part.text}
            </mark>
          ) : (
            part.text
          ),
        )}
      </span>
    </div>
  );
}
