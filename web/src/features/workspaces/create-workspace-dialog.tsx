import type { Workspace } from '@perry/client';
import { CircleAlert, Plus } from 'lucide-react';
import { useEffect, useId, useState, type FormEvent, type ReactNode } from 'react';

import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { Button } from '@/components/ui/button';
import {
  Dialog,
  DialogContent,
  DialogDescription,
  DialogFooter,
  DialogHeader,
  DialogTitle,
  DialogTrigger,
} from '@/components/ui/dialog';
import { Input } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { Spinner } from '@/components/ui/spinner';
import { errorMessage, fieldErrors } from '@perry/client';

import { useCreateWorkspace, watchCreateInDialog } from './api';
import { validateWorkspaceName, WORKSPACE_NAME_RULE } from '@perry/client';

/** The "New workspace" button and its dialog. */
export function CreateWorkspaceDialog({ onCreated, trigger }: { onCreated?: (workspace: Workspace) => void; trigger?: ReactNode }) {
  const [open, setOpen] = useState(false);
  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>
        {trigger ?? (
          <Button>
            <Plus />
            New workspace
          </Button>
        )}
      </DialogTrigger>
      <DialogContent>
        {/* Mounted only while open, so every opening starts with an empty form. */}
        {open && (
          <CreateWorkspaceForm
            onDone={(workspace) => {
              setOpen(false);
              onCreated?.(workspace);
            }}
            onHide={() => setOpen(false)}
          />
        )}
      </DialogContent>
    </Dialog>
  );
}

function CreateWorkspaceForm({ onDone, onHide }: { onDone: (workspace: Workspace) => void; onHide: () => void }) {
  const [name, setName] = useState('');
  const [touched, setTouched] = useState(false);
  const create = useCreateWorkspace();
  const inputId = useId();
  const hintId = useId();
  const problem = validateWorkspaceName(name);
  // Say what is wrong as soon as there is something typed; an empty field only after a submit.
  const showProblem = problem !== null && (name.length > 0 || touched);
  // What the agent said about the name (e.g. taken) shows under the field, not as an alert.
  const agentProblem = create.isError ? fieldErrors(create.error).name : undefined;
  const nameProblem = showProblem ? problem : agentProblem;
  const elapsed = useElapsedSeconds(create.isPending);

  // While this form shows the outcome, the create hook does not toast it.
  const pendingName = create.isPending ? create.variables.name : null;
  useEffect(() => (pendingName ? watchCreateInDialog(pendingName) : undefined), [pendingName]);

  function submit(event: FormEvent) {
    event.preventDefault();
    setTouched(true);
    if (problem !== null || create.isPending) return;
    create.mutate({ name }, { onSuccess: onDone });
  }

  return (
    <form onSubmit={submit} className="grid gap-5" aria-busy={create.isPending}>
      <DialogHeader>
        <DialogTitle>New workspace</DialogTitle>
        <DialogDescription>
          A container with its own Docker daemon, SSH server and home volume. It is ready when Docker and SSH answer.
        </DialogDescription>
      </DialogHeader>

      <div className="grid gap-2">
        <Label htmlFor={inputId}>Name</Label>
        <Input
          id={inputId}
          value={name}
          autoFocus
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          placeholder="my-project"
          disabled={create.isPending}
          aria-invalid={nameProblem !== undefined}
          aria-describedby={hintId}
          onChange={(event) => {
            setName(event.target.value);
            if (create.isError) create.reset();
          }}
        />
        <p id={hintId} className={nameProblem ? 'text-sm text-destructive' : 'text-sm text-muted-foreground'} aria-live="polite">
          {nameProblem ?? `${WORKSPACE_NAME_RULE[0]?.toUpperCase()}${WORKSPACE_NAME_RULE.slice(1)}.`}
        </p>
      </div>

      {create.isError && agentProblem === undefined && (
        <Alert variant="destructive">
          <CircleAlert />
          <AlertTitle>Could not create {create.variables.name}</AlertTitle>
          <AlertDescription>{errorMessage(create.error)}</AlertDescription>
        </Alert>
      )}

      {create.isPending && (
        <div role="status" className="flex items-center gap-3 rounded-lg border bg-muted/40 px-4 py-3 text-sm">
          <Spinner className="text-info" />
          <div className="grid gap-0.5">
            <span className="font-medium">Creating {create.variables.name}… {elapsed}s</span>
            <span className="text-muted-foreground">
              {elapsed < 3 ? 'Starting the container' : 'Waiting for its Docker daemon and SSH server'}
            </span>
          </div>
        </div>
      )}

      <DialogFooter>
        {create.isPending ? (
          <Button type="button" variant="outline" onClick={onHide}>
            Continue in background
          </Button>
        ) : (
          <Button type="button" variant="outline" onClick={onHide}>
            Cancel
          </Button>
        )}
        <Button type="submit" disabled={create.isPending || nameProblem !== undefined}>
          {create.isPending && <Spinner />}
          {create.isPending ? 'Creating…' : 'Create workspace'}
        </Button>
      </DialogFooter>
    </form>
  );
}

/** Seconds since `running` became true, ticking once a second; 0 while not running. */
function useElapsedSeconds(running: boolean): number {
  const [elapsed, setElapsed] = useState(0);
  useEffect(() => {
    if (!running) return;
    const start = Date.now();
    const timer = setInterval(() => setElapsed(Math.floor((Date.now() - start) / 1000)), 1000);
    return () => {
      clearInterval(timer);
      setElapsed(0);
    };
  }, [running]);
  return running ? elapsed : 0;
}
