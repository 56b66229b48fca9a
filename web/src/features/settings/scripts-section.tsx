import { DEFAULT_SCRIPT_TIMEOUT_SECONDS, MAX_SCRIPT_TIMEOUT_SECONDS, formatScope, parseScope, scopeProblem, scriptProblems, type PostStartScript, type ScriptSetInput } from '@perry/client';
import { ArrowDown, ArrowUp, Pencil, ScrollText, Trash2 } from 'lucide-react';
import { useId, useState, type FormEvent } from 'react';

import { Field } from '@/components/field';
import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/input';
import { Spinner } from '@/components/ui/spinner';
import { Textarea } from '@/components/ui/textarea';

import { useSettings, useSettingsChange } from './api';
import { AddEntry, EditableList, FormProblem, ScopeField, ScopeText, SectionCard, SettingsLoaded } from './components';
import { formErrors } from './form-errors';

/** Post-start scripts: run in this order as `workspace` after every start, output in the workspace's log. */
export function ScriptsSection() {
  const settings = useSettings();
  return (
    <SectionCard
      icon={ScrollText}
      title="Post-start scripts"
      description="Run in this order with bash as the workspace user, in its home, after every start once the workspace is ready. Their output goes to the workspace’s log; one that fails or runs out of time leaves the workspace running, with a warning."
    >
      <SettingsLoaded settings={settings}>
        {({ scripts }) => (
          <EditableList
            label="Post-start scripts"
            ordered
            items={scripts}
            nameOf={(script) => script.name}
            dataName="script"
            row={(script, { index, onEdit }) => <ScriptRow script={script} index={index} count={scripts.length} onEdit={onEdit} />}
            form={(script, onDone) => <ScriptForm initial={script} onDone={onDone} />}
          />
        )}
      </SettingsLoaded>
      <AddEntry heading="Add a post-start script">
        <ScriptForm />
      </AddEntry>
    </SectionCard>
  );
}

function ScriptRow({ script, index, count, onEdit }: { script: PostStartScript; index: number; count: number; onEdit: () => void }) {
  const move = useSettingsChange((client, position: number) => client.settings.setScript({ script, replace: true, position }), {
    errorTitle: `Could not move ${script.name}`,
  });
  const remove = useSettingsChange((client, name: string) => client.settings.unsetScript({ name }), { errorTitle: `Could not remove ${script.name}` });
  const firstLine = script.script.split('\n').find((line) => line.trim() !== '') ?? '';
  return (
    <li className="grid gap-1 rounded-md border px-3 py-2 text-sm" data-script={script.name}>
      <div className="flex min-w-0 flex-wrap items-center gap-x-2 gap-y-1">
        <span className="w-5 shrink-0 text-muted-foreground tabular-nums">{index + 1}.</span>
        <span className="font-medium">{script.name}</span>
        <div className="ml-auto flex shrink-0 items-center gap-0.5">
          <Button variant="ghost" size="icon-sm" aria-label={`Move ${script.name} up`} disabled={index === 0 || move.isPending} onClick={() => move.mutate(index - 1)}>
            <ArrowUp />
          </Button>
          <Button
            variant="ghost"
            size="icon-sm"
            aria-label={`Move ${script.name} down`}
            disabled={index === count - 1 || move.isPending}
            onClick={() => move.mutate(index + 1)}
          >
            <ArrowDown />
          </Button>
          <Button variant="ghost" size="icon-sm" aria-label={`Edit ${script.name}`} onClick={onEdit}>
            <Pencil />
          </Button>
          <Button
            variant="ghost"
            size="icon-sm"
            aria-label={`Remove ${script.name}`}
            disabled={remove.isPending}
            onClick={() => remove.mutate(script.name)}
          >
            {remove.isPending ? <Spinner /> : <Trash2 />}
          </Button>
        </div>
      </div>
      <code className="block truncate pl-7 font-mono text-xs text-muted-foreground" title={script.script}>
        {firstLine}
      </code>
      <p className="pl-7 text-xs text-muted-foreground">
        At most {script.timeoutSeconds ?? DEFAULT_SCRIPT_TIMEOUT_SECONDS} s · <ScopeText workspaces={script.workspaces} />
      </p>
    </li>
  );
}

/** Adds a script (at the end), or with `initial` changes that one where it is. */
function ScriptForm({ initial, onDone }: { initial?: PostStartScript; onDone?: () => void }) {
  const [name, setName] = useState(initial?.name ?? '');
  const [script, setScript] = useState(initial?.script ?? '');
  const [timeLimit, setTimeLimit] = useState(initial?.timeoutSeconds === undefined ? '' : String(initial.timeoutSeconds));
  const [scope, setScope] = useState(formatScope(initial?.workspaces));
  const save = useSettingsChange((client, input: ScriptSetInput) => client.settings.setScript(input), { handlesErrors: true });
  const ids = { name: useId(), script: useId(), timeout: useId() };
  // The agent names the whole `script` entry for any of its problems: that is the form's line.
  const refused = formErrors(save.error, ['workspaces'] as const);
  const trimmed = name.trim();
  const local = scriptProblems(trimmed, script, timeLimit);
  const workspaces = parseScope(scope);
  const nameError = trimmed ? local.name : null;
  const scriptError = script ? local.script : null;
  const scopeError = refused?.fields.workspaces ?? scopeProblem(workspaces);
  const edit = <T,>(set: (value: T) => void) => (value: T) => {
    set(value);
    if (save.isError) save.reset();
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const seconds = timeLimit.trim() === '' ? undefined : Number(timeLimit);
    save.mutate(
      {
        script: { name: trimmed, script, ...(seconds === undefined ? {} : { timeoutSeconds: seconds }), ...(workspaces.length > 0 ? { workspaces } : {}) },
        ...(initial ? { replace: true } : {}),
      },
      {
        onSuccess: () => {
          if (initial) {
            onDone?.();
            return;
          }
          setName('');
          setScript('');
          setTimeLimit('');
          setScope('');
        },
      },
    );
  };

  return (
    <form onSubmit={submit} aria-label={initial ? `Edit ${initial.name}` : 'Add a post-start script'} className="grid gap-3" noValidate>
      <div className="grid gap-3 sm:grid-cols-[minmax(0,1fr)_9rem]">
        <Field id={ids.name} label="Name" error={nameError} hint={initial ? 'The name of a script stays; remove it and add another to rename.' : undefined}>
          <Input
            id={ids.name}
            value={name}
            readOnly={initial !== undefined}
            className={initial ? 'bg-muted/50' : undefined}
            onChange={(event) => edit(setName)(event.target.value)}
            placeholder="install-tools"
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            aria-invalid={Boolean(nameError)}
          />
        </Field>
        <Field id={ids.timeout} label="Time limit (s)" error={timeLimit ? local.timeout : null}>
          <Input
            id={ids.timeout}
            type="number"
            inputMode="numeric"
            min={1}
            max={MAX_SCRIPT_TIMEOUT_SECONDS}
            value={timeLimit}
            onChange={(event) => edit(setTimeLimit)(event.target.value)}
            placeholder={String(DEFAULT_SCRIPT_TIMEOUT_SECONDS)}
            aria-invalid={Boolean(timeLimit && local.timeout)}
          />
        </Field>
      </div>
      <Field id={ids.script} label="Script" error={scriptError} hint="Bash, run in a login shell in the home directory.">
        <Textarea
          id={ids.script}
          value={script}
          onChange={(event) => edit(setScript)(event.target.value)}
          rows={5}
          placeholder={'npm install -g pnpm\ngit config --global pull.rebase true'}
          spellCheck={false}
          className="font-mono text-xs md:text-xs"
          aria-invalid={Boolean(scriptError)}
        />
      </Field>
      <ScopeField value={scope} onChange={edit(setScope)} error={scopeError} />
      <FormProblem message={refused?.general} />
      <div className="flex justify-end gap-2">
        {initial && (
          <Button type="button" variant="ghost" onClick={onDone}>
            Cancel
          </Button>
        )}
        <Button type="submit" disabled={save.isPending || !trimmed || script.trim() === ''}>
          {save.isPending && <Spinner />}
          {initial ? 'Save script' : 'Add script'}
        </Button>
      </div>
    </form>
  );
}
