import type { PortForwardStatus, Workspace } from '@perry/client';
import { errorMessage } from '@perry/client';
import { CircleAlert, ExternalLink, Network, Plus, Trash2 } from 'lucide-react';
import { useId, useState, type FormEvent } from 'react';

import { ErrorState, LoadingState } from '@/components/states';
import { Alert, AlertDescription, AlertTitle } from '@/components/ui/alert';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Input } from '@/components/ui/input';
import { Label } from '@/components/ui/label';
import { Spinner } from '@/components/ui/spinner';
import { useAgentHost } from '@/features/fleet/api';

import { forwardUrl, parsePort } from './tools';
import { useForwardPort, usePortForwards, useRemovePort } from './tools-api';

/** The workspace's port forwards: add, open, remove, each with its live state. */
export function PortsPanel({ workspace, shown }: { workspace: Workspace; shown: boolean }) {
  const ports = usePortForwards(workspace.name, shown);
  const running = workspace.status === 'running';
  return (
    <div className="grid content-start gap-4">
      <p className="text-sm text-muted-foreground">
        A port of the workspace, reachable on the agent&apos;s host at a host port.{' '}
        {!running && 'This workspace is not running: forwards are kept and listen again once it runs.'}
      </p>
      <ForwardForm workspaceName={workspace.name} />
      {ports.isPending ? (
        <LoadingState label="Loading forwards…" />
      ) : ports.isError && ports.data === undefined ? (
        <ErrorState title="Could not load the forwards" error={ports.error} onRetry={() => void ports.refetch()} />
      ) : (
        <ForwardList workspaceName={workspace.name} forwards={ports.data ?? []} />
      )}
    </div>
  );
}

function ForwardForm({ workspaceName }: { workspaceName: string }) {
  const [workspacePort, setWorkspacePort] = useState('');
  const [hostPort, setHostPort] = useState('');
  const forward = useForwardPort(workspaceName);
  const workspaceId = useId();
  const hostId = useId();
  const target = parsePort(workspacePort);
  const listen = parsePort(hostPort);
  const problem = target.problem ?? listen.problem;

  function submit(event: FormEvent) {
    event.preventDefault();
    if (target.port === null || problem !== null || forward.isPending) return;
    forward.mutate(listen.port === null ? { workspacePort: target.port } : { workspacePort: target.port, hostPort: listen.port }, {
      onSuccess: () => {
        setWorkspacePort('');
        setHostPort('');
      },
    });
  }

  const change = (set: (value: string) => void) => (value: string) => {
    set(value);
    if (forward.isError) forward.reset();
  };

  return (
    <form onSubmit={submit} aria-label="Forward a port" className="grid gap-3 rounded-xl border bg-card p-4">
      <div className="flex flex-wrap items-end gap-3">
        <div className="grid min-w-0 flex-1 basis-28 gap-1.5 sm:w-36 sm:flex-none">
          <Label htmlFor={workspaceId}>Workspace port</Label>
          <Input
            id={workspaceId}
            inputMode="numeric"
            placeholder="3000"
            value={workspacePort}
            aria-invalid={target.problem !== null}
            onChange={(event) => change(setWorkspacePort)(event.target.value)}
          />
        </div>
        <div className="grid min-w-0 flex-1 basis-28 gap-1.5 sm:w-36 sm:flex-none">
          <Label htmlFor={hostId}>Host port</Label>
          <Input
            id={hostId}
            inputMode="numeric"
            placeholder={target.port === null ? 'same' : String(target.port)}
            value={hostPort}
            aria-invalid={listen.problem !== null}
            onChange={(event) => change(setHostPort)(event.target.value)}
          />
        </div>
        <Button type="submit" disabled={target.port === null || problem !== null || forward.isPending}>
          {forward.isPending ? <Spinner /> : <Plus />}
          Forward
        </Button>
      </div>
      {problem !== null ? (
        <p role="alert" className="text-xs text-destructive">
          {problem}
        </p>
      ) : forward.isError ? (
        <Alert variant="destructive">
          <CircleAlert />
          <AlertTitle>Could not forward the port</AlertTitle>
          <AlertDescription>{errorMessage(forward.error)}</AlertDescription>
        </Alert>
      ) : (
        <p className="text-xs text-muted-foreground">The host port is the workspace port unless you give another.</p>
      )}
    </form>
  );
}

function ForwardList({ workspaceName, forwards }: { workspaceName: string; forwards: PortForwardStatus[] }) {
  const host = useAgentHost();
  const remove = useRemovePort(workspaceName);
  if (forwards.length === 0) {
    return (
      <div className="flex items-center gap-3 rounded-xl border border-dashed px-4 py-6 text-sm text-muted-foreground">
        <Network className="size-4 shrink-0" aria-hidden />
        No ports are forwarded. Forward one to open a server of the workspace from here.
      </div>
    );
  }
  return (
    <ul aria-label="Forwarded ports" className="grid divide-y rounded-xl border bg-card">
      {forwards.map((forward) => {
        const url = forwardUrl(host, forward.hostPort);
        const removing = remove.isPending && remove.variables === forward.hostPort;
        return (
          <li key={forward.hostPort} data-host-port={forward.hostPort} className="grid gap-1 px-4 py-3">
            <div className="flex flex-wrap items-center gap-x-3 gap-y-2">
              <span className="font-mono text-sm" title={`host port ${forward.hostPort} → workspace port ${forward.workspacePort}`}>
                {forward.hostPort} → {forward.workspacePort}
              </span>
              {forward.active ? (
                <Badge variant="success">listening</Badge>
              ) : forward.error ? (
                <Badge variant="destructive">failed</Badge>
              ) : (
                <Badge variant="muted">inactive</Badge>
              )}
              <div className="ml-auto flex items-center gap-1">
                <Button variant="outline" size="sm" asChild>
                  <a href={url} target="_blank" rel="noreferrer" aria-label={`Open port ${forward.hostPort}`}>
                    <ExternalLink /> Open
                  </a>
                </Button>
                <Button
                  variant="ghost"
                  size="icon-sm"
                  aria-label={`Remove forward ${forward.hostPort}`}
                  title="Remove"
                  disabled={removing}
                  onClick={() => remove.mutate(forward.hostPort)}
                >
                  {removing ? <Spinner /> : <Trash2 />}
                </Button>
              </div>
            </div>
            <span className="truncate font-mono text-xs text-muted-foreground">{url}</span>
            {forward.error && <p className="text-xs text-destructive">{forward.error}</p>}
          </li>
        );
      })}
    </ul>
  );
}
