import { accountKeyProblem, accountValueProblem, ACCOUNT_NAMES, type AccountKind, type AccountSecret, type AccountSetInput } from '@perry/client';
import { Bot, Trash2 } from 'lucide-react';
import { useId, useState, type FormEvent, type ReactNode } from 'react';

import { Field } from '@/components/field';
import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/input';
import { Spinner } from '@/components/ui/spinner';

import { useSettings, useSettingsChange } from './api';
import { FormProblem, SecretState, SectionCard, SettingsLoaded } from './components';
import { formErrors } from './form-errors';

/** The coding agents' and git hosts' keys (`accounts` in config.json), write-only. */
export function AgentsSection() {
  const settings = useSettings();
  const accounts = settings.data?.accounts ?? [];
  const secret = (account: AccountKind, key: string) => accounts.find((entry) => entry.account === account && entry.name === key);
  const keysOf = (account: AccountKind) => accounts.filter((entry) => entry.account === account);
  return (
    <SectionCard
      icon={Bot}
      title="Coding agents"
      description="The keys the coding agents of the workspace image use, written where each of them reads them, so they start in every workspace without asking you to log in. Write-only: you see when each was set and its fingerprint."
    >
      <SettingsLoaded settings={settings}>
        {() => (
          <>
            <AccountBlock title="Claude Code">
              <KeyRow account="claudeCode" keyName="apiKey" label="API key" hint={<Var name="ANTHROPIC_API_KEY" />} secret={secret('claudeCode', 'apiKey')} />
              <KeyRow
                account="claudeCode"
                keyName="oauthToken"
                label="OAuth token"
                hint={
                  <>
                    <Var name="CLAUDE_CODE_OAUTH_TOKEN" />, a subscription’s long-lived token from <code className="font-mono">claude setup-token</code>
                  </>
                }
                secret={secret('claudeCode', 'oauthToken')}
              />
            </AccountBlock>
            <AccountBlock title="Codex">
              <KeyRow
                account="codex"
                keyName="apiKey"
                label="API key"
                hint={
                  <>
                    <Var name="OPENAI_API_KEY" /> and Codex’s <code className="font-mono">~/.codex/auth.json</code>
                  </>
                }
                secret={secret('codex', 'apiKey')}
              />
            </AccountBlock>
            <AccountBlock title="OpenCode" description="One key per provider, by OpenCode’s provider id; written to OpenCode’s auth file.">
              {keysOf('opencode').map((entry) => (
                <KeyRow key={entry.name} account="opencode" keyName={entry.name} label={entry.name} secret={entry} mono />
              ))}
              <AddKeyForm account="opencode" keyLabel="Provider" keyPlaceholder="anthropic" valueLabel="API key" taken={keysOf('opencode')} />
            </AccountBlock>
            <AccountBlock
              title="Git hosts"
              description="A token per host, used by git over HTTPS (cloning private repositories) and, for github.com, by gh as GH_TOKEN."
            >
              {keysOf('github').map((entry) => (
                <KeyRow key={entry.name} account="github" keyName={entry.name} label={entry.name} secret={entry} mono />
              ))}
              <AddKeyForm account="github" keyLabel="Host" keyPlaceholder="github.com" valueLabel="Token" taken={keysOf('github')} />
            </AccountBlock>
          </>
        )}
      </SettingsLoaded>
    </SectionCard>
  );
}

function Var({ name }: { name: string }) {
  return <code className="font-mono">{name}</code>;
}

function AccountBlock({ title, description, children }: { title: string; description?: string; children: ReactNode }) {
  return (
    <section aria-label={title} className="grid gap-3 rounded-lg border p-4">
      <div className="grid gap-1">
        <h4 className="font-medium">{title}</h4>
        {description && <p className="text-sm text-muted-foreground">{description}</p>}
      </div>
      {children}
    </section>
  );
}

/** One key of an account: its state, a password field to set it, and removing it. */
function KeyRow({
  account,
  keyName,
  label,
  hint,
  secret,
  mono = false,
}: {
  account: AccountKind;
  keyName: string;
  label: string;
  hint?: ReactNode;
  secret: AccountSecret | undefined;
  mono?: boolean;
}) {
  const [value, setValue] = useState('');
  const id = useId();
  const what = `${ACCOUNT_NAMES[account]} ${label}`;
  const save = useSettingsChange((client, input: AccountSetInput) => client.settings.setAccount(input), { handlesErrors: true });
  const remove = useSettingsChange((client, key: string) => client.settings.unsetAccount({ account, key }), { errorTitle: `Could not remove the ${what}` });
  const refused = formErrors(save.error, ['key', 'value'] as const);
  const valueError = refused?.fields.value ?? (value ? accountValueProblem(account, keyName, value) : null);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate(
      { account, key: keyName, value },
      {
        onSuccess: () => {
          setValue('');
        },
      },
    );
  };

  return (
    <form onSubmit={submit} aria-label={what} className="grid gap-2" data-account={account} data-key={keyName} noValidate>
      <div className="flex flex-wrap items-center gap-x-3 gap-y-1">
        <label htmlFor={id} className={mono ? 'font-mono text-sm font-medium' : 'text-sm font-medium'}>
          {label}
        </label>
        <SecretState secret={secret} />
      </div>
      <div className="flex flex-wrap items-start gap-2">
        <Input
          id={id}
          type="password"
          value={value}
          onChange={(event) => {
            setValue(event.target.value);
            if (save.isError) save.reset();
          }}
          placeholder={secret ? 'A new value replaces the one set' : 'Paste the key'}
          autoComplete="new-password"
          aria-invalid={Boolean(valueError)}
          className="min-w-0 flex-1 basis-56"
        />
        <div className="flex items-center gap-1">
          <Button type="submit" variant="outline" disabled={save.isPending || value === ''}>
            {save.isPending && <Spinner />}
            Save
          </Button>
          {secret && (
            <Button
              type="button"
              variant="ghost"
              size="icon"
              aria-label={`Remove the ${what}`}
              disabled={remove.isPending}
              onClick={() => remove.mutate(keyName)}
            >
              {remove.isPending ? <Spinner /> : <Trash2 />}
            </Button>
          )}
        </div>
      </div>
      {valueError ? (
        <p role="alert" className="text-xs text-destructive">
          {valueError}
        </p>
      ) : (
        hint && <p className="text-xs text-muted-foreground">{hint}</p>
      )}
      <FormProblem message={refused?.fields.key ?? refused?.general} />
    </form>
  );
}

/** A key of an account whose keys are open-ended: an OpenCode provider, a git host. */
function AddKeyForm({
  account,
  keyLabel,
  keyPlaceholder,
  valueLabel,
  taken,
}: {
  account: AccountKind;
  keyLabel: string;
  keyPlaceholder: string;
  valueLabel: string;
  taken: AccountSecret[];
}) {
  const [key, setKey] = useState('');
  const [value, setValue] = useState('');
  const ids = { key: useId(), value: useId() };
  const save = useSettingsChange((client, input: AccountSetInput) => client.settings.setAccount(input), { handlesErrors: true });
  const refused = formErrors(save.error, ['key', 'value'] as const);
  const trimmed = key.trim();
  const keyError = refused?.fields.key ?? (trimmed ? accountKeyProblem(account, trimmed) : null);
  const valueError = refused?.fields.value ?? (value ? accountValueProblem(account, trimmed || keyLabel.toLowerCase(), value) : null);
  const replaces = taken.some((entry) => entry.name === trimmed);
  const edit = (set: (text: string) => void) => (text: string) => {
    set(text);
    if (save.isError) save.reset();
  };

  const submit = (event: FormEvent) => {
    event.preventDefault();
    save.mutate(
      { account, key: trimmed, value },
      {
        onSuccess: () => {
          setKey('');
          setValue('');
        },
      },
    );
  };

  return (
    <form onSubmit={submit} aria-label={`Add a ${ACCOUNT_NAMES[account]} key`} className="grid gap-2 border-t pt-3" noValidate>
      <div className="grid gap-3 sm:grid-cols-[12rem_minmax(0,1fr)_auto] sm:items-start">
        <Field id={ids.key} label={keyLabel} error={keyError} hint={replaces ? `Set already: saving replaces it.` : undefined}>
          <Input
            id={ids.key}
            value={key}
            onChange={(event) => edit(setKey)(event.target.value)}
            placeholder={keyPlaceholder}
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            className="font-mono"
            aria-invalid={Boolean(keyError)}
          />
        </Field>
        <Field id={ids.value} label={valueLabel} error={valueError}>
          <Input
            id={ids.value}
            type="password"
            value={value}
            onChange={(event) => edit(setValue)(event.target.value)}
            autoComplete="new-password"
            aria-invalid={Boolean(valueError)}
          />
        </Field>
        <Button type="submit" variant="outline" className="sm:mt-[1.375rem]" disabled={save.isPending || !trimmed || value === ''}>
          {save.isPending && <Spinner />}
          Add
        </Button>
      </div>
      <FormProblem message={refused?.general} />
    </form>
  );
}
