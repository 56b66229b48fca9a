// Pieces every settings section uses: the section's card, its loading and error states, its list
// of entries edited in place, its "add" footer, a secret's "set / not set" state, the form's error
// line, which workspaces an entry is for, which coding agents get it.

import type { SecretInfo, SessionAgent } from '@perry/client';
import type { LucideIcon } from 'lucide-react';
import { Fragment, useId, useState, type ReactNode } from 'react';

import { Field } from '@/components/field';
import { ErrorState } from '@/components/states';
import { Badge } from '@/components/ui/badge';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Input } from '@/components/ui/input';
import { Skeleton } from '@/components/ui/skeleton';
import { formatDateTime } from '@/lib/format';
import { useNow } from '@/lib/use-now';

import type { useSettings } from './api';
import { secretSummary } from './format';

export function SectionCard({
  icon: Icon,
  title,
  description,
  children,
}: {
  icon: LucideIcon;
  title: string;
  description: ReactNode;
  children: ReactNode;
}) {
  return (
    <Card>
      <CardHeader>
        <CardTitle className="flex items-center gap-2">
          <Icon className="size-4 text-muted-foreground" aria-hidden /> {title}
        </CardTitle>
        <CardDescription>{description}</CardDescription>
      </CardHeader>
      <CardContent className="grid gap-5">{children}</CardContent>
    </Card>
  );
}

/** A write-only secret: "Set" with when and its fingerprint, or "Not set". Never the value. */
export function SecretState({ secret }: { secret: Pick<SecretInfo, 'setAt' | 'fingerprint'> | undefined }) {
  const now = useNow();
  if (!secret) {
    return (
      <span className="flex flex-wrap items-center gap-2 text-xs text-muted-foreground" data-secret="unset">
        <Badge variant="muted">Not set</Badge>
      </span>
    );
  }
  return (
    <span className="flex min-w-0 flex-wrap items-center gap-x-2 gap-y-1 text-xs text-muted-foreground" data-secret="set" data-fingerprint={secret.fingerprint}>
      <Badge variant="success">Set</Badge>
      <span title={secret.setAt ? formatDateTime(secret.setAt) : undefined}>{secretSummary(secret, now)}</span>
    </span>
  );
}

/** What a refused save says about the whole entry (a taken name, one that is gone, …). */
export function FormProblem({ message }: { message: string | null | undefined }) {
  if (!message) return null;
  return (
    <p role="alert" className="text-sm text-destructive">
      {message}
    </p>
  );
}

/** Lines of a list while it loads. */
export function ListSkeleton() {
  return (
    <div className="grid gap-2" aria-hidden>
      <Skeleton className="h-12 w-full" />
      <Skeleton className="h-12 w-full" />
    </div>
  );
}

type SettingsQuery = ReturnType<typeof useSettings>;
type LoadedSettings = NonNullable<SettingsQuery['data']>;

/** The settings once loaded, given to `children`; till then a skeleton, or the error with a retry. */
export function SettingsLoaded({ settings, children }: { settings: SettingsQuery; children: (settings: LoadedSettings) => ReactNode }) {
  if (settings.isError) return <ErrorState title="Could not load the settings" error={settings.error} onRetry={() => void settings.refetch()} />;
  if (!settings.data) return <ListSkeleton />;
  return children(settings.data);
}

/** What a row of an `EditableList` is told about editing its entry in place. */
export interface RowEditing {
  index: number;
  editing: boolean;
  onEdit: () => void;
  onDone: () => void;
}

/**
 * A section's entries, nothing while there are none. With `form`, the entry being edited shows
 * `form` in place of its row, in an `<li>` with `data-{dataName}` = its name.
 */
export function EditableList<T>({
  label,
  items,
  nameOf,
  ordered = false,
  dataName,
  row,
  form,
}: {
  label: string;
  items: readonly T[];
  nameOf: (item: T) => string;
  ordered?: boolean;
  dataName?: string;
  row: (item: T, editing: RowEditing) => ReactNode;
  form?: (item: T, onDone: () => void) => ReactNode;
}) {
  const [editing, setEditing] = useState<string | null>(null);
  if (items.length === 0) return null;
  const List = ordered ? 'ol' : 'ul';
  const onDone = () => setEditing(null);
  return (
    <List aria-label={label} className="grid gap-2">
      {items.map((item, index) => {
        const name = nameOf(item);
        return (
          <Fragment key={name}>
            {form && editing === name ? (
              <li className="rounded-md border p-3" {...(dataName ? { [`data-${dataName}`]: name } : {})}>
                {form(item, onDone)}
              </li>
            ) : (
              row(item, { index, editing: editing === name, onEdit: () => setEditing(name), onDone })
            )}
          </Fragment>
        );
      })}
    </List>
  );
}

/** The footer of a section that adds an entry: its heading (the form carries the name) and form. */
export function AddEntry({ heading, children }: { heading: string; children: ReactNode }) {
  return (
    <div className="grid gap-3 border-t pt-4">
      <h4 className="text-sm font-semibold" aria-hidden>
        {heading}
      </h4>
      {children}
    </div>
  );
}

/** "Only in these workspaces", as typed: names separated by commas; empty is every workspace. */
export function ScopeField({ value, onChange, error }: { value: string; onChange: (value: string) => void; error: string | null | undefined }) {
  const id = useId();
  return (
    <Field id={id} label="Only in workspaces" error={error} hint="Names separated by commas; empty means every workspace.">
      <Input
        id={id}
        value={value}
        onChange={(event) => onChange(event.target.value)}
        placeholder="every workspace"
        autoComplete="off"
        autoCapitalize="none"
        spellCheck={false}
        aria-invalid={Boolean(error)}
      />
    </Field>
  );
}

/** Where an entry applies, for a list. */
export function ScopeText({ workspaces }: { workspaces: readonly string[] | undefined }) {
  if (!workspaces || workspaces.length === 0) return <span>every workspace</span>;
  return (
    <span>
      only <span className="font-mono">{workspaces.join(', ')}</span>
    </span>
  );
}

export const CODING_AGENTS: { agent: SessionAgent; label: string }[] = [
  { agent: 'claude-code', label: 'Claude Code' },
  { agent: 'codex', label: 'Codex' },
  { agent: 'opencode', label: 'OpenCode' },
];

/** Which coding agents get an entry; none ticked is all of them. */
export function AgentsField({ value, onChange }: { value: SessionAgent[]; onChange: (value: SessionAgent[]) => void }) {
  return (
    <fieldset className="grid gap-1.5">
      <legend className="mb-1.5 text-sm font-medium">For</legend>
      <div className="flex flex-wrap gap-x-4 gap-y-2 text-sm">
        {CODING_AGENTS.map(({ agent, label }) => (
          <label key={agent} className="inline-flex items-center gap-1.5">
            <input
              type="checkbox"
              checked={value.includes(agent)}
              onChange={(event) => onChange(event.target.checked ? [...value, agent] : value.filter((a) => a !== agent))}
            />
            {label}
          </label>
        ))}
      </div>
      <p className="text-xs text-muted-foreground">None ticked: every coding agent.</p>
    </fieldset>
  );
}

export function agentsText(agents: readonly SessionAgent[]): string {
  if (agents.length === 0) return 'every coding agent';
  return agents.map((agent) => CODING_AGENTS.find((a) => a.agent === agent)?.label ?? agent).join(', ');
}

/** An on/off checkbox with its label. */
export function Toggle({ checked, onChange, label }: { checked: boolean; onChange: (checked: boolean) => void; label: string }) {
  return (
    <label className="inline-flex items-center gap-1.5 text-sm">
      <input type="checkbox" checked={checked} onChange={(event) => onChange(event.target.checked)} />
      {label}
    </label>
  );
}
