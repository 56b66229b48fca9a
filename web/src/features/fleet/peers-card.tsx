import { errorMessage, fieldErrors, type PeerInfo } from '@perry/client';
import { Network, Trash2 } from 'lucide-react';
import { useId, useState, type FormEvent } from 'react';
import { toast } from 'sonner';

import { Field } from '@/components/field';
import { ErrorState } from '@/components/states';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Input } from '@/components/ui/input';
import { Spinner } from '@/components/ui/spinner';
import { PeerScope } from '@/lib/api';

import { AgentHealthBadge } from './agent-section';
import { useAddPeer, usePeers, useRemovePeer } from './api';

/**
 * The person's other agents, which this agent relays to: listed with their health, added by
 * name and address (the sign-in URL their web UI shows carries the token), removed.
 */
export function PeersCard() {
  const peers = usePeers();
  return (
    <Card>
      <CardHeader>
        <CardTitle className="flex items-center gap-2">
          <Network className="size-4 text-muted-foreground" aria-hidden /> Other agents
        </CardTitle>
        <CardDescription>
          Your other machines running Perry. Their workspaces show on the Workspaces page; this agent relays to them, so this browser keeps one token.
        </CardDescription>
      </CardHeader>
      <CardContent className="grid gap-6">
        {peers.isError ? (
          <ErrorState title="Could not load the other agents" error={peers.error} onRetry={() => void peers.refetch()} />
        ) : (
          peers.data &&
          peers.data.length > 0 && (
            <ul aria-label="Other agents" className="grid gap-2">
              {peers.data.map((peer) => (
                <PeerScope key={peer.name} agent={peer.name}>
                  <PeerRow peer={peer} />
                </PeerScope>
              ))}
            </ul>
          )
        )}
        <AddPeerForm />
      </CardContent>
    </Card>
  );
}

function PeerRow({ peer }: { peer: PeerInfo }) {
  const remove = useRemovePeer();
  return (
    <li className="flex items-center gap-3 rounded-md border px-3 py-2 text-sm" data-peer={peer.name}>
      <span className="font-medium">{peer.name}</span>
      <span className="truncate font-mono text-xs text-muted-foreground">{peer.url}</span>
      <AgentHealthBadge />
      <Button
        variant="ghost"
        size="icon-sm"
        className="ml-auto"
        aria-label={`Remove ${peer.name}`}
        disabled={remove.isPending}
        onClick={() => remove.mutate(peer.name, { onSuccess: () => toast.success(`${peer.name} removed`) })}
      >
        <Trash2 />
      </Button>
    </li>
  );
}

function AddPeerForm() {
  const [name, setName] = useState('');
  const [address, setAddress] = useState('');
  const [token, setToken] = useState('');
  const add = useAddPeer();
  const ids = { name: useId(), address: useId(), token: useId() };
  const fields = add.isError ? fieldErrors(add.error) : {};
  const general = add.isError && Object.keys(fields).length === 0 ? errorMessage(add.error) : null;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    add.mutate(
      { name: name.trim(), address: address.trim(), ...(token.trim() ? { token: token.trim() } : {}) },
      {
        onSuccess: (peer) => {
          toast.success(`${peer.name} added`, { description: peer.url });
          setName('');
          setAddress('');
          setToken('');
        },
      },
    );
  };

  return (
    <form onSubmit={submit} aria-label="Add an agent" className="grid gap-3 sm:grid-cols-[10rem_1fr_1fr_auto] sm:items-start">
      <Field id={ids.name} label="Name" error={fields.name}>
        <Input id={ids.name} value={name} onChange={(event) => setName(event.target.value)} placeholder="closet" autoComplete="off" aria-invalid={Boolean(fields.name)} />
      </Field>
      <Field id={ids.address} label="Address or sign-in URL" error={fields.address}>
        <Input
          id={ids.address}
          value={address}
          onChange={(event) => setAddress(event.target.value)}
          placeholder="http://closet:7391/?token=…"
          autoComplete="off"
          aria-invalid={Boolean(fields.address)}
        />
      </Field>
      <Field id={ids.token} label="Token" error={fields.token}>
        <Input id={ids.token} type="password" placeholder="unless in the URL" value={token} onChange={(event) => setToken(event.target.value)} autoComplete="off" aria-invalid={Boolean(fields.token)} />
      </Field>
      <Button type="submit" className="sm:mt-[1.375rem]" disabled={add.isPending || !name.trim() || !address.trim()}>
        {add.isPending && <Spinner />}
        Add agent
      </Button>
      {general && (
        <p role="alert" className="text-sm text-destructive sm:col-span-4">
          {general}
        </p>
      )}
    </form>
  );
}
