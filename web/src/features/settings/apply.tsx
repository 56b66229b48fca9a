import type { WorkspaceSyncResult } from '@perry/client';
import { CircleCheck, CircleX, RefreshCw, X } from 'lucide-react';
import { createContext, useCallback, useContext, useMemo, useState, type ReactNode } from 'react';

import { Button } from '@/components/ui/button';
import { Spinner } from '@/components/ui/spinner';
import { errorMessage, syncFailures } from '@perry/client';

import { useApplyToRunning } from './api';

interface ApplyState {
  /** A setting was saved since the panel was last dismissed. */
  saved: boolean;
  /** Counts saves, so a result of before the last save is not shown as current. */
  generation: number;
}

const SavedContext = createContext<(() => void) | null>(null);
const ApplyStateContext = createContext<{ state: ApplyState; dismiss: () => void } | null>(null);

/** Holds "something was saved" for the settings pages, so the offer outlives a switch of section. */
export function ApplyProvider({ children }: { children: ReactNode }) {
  const [state, setState] = useState<ApplyState>({ saved: false, generation: 0 });
  const saved = useCallback(() => setState((current) => ({ saved: true, generation: current.generation + 1 })), []);
  const dismiss = useCallback(() => setState((current) => ({ ...current, saved: false })), []);
  const value = useMemo(() => ({ state, dismiss }), [state, dismiss]);
  return (
    <SavedContext.Provider value={saved}>
      <ApplyStateContext.Provider value={value}>{children}</ApplyStateContext.Provider>
    </SavedContext.Provider>
  );
}

/** Tells the settings pages that a change was saved (no-op outside them). */
export function useSettingsSaved(): () => void {
  return useContext(SavedContext) ?? noop;
}

function noop() {}

/**
 * After a save: running workspaces get settings when they start, or now through
 * `workspaces.syncAll`; then each workspace's outcome, ✓ or ✗ with what failed.
 */
export function ApplyPanel() {
  const context = useContext(ApplyStateContext);
  const apply = useApplyToRunning();
  const [result, setResult] = useState<{ generation: number; workspaces: WorkspaceSyncResult[] } | null>(null);
  if (!context || !context.state.saved) return null;
  const { state, dismiss } = context;
  const current = result !== null && result.generation === state.generation ? result.workspaces : null;

  const run = () => {
    const generation = state.generation;
    apply.mutate(undefined, { onSuccess: (workspaces) => setResult({ generation, workspaces }) });
  };

  return (
    <section aria-label="Apply to running workspaces" className="grid gap-3 rounded-xl border border-info/30 bg-info/5 px-4 py-3 text-sm">
      <div className="flex flex-wrap items-center gap-x-3 gap-y-2">
        <p className="min-w-0 flex-1 basis-64">
          <span className="font-medium">Saved.</span>{' '}
          <span className="text-muted-foreground">
            Workspaces get the settings each time they start; running ones get them when you apply them now.
          </span>
        </p>
        <div className="flex items-center gap-1">
          <Button size="sm" variant="outline" onClick={run} disabled={apply.isPending}>
            {apply.isPending ? <Spinner /> : <RefreshCw />} Apply to running workspaces
          </Button>
          <Button size="icon-sm" variant="ghost" aria-label="Dismiss" onClick={dismiss}>
            <X />
          </Button>
        </div>
      </div>
      {apply.isError && (
        <p role="alert" className="text-destructive">
          {errorMessage(apply.error)}
        </p>
      )}
      {current && <SyncResults workspaces={current} />}
    </section>
  );
}

function SyncResults({ workspaces }: { workspaces: WorkspaceSyncResult[] }) {
  if (workspaces.length === 0) {
    return <p role="status" className="text-muted-foreground">No workspace is running: each gets the settings when it starts.</p>;
  }
  return (
    <ul aria-label="Applied to" className="grid gap-1.5">
      {workspaces.map((workspace) => {
        const failures = syncFailures(workspace);
        const ok = failures.length === 0;
        return (
          <li key={workspace.name} data-workspace={workspace.name} data-result={ok ? 'ok' : 'failed'} className="grid gap-0.5">
            <span className="flex items-center gap-2">
              {ok ? (
                <CircleCheck className="size-4 shrink-0 text-success" aria-label="applied" />
              ) : (
                <CircleX className="size-4 shrink-0 text-destructive" aria-label="failed" />
              )}
              <span className="font-mono font-medium">{workspace.name}</span>
              <span className="text-muted-foreground">
                {ok
                  ? `${workspace.items.length} ${workspace.items.length === 1 ? 'item' : 'items'} applied`
                  : `${failures.length} of ${Math.max(workspace.items.length, failures.length)} failed`}
              </span>
            </span>
            {!ok && (
              <ul className="ml-6 grid gap-0.5 text-xs text-destructive">
                {failures.map((failure) => (
                  <li key={failure} className="break-words">
                    {failure}
                  </li>
                ))}
              </ul>
            )}
          </li>
        );
      })}
    </ul>
  );
}
