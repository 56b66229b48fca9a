import { valueProblem, variableNameProblem, type SecretInfo } from '@perry/client';
import { Pencil, Trash2, Variable } from 'lucide-react';
import { useId, useState, type FormEvent } from 'react';

import { Field } from '@/components/field';
import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/input';
import { Spinner } from '@/components/ui/spinner';

import { useSettings, useSettingsChange } from './api';
import { EditableList, FormProblem, SecretState, SectionCard, SettingsLoaded } from './components';
import { formErrors } from './form-errors';

/** `credentials.env`: variables in every workspace's shells; values write-only. */
export function EnvironmentSection() {
  const settings = useSettings();
  const [editing, setEditing] = useState<string | null>(null);
  return (
    <SectionCard
      icon={Variable}
      title="Environment variables"
      description="Set in every shell of every workspace. Values are write-only: you see when each was set and a fingerprint to tell values apart, never the value."
    >
      <SettingsLoaded settings={settings}>
        {(data) => (
          <EditableList
            label="Environment variables"
            items={data.env}
            nameOf={(variable) => variable.name}
            row={(variable) => <VariableRow variable={variable} onChange={() => setEditing(variable.name)} />}
          />
        )}
      </SettingsLoaded>
      <SetVariableForm
        // A fresh form for each "Change", with the name filled in.
        key={editing ?? ''}
        initialName={editing ?? ''}
        taken={settings.data?.env.map((variable) => variable.name) ?? []}
        onSaved={() => setEditing(null)}
      />
    </SectionCard>
  );
}

function VariableRow({ variable, onChange }: { variable: SecretInfo; onChange: () => void }) {
  const remove = useSettingsChange((client, name: string) => client.settings.unsetEnv({ name }), { errorTitle: `Could not remove ${variable.name}` });
  return (
    <li className="flex flex-wrap items-center gap-x-3 gap-y-1 rounded-md border px-3 py-2 text-sm" data-env={variable.name}>
      <span className="font-mono font-medium break-all">{variable.name}</span>
      <SecretState secret={variable} />
      <div className="ml-auto flex shrink-0 items-center gap-1">
        <Button variant="ghost" size="sm" onClick={onChange}>
          <Pencil /> Change
        </Button>
        <Button
          variant="ghost"
          size="icon-sm"
          aria-label={`Remove ${variable.name}`}
          disabled={remove.isPending}
          onClick={() => remove.mutate(variable.name)}
        >
          {remove.isPending ? <Spinner /> : <Trash2 />}
        </Button>
      </div>
    </li>
  );
}

function SetVariableForm({
  initialName,
  taken,
  onSaved,
}: {
  initialName: string;
  taken: string[];
  onSaved: () => void;
}) {
  const [name, setName] = useState(initialName);
  const [value, setValue] = useState('');
  const save = useSettingsChange((client, input: { name: string; value: string }) => client.settings.setEnv(input), { handlesErrors: true });
  const ids = { name: useId(), value: useId() };
  const refused = formErrors(save.error, ['name', 'value'] as const);
  const trimmed = name.trim();
  const nameError = refused?.fields.name ?? (trimmed ? variableNameProblem(trimmed) : null);
  const valueError = refused?.fields.value ?? (value ? valueProblem(`The value of ${trimmed || 'the variable'}`, value) : null);
  const edit = (set: (text: string) => void) => (text: string) => {
    set(text);
    if (save.isError) save.reset();
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate(
      { name: trimmed, value },
      {
        onSuccess: () => {
          setName('');
          // The value leaves the page as soon as the agent has it.
          setValue('');
          onSaved();
        },
      },
    );
  };

  return (
    <form onSubmit={submit} aria-label="Set an environment variable" className="grid gap-3" noValidate>
      <div className="grid gap-3 sm:grid-cols-[14rem_minmax(0,1fr)_auto] sm:items-start">
        <Field id={ids.name} label="Name" error={nameError} hint={taken.includes(trimmed) ? `${trimmed} is set: saving replaces its value.` : undefined}>
          <Input
            id={ids.name}
            value={name}
            onChange={(event) => edit(setName)(event.target.value)}
            placeholder="NPM_TOKEN"
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            className="font-mono"
            aria-invalid={Boolean(nameError)}
          />
        </Field>
        <Field id={ids.value} label="Value" error={valueError}>
          <Input
            id={ids.value}
            // "Change" on a variable: its new value is what to type next.
            autoFocus={initialName !== ''}
            type="password"
            value={value}
            onChange={(event) => edit(setValue)(event.target.value)}
            autoComplete="new-password"
            aria-invalid={Boolean(valueError)}
          />
        </Field>
        <Button type="submit" className="sm:mt-[1.375rem]" disabled={save.isPending || !trimmed}>
          {save.isPending && <Spinner />}
          {taken.includes(trimmed) ? 'Replace value' : 'Set variable'}
        </Button>
      </div>
      <FormProblem message={refused?.general} />
    </form>
  );
}
