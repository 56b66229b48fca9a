import { formatScope, parseScope, publicKeyProblem, scopeProblem, type HostSshKey, type SshKeyChoice, type SshKeyInput } from '@perry/client';
import { KeyRound, Pencil, ShieldCheck, Trash2 } from 'lucide-react';
import { useId, useState, type FormEvent } from 'react';

import { Field } from '@/components/field';
import { ErrorState } from '@/components/states';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Spinner } from '@/components/ui/spinner';
import { Textarea } from '@/components/ui/textarea';

import { useHostSshKeys, useSettings, useSettingsChange } from './api';
import { AddEntry, EditableList, FormProblem, ListSkeleton, ScopeField, ScopeText, SectionCard, SettingsLoaded } from './components';
import { formErrors } from './form-errors';
import { shortPublicKey } from './format';

/** Which of the host user's keys go into workspaces, and which public keys may log in to them. */
export function SshSection() {
  return (
    <>
      <HostKeysCard />
      <AuthorizedKeysCard />
    </>
  );
}

function HostKeysCard() {
  const keys = useHostSshKeys();
  const settings = useSettings();
  const copied = settings.data?.ssh.copy ?? [];
  // Chosen once, gone from ~/.ssh since: listed so they can be dropped.
  const missing = copied.filter((choice) => !keys.data?.some((key) => key.name === choice.key));
  return (
    <SectionCard
      icon={KeyRound}
      title="Keys copied into workspaces"
      description="The key pairs in the agent user’s ~/.ssh. A ticked one is copied into workspaces with its .pub, so git and ssh inside use it."
    >
      {keys.isError || settings.isError ? (
        <ErrorState title="Could not load the keys" error={keys.error ?? settings.error} onRetry={() => void Promise.all([keys.refetch(), settings.refetch()])} />
      ) : !keys.data || !settings.data ? (
        <ListSkeleton />
      ) : keys.data.length === 0 && missing.length === 0 ? (
        <p className="text-sm text-muted-foreground">The agent user has no SSH keys in ~/.ssh.</p>
      ) : (
        <ul aria-label="This machine’s SSH keys" className="grid gap-2">
          {keys.data.map((key) => (
            <HostKeyRow key={key.name} hostKey={key} choice={copied.find((choice) => choice.key === key.name)} />
          ))}
          {missing.map((choice) => (
            <MissingKeyRow key={choice.key} choice={choice} />
          ))}
        </ul>
      )}
    </SectionCard>
  );
}

function HostKeyRow({ hostKey, choice }: { hostKey: HostSshKey; choice: SshKeyChoice | undefined }) {
  const toggle = useSettingsChange(
    (client, copy: boolean) => (copy ? client.settings.setSshKey({ kind: 'copy', key: hostKey.name }) : client.settings.unsetSshKey({ kind: 'copy', key: hostKey.name })),
    { errorTitle: `Could not change ${hostKey.name}` },
  );
  const id = useId();
  return (
    <li className="grid gap-1 rounded-md border px-3 py-2 text-sm" data-host-key={hostKey.name}>
      <div className="flex min-w-0 flex-wrap items-center gap-x-2 gap-y-1">
        <label htmlFor={id} className="font-mono font-medium">
          {hostKey.name}
        </label>
        <Badge variant="muted">{hostKey.keyType}</Badge>
        {hostKey.comment && <span className="min-w-0 truncate text-muted-foreground">{hostKey.comment}</span>}
        <span className="ml-auto flex shrink-0 items-center gap-2">
          {toggle.isPending && <Spinner />}
          {hostKey.hasPrivate ? (
            <span className="inline-flex items-center gap-1.5">
              <input
                id={id}
                type="checkbox"
                // What was asked for shows at once; the agent's answer settles it.
                checked={toggle.isPending ? toggle.variables : choice !== undefined}
                disabled={toggle.isPending}
                onChange={(event) => toggle.mutate(event.target.checked)}
              />
              <span className="text-xs text-muted-foreground">Copy into workspaces</span>
            </span>
          ) : (
            <span className="text-xs text-muted-foreground">Public key only</span>
          )}
        </span>
      </div>
      <p className="font-mono text-xs break-all text-muted-foreground">{hostKey.fingerprint}</p>
      {choice && (
        <p className="text-xs text-muted-foreground">
          Copied to <ScopeText workspaces={choice.workspaces} />
        </p>
      )}
    </li>
  );
}

function MissingKeyRow({ choice }: { choice: SshKeyChoice }) {
  const remove = useSettingsChange((client, key: string) => client.settings.unsetSshKey({ kind: 'copy', key }), { errorTitle: `Could not remove ${choice.key}` });
  return (
    <li className="flex flex-wrap items-center gap-2 rounded-md border border-warning/40 px-3 py-2 text-sm" data-host-key={choice.key}>
      <span className="font-mono font-medium">{choice.key}</span>
      <Badge variant="warning">Not in ~/.ssh</Badge>
      <Button variant="ghost" size="icon-sm" className="ml-auto" aria-label={`Stop copying ${choice.key}`} disabled={remove.isPending} onClick={() => remove.mutate(choice.key)}>
        {remove.isPending ? <Spinner /> : <Trash2 />}
      </Button>
    </li>
  );
}

function AuthorizedKeysCard() {
  const settings = useSettings();
  return (
    <SectionCard
      icon={ShieldCheck}
      title="Authorized keys"
      description="Public keys that may log in to workspaces over SSH, besides the agent user’s own."
    >
      <SettingsLoaded settings={settings}>
        {(data) => (
          <EditableList
            label="Authorized keys"
            items={data.ssh.authorized}
            nameOf={(choice) => choice.key}
            row={(choice, { editing, onEdit, onDone }) => <AuthorizedKeyRow choice={choice} editing={editing} onEdit={onEdit} onDone={onDone} />}
          />
        )}
      </SettingsLoaded>
      <AddEntry heading="Authorize a public key">
        <AuthorizeKeyForm />
      </AddEntry>
    </SectionCard>
  );
}

function AuthorizedKeyRow({ choice, editing, onEdit, onDone }: { choice: SshKeyChoice; editing: boolean; onEdit: () => void; onDone: () => void }) {
  const remove = useSettingsChange((client, key: string) => client.settings.unsetSshKey({ kind: 'authorized', key }), {
    errorTitle: 'Could not remove the key',
  });
  const { keyType, blob, comment } = shortPublicKey(choice.key);
  const label = comment || `${keyType} key`;
  return (
    <li className="grid gap-2 rounded-md border px-3 py-2 text-sm" data-authorized-key={comment || blob}>
      <div className="flex min-w-0 flex-wrap items-center gap-x-2 gap-y-1">
        <Badge variant="muted">{keyType}</Badge>
        <span className="min-w-0 font-medium break-all">{comment || <span className="font-mono">{blob}</span>}</span>
        <div className="ml-auto flex shrink-0 items-center gap-0.5">
          <Button variant="ghost" size="icon-sm" aria-label={`Edit ${label}`} onClick={onEdit} disabled={editing}>
            <Pencil />
          </Button>
          <Button
            variant="ghost"
            size="icon-sm"
            aria-label={`Remove ${label}`}
            disabled={remove.isPending}
            onClick={() => remove.mutate(choice.key)}
          >
            {remove.isPending ? <Spinner /> : <Trash2 />}
          </Button>
        </div>
      </div>
      <p className="font-mono text-xs break-all text-muted-foreground">{blob}</p>
      {editing ? (
        <ScopeForm choice={choice} onDone={onDone} />
      ) : (
        <p className="text-xs text-muted-foreground">
          May log in to <ScopeText workspaces={choice.workspaces} />
        </p>
      )}
    </li>
  );
}

/** Changes which workspaces an authorized key may log in to (the key itself stays). */
function ScopeForm({ choice, onDone }: { choice: SshKeyChoice; onDone: () => void }) {
  const [scope, setScope] = useState(formatScope(choice.workspaces));
  const save = useSettingsChange((client, input: SshKeyInput) => client.settings.setSshKey(input), { handlesErrors: true });
  const refused = formErrors(save.error, ['workspaces'] as const);
  const workspaces = parseScope(scope);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate({ kind: 'authorized', key: choice.key, ...(workspaces.length > 0 ? { workspaces } : {}) }, { onSuccess: onDone });
  };
  return (
    <form onSubmit={submit} aria-label="Where this key may log in" className="grid gap-2" noValidate>
      <ScopeField
        value={scope}
        onChange={(value) => {
          setScope(value);
          if (save.isError) save.reset();
        }}
        error={refused?.fields.workspaces ?? scopeProblem(workspaces)}
      />
      <FormProblem message={refused?.general} />
      <div className="flex justify-end gap-2">
        <Button type="button" variant="ghost" size="sm" onClick={onDone}>
          Cancel
        </Button>
        <Button type="submit" size="sm" disabled={save.isPending}>
          {save.isPending && <Spinner />}
          Save
        </Button>
      </div>
    </form>
  );
}

function AuthorizeKeyForm() {
  const [key, setKey] = useState('');
  const [scope, setScope] = useState('');
  const save = useSettingsChange((client, input: SshKeyInput) => client.settings.setSshKey(input), { handlesErrors: true });
  const id = useId();
  const refused = formErrors(save.error, ['key', 'workspaces'] as const);
  const line = key.trim();
  const workspaces = parseScope(scope);
  const keyError = refused?.fields.key ?? (line ? publicKeyProblem(line) : null);
  const edit = (set: (text: string) => void) => (text: string) => {
    set(text);
    if (save.isError) save.reset();
  };
  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate(
      { kind: 'authorized', key: line, ...(workspaces.length > 0 ? { workspaces } : {}) },
      {
        onSuccess: () => {
          setKey('');
          setScope('');
        },
      },
    );
  };
  return (
    <form onSubmit={submit} aria-label="Authorize a public key" className="grid gap-3" noValidate>
      <Field id={id} label="Public key" error={keyError} hint="One line, as in a .pub file.">
        <Textarea
          id={id}
          value={key}
          onChange={(event) => edit(setKey)(event.target.value)}
          rows={2}
          placeholder="ssh-ed25519 AAAAC3… me@laptop"
          spellCheck={false}
          autoCapitalize="none"
          className="font-mono text-xs break-all md:text-xs"
          aria-invalid={Boolean(keyError)}
        />
      </Field>
      <ScopeField value={scope} onChange={edit(setScope)} error={refused?.fields.workspaces ?? scopeProblem(workspaces)} />
      <FormProblem message={refused?.general} />
      <div className="flex justify-end">
        <Button type="submit" disabled={save.isPending || !line}>
          {save.isPending && <Spinner />}
          Authorize key
        </Button>
      </div>
    </form>
  );
}
