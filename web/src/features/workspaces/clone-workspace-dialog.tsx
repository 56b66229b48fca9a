import type { Workspace } from '@perry/client';
import { CircleAlert, CircleCheck } from 'lucide-react';
import { useEffect, useId, useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';

import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import { Dialog, DialogContent, DialogDescription, DialogFooter, DialogHeader, DialogTitle } from '@/components/ui/dialog';
import { Input } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { Spinner } from '@/components/ui/spinner';
import { useWorkspacePath } from '@/lib/api';
import { errorMessage, fieldErrors, validateWorkspaceName, WORKSPACE_NAME_RULE } from '@perry/client';

import { useCloneWorkspace, useWorkspace, watchCreateInDialog } from './api';
import { WorkspaceProgressBar } from './workspace-progress';

/** A name for the copy that is free and of the agent's form: `<source>-copy`, `-copy-2`, … */
export function suggestCloneName(source: string, taken: readonly string[]): string {
  const stem = source.slice(0, 63 - '-copy-99'.length).replace(/-+$/u, '');
  for (let n = 1; n < 100; n += 1) {
    const candidate = n === 1 ? `${stem}-copy` : `${stem}-copy-${n}`;
    if (!taken.includes(candidate)) return candidate;
  }
  return `${stem}-copy`;
}

/**
 * Clone a workspace: the new name (checked as typed), then, while the agent copies, the new
 * workspace's progress from the polled list; once it runs, a way to open it. The agent's words
 * show when it refuses (a taken name, an engine that cannot copy volumes).
 */
export function CloneWorkspaceDialog({
  source,
  taken,
  open,
  onOpenChange,
}: {
  source: Workspace;
  /** Names in use, so the suggested one is free. */
  taken: readonly string[];
  open: boolean;
  onOpenChange: (open: boolean) => void;
}) {
  return (
    <Dialog open={open} onOpenChange={onOpenChange}>
      <DialogContent>
        {/* Mounted only while open, so every opening starts afresh. */}
        {open && <CloneForm source={source} initialName={suggestCloneName(source.name, taken)} onClose={() => onOpenChange(false)} />}
      </DialogContent>
    </Dialog>
  );
}

function CloneForm({ source, initialName, onClose }: { source: Workspace; initialName: string; onClose: () => void }) {
  const [name, setName] = useState(initialName);
  const clone = useCloneWorkspace();
  const navigate = useNavigate();
  const toWorkspace = useWorkspacePath();
  const inputId = useId();
  const hintId = useId();
  const problem = validateWorkspaceName(name);
  // The agent's word about the name (taken) goes under the field; anything else in an alert.
  const agentNameProblem = clone.isError ? fieldErrors(clone.error).name : undefined;
  const nameProblem = problem ?? agentNameProblem;
  const target = clone.isPending || clone.isSuccess ? clone.variables.name : null;
  const made = useWorkspace(target ?? '').data;

  // While this dialog shows the outcome, the clone hook does not toast it.
  const pendingName = clone.isPending ? clone.variables.name : null;
  useEffect(() => (pendingName ? watchCreateInDialog(pendingName) : undefined), [pendingName]);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (problem !== null || clone.isPending) return;
    clone.mutate({ source: source.name, name });
  }

  if (clone.isSuccess) {
    const done = clone.data;
    return (
      <div className="grid gap-5">
        <DialogHeader>
          <DialogTitle>Clone {source.name}</DialogTitle>
          <DialogDescription className="sr-only">The clone is ready.</DialogDescription>
        </DialogHeader>
        <div role="status" className="flex items-start gap-3 rounded-lg border bg-muted/40 px-4 py-3 text-sm">
          <CircleCheck className="mt-0.5 size-4 shrink-0 text-success" aria-hidden />
          <span>
            <span className="font-medium">{done.name}</span> is {done.status === 'running' ? 'running' : done.status}: a copy of {source.name}&apos;s
            files, with its own container.
          </span>
        </div>
        <DialogFooter>
          <Button type="button" variant="outline" onClick={onClose}>
            Close
          </Button>
          <Button
            type="button"
            onClick={() => {
              onClose();
              navigate(toWorkspace(done.name, 'terminal'));
            }}
          >
            Open {done.name}
          </Button>
        </DialogFooter>
      </div>
    );
  }

  return (
    <form onSubmit={submit} className="grid gap-5" aria-busy={clone.isPending}>
      <DialogHeader>
        <DialogTitle>Clone {source.name}</DialogTitle>
        <DialogDescription>
          A new workspace with a copy of {source.name}&apos;s home and Docker volumes, its image and limits.
          {source.status === 'running' && ` ${source.name} is paused while its files are copied, then carries on.`}
        </DialogDescription>
      </DialogHeader>

      <div className="grid gap-2">
        <Label htmlFor={inputId}>Name of the copy</Label>
        <Input
          id={inputId}
          value={name}
          autoFocus
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          disabled={clone.isPending}
          aria-invalid={nameProblem !== null && nameProblem !== undefined}
          aria-describedby={hintId}
          onChange={(event) => {
            setName(event.target.value);
            if (clone.isError) clone.reset();
          }}
        />
        <p id={hintId} className={nameProblem ? 'text-sm text-destructive' : 'text-sm text-muted-foreground'} aria-live="polite">
          {nameProblem ?? `${WORKSPACE_NAME_RULE[0]?.toUpperCase()}${WORKSPACE_NAME_RULE.slice(1)}.`}
        </p>
      </div>

      {clone.isError && agentNameProblem === undefined && (
        <Alert variant="destructive">
          <CircleAlert />
          <AlertTitle>Could not clone {source.name}</AlertTitle>
          <AlertDescription>{errorMessage(clone.error)}</AlertDescription>
        </Alert>
      )}

      {clone.isPending && (
        <div role="status" aria-label="Clone progress" className="grid gap-3 rounded-lg border bg-muted/40 px-4 py-3 text-sm">
          <div className="flex items-center gap-2">
            <Spinner className="text-info" />
            <span className="font-medium">Cloning into {clone.variables.name}…</span>
          </div>
          {made?.progress ? <WorkspaceProgressBar workspace={made} /> : <span className="text-muted-foreground">Getting ready</span>}
        </div>
      )}

      <DialogFooter>
        <Button type="button" variant="outline" onClick={onClose}>
          {clone.isPending ? 'Continue in background' : 'Cancel'}
        </Button>
        <Button type="submit" disabled={clone.isPending || nameProblem !== null && nameProblem !== undefined}>
          {clone.isPending && <Spinner />}
          {clone.isPending ? 'Cloning…' : 'Clone workspace'}
        </Button>
      </DialogFooter>
    </form>
  );
}
