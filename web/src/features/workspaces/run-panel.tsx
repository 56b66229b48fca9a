import type { ExecOutput, SyncOutput, Workspace } from '@perry/client';
import { errorCode, errorMessage } from '@perry/client';
import { Check, CircleAlert, Play, RefreshCw, X } from 'lucide-react';
import { useId, useState, type FormEvent, type ReactNode } from 'react';

import { Field } from '@/components/field';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/input';
import { Spinner } from '@/components/ui/spinner';
import { cn } from '@/lib/utils';

import { parseTimeout, shellCommand } from './tools';
import { useExec, useSync } from './tools-api';

/** One command run in the workspace, and a sync of the agent's settings into it. */
export function RunPanel({ workspace }: { workspace: Workspace }) {
  const running = workspace.status === 'running';
  return (
    <div className="grid content-start gap-6">
      {!running && <NotRunning />}
      <CommandRunner workspace={workspace} disabled={!running} />
      <SyncCard workspace={workspace} disabled={!running} />
    </div>
  );
}

function NotRunning() {
  return (
    <Alert>
      <CircleAlert />
      <AlertTitle>The workspace is not running</AlertTitle>
      <AlertDescription>Start it to run a command or sync settings into it.</AlertDescription>
    </Alert>
  );
}

function Section({ title, description, children, label }: { title: string; description: ReactNode; children: ReactNode; label: string }) {
  return (
    <section aria-label={label} className="grid gap-3 rounded-xl border bg-card p-4">
      <div className="grid gap-0.5">
        <h2 className="font-medium">{title}</h2>
        <p className="text-sm text-muted-foreground">{description}</p>
      </div>
      {children}
    </section>
  );
}

function CommandRunner({ workspace, disabled }: { workspace: Workspace; disabled: boolean }) {
  const [line, setLine] = useState('');
  const [timeout, setTimeoutText] = useState('');
  const [user, setUser] = useState('');
  const [workdir, setWorkdir] = useState('');
  const exec = useExec();
  const lineId = useId();
  const timeoutId = useId();
  const userId = useId();
  const workdirId = useId();
  const timeoutParsed = parseTimeout(timeout);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (disabled || line.trim() === '' || timeoutParsed.problem !== null || exec.isPending) return;
    exec.mutate({
      name: workspace.name,
      command: shellCommand(line),
      ...(timeoutParsed.seconds !== null ? { timeoutSeconds: timeoutParsed.seconds } : {}),
      ...(user.trim() ? { user: user.trim() } : {}),
      ...(workdir.trim() ? { workdir: workdir.trim() } : {}),
    });
  }

  return (
    <Section label="Run a command" title="Run a command" description={<>Runs in a login shell (<code className="font-mono text-xs">bash -lc</code>) and shows its output when it ends.</>}>
      <form onSubmit={submit} className="grid gap-3">
        <div className="flex gap-2">
          <Input
            id={lineId}
            aria-label="Command"
            className="font-mono"
            placeholder="git status"
            autoComplete="off"
            autoCapitalize="none"
            spellCheck={false}
            value={line}
            disabled={disabled}
            onChange={(event) => setLine(event.target.value)}
          />
          <Button type="submit" disabled={disabled || line.trim() === '' || timeoutParsed.problem !== null || exec.isPending}>
            {exec.isPending ? <Spinner /> : <Play />}
            Run
          </Button>
        </div>
        <details className="group text-sm">
          <summary className="w-fit cursor-pointer text-muted-foreground select-none hover:text-foreground">Options</summary>
          <div className="mt-3 grid gap-3 sm:grid-cols-3">
            <Field id={timeoutId} label="Timeout (seconds)" error={timeoutParsed.problem} hint="Default 60, at most 3600.">
              <Input id={timeoutId} inputMode="numeric" placeholder="60" value={timeout} disabled={disabled} onChange={(event) => setTimeoutText(event.target.value)} />
            </Field>
            <Field id={userId} label="User" error={null} hint="Default workspace.">
              <Input id={userId} placeholder="workspace" autoCapitalize="none" value={user} disabled={disabled} onChange={(event) => setUser(event.target.value)} />
            </Field>
            <Field id={workdirId} label="Working directory" error={null} hint="Default the user's home.">
              <Input id={workdirId} placeholder="~" autoCapitalize="none" value={workdir} disabled={disabled} onChange={(event) => setWorkdir(event.target.value)} />
            </Field>
          </div>
        </details>
      </form>
      {exec.isPending && (
        <p role="status" className="flex items-center gap-2 text-sm text-muted-foreground">
          <Spinner /> Running <code className="font-mono text-xs">{exec.variables.command[2]}</code>…
        </p>
      )}
      {exec.isError && (
        <Alert variant="destructive">
          <CircleAlert />
          <AlertTitle>{errorCode(exec.error) === 'TIMEOUT' ? 'The command ran out of time' : 'The command could not run'}</AlertTitle>
          <AlertDescription>
            <p>{errorMessage(exec.error)}</p>
            {errorCode(exec.error) && <p className="font-mono text-xs">{errorCode(exec.error)}</p>}
          </AlertDescription>
        </Alert>
      )}
      {exec.isSuccess && <ExecResult command={exec.variables.command[2] ?? ''} result={exec.data} />}
    </Section>
  );
}

function ExecResult({ command, result }: { command: string; result: ExecOutput }) {
  const ok = result.exitCode === 0;
  return (
    <div aria-label="Command result" role="region" className="grid gap-2">
      <div className="flex flex-wrap items-center gap-2 text-sm">
        <code className="min-w-0 truncate font-mono text-xs">$ {command}</code>
        <Badge variant={ok ? 'success' : 'destructive'} data-exit-code={result.exitCode}>
          exit {result.exitCode}
        </Badge>
        {result.truncated && <Badge variant="warning">output truncated at 1 MiB</Badge>}
      </div>
      <Output label="stdout" text={result.stdout} />
      <Output label="stderr" text={result.stderr} tone="error" />
      {result.stdout === '' && result.stderr === '' && <p className="text-sm text-muted-foreground">No output.</p>}
    </div>
  );
}

function Output({ label, text, tone }: { label: string; text: string; tone?: 'error' }) {
  if (text === '') return null;
  return (
    <figure className="grid gap-1">
      <figcaption className={cn('text-xs font-medium', tone === 'error' ? 'text-destructive' : 'text-muted-foreground')}>{label}</figcaption>
      <pre
        aria-label={label}
        className={cn(
          'max-h-80 overflow-auto rounded-lg border px-3 py-2 font-mono text-xs leading-5 whitespace-pre-wrap break-all',
          tone === 'error' ? 'border-destructive/30 bg-destructive/5' : 'bg-muted/30',
        )}
      >
        {text}
      </pre>
    </figure>
  );
}

function SyncCard({ workspace, disabled }: { workspace: Workspace; disabled: boolean }) {
  const sync = useSync(workspace.name);
  return (
    <Section
      label="Sync"
      title="Sync settings"
      description="Copies the agent's settings into the workspace now: credentials, environment, files, SSH keys, MCP servers and skills."
    >
      <div>
        <Button variant="outline" disabled={disabled || sync.isPending} onClick={() => sync.mutate()}>
          {sync.isPending ? <Spinner /> : <RefreshCw />}
          {sync.isPending ? 'Syncing…' : 'Sync now'}
        </Button>
      </div>
      {sync.isError && (
        <Alert variant="destructive">
          <CircleAlert />
          <AlertTitle>Could not sync</AlertTitle>
          <AlertDescription>{errorMessage(sync.error)}</AlertDescription>
        </Alert>
      )}
      {sync.isSuccess && <SyncResult result={sync.data} />}
    </Section>
  );
}

function SyncResult({ result }: { result: SyncOutput }) {
  if (result.items.length === 0) return <p className="text-sm text-muted-foreground">Nothing to sync.</p>;
  return (
    <ul aria-label="Sync results" className="grid gap-1.5 text-sm">
      {result.items.map((item, index) => (
        <li key={`${index}-${item.what}`} data-sync-ok={item.error === undefined} className="flex items-start gap-2">
          {item.error === undefined ? (
            <Check className="mt-0.5 size-4 shrink-0 text-success" aria-label="done" />
          ) : (
            <X className="mt-0.5 size-4 shrink-0 text-destructive" aria-label="failed" />
          )}
          <span className="min-w-0">
            <span className="font-medium">{item.what}</span>
            {item.error !== undefined && <span className="block text-destructive">{item.error}</span>}
          </span>
        </li>
      ))}
    </ul>
  );
}
