// Pieces every settings section uses: the section's card, a secret's "set / not set" state, the
// form's error line, which workspaces an entry is for, which coding agents get it.

import type { SecretInfo, SessionAgent } from '@perry/client';
import type { LucideIcon } from 'lucide-react';
import { useId, type ReactNode } from 'react';

import { Field } from '@/components/field';
import { Badge } from '@/components/ui/badge';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Input } from '@/components/ui/input';
import { Skeleton } from '@/components/ui/skeleton';
import { formatDateTime } from '@/lib/format';
import { useNow } from '@/lib/use-now';

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
