import type { Workspace } from '@perry/client';
import { CircleAlert, Plus } from 'lucide-react';
import { useEffect, useId, useState, type FormEvent, type ReactNode } from 'react';

import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { Field } from '@/components/field';
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
import {
  cloneDirectory,
  DEVCONTAINER_DEFAULT_HINT,
  DEVCONTAINER_PLACEHOLDER,
  devcontainerPath,
  devcontainerProblem,
  errorMessage,
  fieldErrors,
} from '@perry/client';
import { useAgentConfig } from '@/features/agent/api';

import { useCreateWorkspace, useWorkspace, watchCreateInDialog } from './api';
import { validateWorkspaceName, WORKSPACE_NAME_RULE } from '@perry/client';
import { cloneProblem, createInput, EMPTY_CREATE_FORM, formatLimit, limitProblem, type CreateForm, type LimitField } from './tools';

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
  const [form, setForm] = useState<CreateForm>(EMPTY_CREATE_FORM);
  const name = form.name;
  const [touched, setTouched] = useState(false);
  const create = useCreateWorkspace();
  const config = useAgentConfig();
  const inputId = useId();
  const hintId = useId();
  const cloneId = useId();
  const imageId = useId();
  const devcontainerId = useId();
  const problem = validateWorkspaceName(name);
  const repositoryProblem = cloneProblem(form.clone);
  const cloning = form.clone.trim() !== '';
  // Only sent with a repository (see createInput), so only checked then.
  const configProblem = cloning ? devcontainerProblem(form.devcontainer) : null;
  const limitProblems = {
    cpus: limitProblem('cpus', form.cpus),
    memoryMb: limitProblem('memoryMb', form.memoryMb),
    pids: limitProblem('pids', form.pids),
  };
  const optionsProblem = repositoryProblem ?? configProblem ?? limitProblems.cpus ?? limitProblems.memoryMb ?? limitProblems.pids;
  const set = (field: keyof CreateForm) => (value: string) => {
    setForm((previous) => ({ ...previous, [field]: value }));
    if (create.isError) create.reset();
  };
  // Say what is wrong as soon as there is something typed; an empty field only after a submit.
  const showProblem = problem !== null && (name.length > 0 || touched);
  // What the agent said about the name (e.g. taken) shows under the field, not as an alert.
  const agentProblem = create.isError ? fieldErrors(create.error).name : undefined;
  const agentConfigProblem = create.isError ? fieldErrors(create.error).devcontainer : undefined;
  const configError = configProblem ?? agentConfigProblem ?? null;
  const nameProblem = showProblem ? problem : agentProblem;
  const elapsed = useElapsedSeconds(create.isPending);

  // While this form shows the outcome, the create hook does not toast it.
  const pendingName = create.isPending ? create.variables.name : null;
  useEffect(() => (pendingName ? watchCreateInDialog(pendingName) : undefined), [pendingName]);
  // The step the agent reports in the (polled) list: a clone, an image build, the start.
  const pendingStep = useWorkspace(pendingName ?? '').data?.progress?.step;

  function submit(event: FormEvent) {
    event.preventDefault();
    setTouched(true);
    if (problem !== null || optionsProblem !== null || create.isPending) return;
    create.mutate(createInput(form), { onSuccess: onDone });
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
          onChange={(event) => set('name')(event.target.value)}
        />
        <p id={hintId} className={nameProblem ? 'text-sm text-destructive' : 'text-sm text-muted-foreground'} aria-live="polite">
          {nameProblem ?? `${WORKSPACE_NAME_RULE[0]?.toUpperCase()}${WORKSPACE_NAME_RULE.slice(1)}.`}
        </p>
      </div>

      <Field
        id={cloneId}
        label="Repository (optional)"
        error={repositoryProblem}
        hint={
          form.clone.trim() === ''
            ? 'A git URL to clone into the workspace once it is up, with the synced credentials.'
            : `Cloned into /home/workspace/${cloneDirectory(form.clone.trim()) ?? ''}`
        }
      >
        <Input
          id={cloneId}
          value={form.clone}
          autoComplete="off"
          autoCapitalize="none"
          spellCheck={false}
          placeholder="https://github.com/owner/repo.git"
          disabled={create.isPending}
          aria-invalid={repositoryProblem !== null}
          onChange={(event) => set('clone')(event.target.value)}
        />
      </Field>

      {cloning && (
        <Field
          id={devcontainerId}
          label="Devcontainer config (optional)"
          error={configError}
          hint={form.devcontainer.trim() === '' ? DEVCONTAINER_DEFAULT_HINT : `Built from ${devcontainerPath(form.devcontainer.trim())}.`}
        >
          <Input
            id={devcontainerId}
            value={form.devcontainer}
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            placeholder={DEVCONTAINER_PLACEHOLDER}
            disabled={create.isPending}
            aria-invalid={configError !== null}
            onChange={(event) => set('devcontainer')(event.target.value)}
          />
        </Field>
      )}

      <details>
        <summary className="w-fit cursor-pointer text-sm text-muted-foreground select-none hover:text-foreground">Image and limits</summary>
        <div className="mt-4 grid gap-4">
          <Field id={imageId} label="Image" error={null} hint="Leave empty for the agent's image.">
            <Input
              id={imageId}
              value={form.image}
              autoComplete="off"
              autoCapitalize="none"
              spellCheck={false}
              placeholder={config.data?.imageTag ?? 'the agent’s image'}
              disabled={create.isPending}
              onChange={(event) => set('image')(event.target.value)}
            />
          </Field>
          <div className="grid gap-4 sm:grid-cols-3">
            {LIMIT_FIELDS.map(({ field, label }) => (
              <LimitInput
                key={field}
                field={field}
                label={label}
                value={form[field]}
                problem={limitProblems[field]}
                defaultValue={config.data ? formatLimit(field, config.data.defaultLimits[field]) : undefined}
                placeholder={config.data ? String(config.data.defaultLimits[field] ?? 'no limit') : 'default'}
                disabled={create.isPending}
                onChange={set(field)}
              />
            ))}
          </div>
          <p className="text-xs text-muted-foreground">Empty takes the agent&apos;s default; 0 means no limit.</p>
        </div>
      </details>

      {create.isError && agentProblem === undefined && agentConfigProblem === undefined && (
        <Alert variant="destructive">
          <CircleAlert />
          <AlertTitle>Could not create {create.variables.name}</AlertTitle>
          <AlertDescription>{errorMessage(create.error)}</AlertDescription>
        </Alert>
      )}

      {create.isPending && (
        <div role="status" className="flex items-center gap-3 rounded-lg border bg-muted/40 px-4 py-3 text-sm">
          <Spinner className="text-info" />
          <div className="grid min-w-0 gap-0.5">
            <span className="font-medium">Creating {create.variables.name}… {elapsed}s</span>
            <span className="truncate text-muted-foreground" title={pendingStep}>
              {pendingStep ?? (elapsed < 3 ? 'Starting the container' : 'Waiting for its Docker daemon and SSH server')}
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
        <Button type="submit" disabled={create.isPending || nameProblem !== undefined || optionsProblem !== null}>
          {create.isPending && <Spinner />}
          {create.isPending ? 'Creating…' : 'Create workspace'}
        </Button>
      </DialogFooter>
    </form>
  );
}

const LIMIT_FIELDS: { field: LimitField; label: string }[] = [
  { field: 'cpus', label: 'CPUs' },
  { field: 'memoryMb', label: 'Memory (MiB)' },
  { field: 'pids', label: 'Processes' },
];

function LimitInput({
  field,
  label,
  value,
  problem,
  defaultValue,
  placeholder,
  disabled,
  onChange,
}: {
  field: LimitField;
  label: string;
  value: string;
  problem: string | null;
  /** The agent's default, for people ("no limit", "2 CPUs"); undefined until known. */
  defaultValue: string | undefined;
  placeholder: string;
  disabled: boolean;
  onChange: (value: string) => void;
}) {
  const id = useId();
  return (
    <Field id={id} label={label} error={problem} hint={defaultValue === undefined ? undefined : `Default: ${defaultValue}`}>
      <Input
        id={id}
        inputMode={field === 'cpus' ? 'decimal' : 'numeric'}
        value={value}
        placeholder={placeholder}
        disabled={disabled}
        aria-invalid={problem !== null}
        onChange={(event) => onChange(event.target.value)}
      />
    </Field>
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
