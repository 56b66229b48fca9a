import { errorMessage, fieldErrors, type ChannelKind, type NotificationChannel, type SessionState } from '@perry/client';
import { BellRing, Send, Trash2 } from 'lucide-react';
import { useId, useState, type FormEvent } from 'react';
import { toast } from 'sonner';

import { Field } from '@/components/field';
import { ErrorState } from '@/components/states';
import { Badge } from '@/components/ui/badge';
import { Button } from '@/components/ui/button';
import { Card, CardContent, CardDescription, CardHeader, CardTitle } from '@/components/ui/card';
import { Input } from '@/components/ui/input';
import { Spinner } from '@/components/ui/spinner';
import { formatDateTime, formatRelativeTime } from '@/lib/format';

import { lastFailed, useAddChannel, useChannels, useRemoveChannel, useSubscribeThisBrowser, useTestChannel } from './api';

const KINDS: Record<ChannelKind, { label: string; url: string; secret: string }> = {
  webpush: { label: 'Browser (Web Push)', url: '', secret: '' },
  ntfy: { label: 'ntfy topic', url: 'https://ntfy.sh/your-secret-topic', secret: 'Access token (optional)' },
  webhook: { label: 'Webhook', url: 'https://example.com/perry-hook', secret: 'Signing secret (optional)' },
  gotify: { label: 'Gotify', url: 'https://gotify.example.com', secret: 'Application token' },
};

const STATES: { state: SessionState; label: string }[] = [
  { state: 'needs_input', label: 'Needs you' },
  { state: 'error', label: 'Error' },
  { state: 'idle', label: 'Done' },
];

/**
 * Where the agent tells the person that a coding agent needs them when no Perry page is open:
 * webhooks, ntfy topics, Gotify servers; each with its states, its last delivery, a test button.
 */
export function ChannelsCard() {
  const channels = useChannels();
  return (
    <Card>
      <CardHeader>
        <CardTitle className="flex items-center gap-2">
          <BellRing className="size-4 text-muted-foreground" aria-hidden /> Notifications
        </CardTitle>
        <CardDescription>
          Hear when a coding agent needs you or is done, with no Perry page open: an ntfy topic gives a push on your phone with no account anywhere; a
          webhook gets signed JSON.
        </CardDescription>
      </CardHeader>
      <CardContent className="grid gap-6">
        {channels.isError ? (
          <ErrorState title="Could not load the channels" error={channels.error} onRetry={() => void channels.refetch()} />
        ) : (
          channels.data &&
          channels.data.length > 0 && (
            <ul aria-label="Notification channels" className="grid gap-2">
              {channels.data.map((channel) => (
                <ChannelRow key={channel.name} channel={channel} />
              ))}
            </ul>
          )
        )}
        <SubscribeThisBrowser />
        <AddChannelForm />
      </CardContent>
    </Card>
  );
}

function ChannelRow({ channel }: { channel: NotificationChannel }) {
  const remove = useRemoveChannel();
  const test = useTestChannel();
  const failed = lastFailed(channel);
  const { delivery } = channel;
  const last = failed ? delivery.lastFailure : delivery.lastSuccess;
  return (
    <li className="grid gap-1 rounded-md border px-3 py-2 text-sm" data-channel={channel.name}>
      <div className="flex min-w-0 items-center gap-2">
        <span className="font-medium">{channel.name}</span>
        <Badge variant="muted">{KINDS[channel.kind].label}</Badge>
        <span className="min-w-0 truncate font-mono text-xs text-muted-foreground" title={channel.url}>
          {channel.url}
        </span>
        <div className="ml-auto flex shrink-0 items-center gap-1">
          <Button
            variant="ghost"
            size="sm"
            disabled={test.isPending}
            onClick={() =>
              test.mutate(channel.name, {
                onSuccess: (tested) =>
                  lastFailed(tested)
                    ? toast.error(`${tested.name} did not take the test`, { description: tested.delivery.lastError })
                    : toast.success(`${tested.name} took the test notification`),
              })
            }
          >
            {test.isPending ? <Spinner /> : <Send />} Test
          </Button>
          <Button
            variant="ghost"
            size="icon-sm"
            aria-label={`Remove ${channel.name}`}
            disabled={remove.isPending}
            onClick={() => remove.mutate(channel.name, { onSuccess: () => toast.success(`${channel.name} removed`) })}
          >
            <Trash2 />
          </Button>
        </div>
      </div>
      <p className="text-xs text-muted-foreground">
        On {channel.states.map((state) => STATES.find((s) => s.state === state)?.label ?? state).join(', ')}
        {channel.hasSecret && ' · with a secret'}
        {' · '}
        {delivery.deliveries === 0 ? (
          'nothing sent yet'
        ) : (
          <>
            {delivery.deliveries} sent, {delivery.failures} failed
            {last && (
              <>
                {' · last '}
                <span className={failed ? 'text-destructive' : 'text-success'} data-last={failed ? 'failed' : 'ok'}>
                  {failed ? `failed: ${delivery.lastError ?? ''}` : 'delivered'}
                </span>{' '}
                <time dateTime={last} title={formatDateTime(last)}>
                  {formatRelativeTime(last)}
                </time>
              </>
            )}
          </>
        )}
      </p>
    </li>
  );
}

/** A name for this browser's subscription: the browser and the platform, and a short tag. */
function browserName(): string {
  const agent = navigator.userAgent;
  const browser = /Edg\//.test(agent) ? 'edge' : /Firefox\//.test(agent) ? 'firefox' : /Chrome\//.test(agent) ? 'chrome' : /Safari\//.test(agent) ? 'safari' : 'browser';
  const platform = /Android/.test(agent) ? 'android' : /iPhone|iPad/.test(agent) ? 'ios' : /Mac/.test(agent) ? 'mac' : /Windows/.test(agent) ? 'windows' : 'linux';
  return `${browser}-${platform}-${Math.random().toString(36).slice(2, 6)}`;
}

/** Web Push for this browser: notifications even with every Perry tab closed. */
function SubscribeThisBrowser() {
  const subscribe = useSubscribeThisBrowser();
  return (
    <div className="flex flex-wrap items-center gap-3 rounded-md border border-dashed px-3 py-2 text-sm">
      <span className="text-muted-foreground">Notify this browser even with Perry closed (Web Push, on this device).</span>
      <Button
        variant="outline"
        size="sm"
        className="ml-auto"
        disabled={subscribe.isPending}
        onClick={() => subscribe.mutate(browserName(), { onSuccess: (channel) => toast.success(`This browser is subscribed as ${channel.name}`) })}
      >
        {subscribe.isPending ? <Spinner /> : <BellRing />} Notify this browser
      </Button>
    </div>
  );
}

function AddChannelForm() {
  const [name, setName] = useState('');
  const [kind, setKind] = useState<ChannelKind>('ntfy');
  const [url, setUrl] = useState('');
  const [secret, setSecret] = useState('');
  const [states, setStates] = useState<SessionState[]>(['needs_input', 'error']);
  const add = useAddChannel();
  const ids = { name: useId(), kind: useId(), url: useId(), secret: useId() };
  const fields = add.isError ? fieldErrors(add.error) : {};
  const general = add.isError && Object.keys(fields).length === 0 ? errorMessage(add.error) : null;

  const submit = (event: FormEvent) => {
    event.preventDefault();
    add.mutate(
      { name: name.trim(), kind, url: url.trim(), states, ...(secret ? { secret } : {}) },
      {
        onSuccess: (channel) => {
          toast.success(`${channel.name} added`, { description: 'Send it a test to see it arrive.' });
          setName('');
          setUrl('');
          setSecret('');
        },
      },
    );
  };

  return (
    <form onSubmit={submit} aria-label="Add a notification channel" className="grid gap-3">
      <div className="grid gap-3 sm:grid-cols-[10rem_9rem_1fr_14rem]">
        <Field id={ids.name} label="Name" error={fields.name}>
          <Input id={ids.name} value={name} onChange={(event) => setName(event.target.value)} placeholder="phone" autoComplete="off" aria-invalid={Boolean(fields.name)} />
        </Field>
        <Field id={ids.kind} label="Kind" error={fields.kind}>
          <select
            id={ids.kind}
            value={kind}
            onChange={(event) => setKind(event.target.value as ChannelKind)}
            className="h-9 rounded-md border bg-transparent px-2 text-sm shadow-xs focus-visible:ring-[3px] focus-visible:ring-ring/50 focus-visible:outline-none"
          >
            {(Object.keys(KINDS) as ChannelKind[])
              .filter((option) => option !== 'webpush')
              .map((option) => (
              <option key={option} value={option}>
                {KINDS[option].label}
              </option>
            ))}
          </select>
        </Field>
        <Field id={ids.url} label="URL" error={fields.url}>
          <Input id={ids.url} value={url} onChange={(event) => setUrl(event.target.value)} placeholder={KINDS[kind].url} autoComplete="off" aria-invalid={Boolean(fields.url)} />
        </Field>
        <Field id={ids.secret} label={KINDS[kind].secret} error={fields.secret}>
          <Input id={ids.secret} type="password" value={secret} onChange={(event) => setSecret(event.target.value)} autoComplete="off" aria-invalid={Boolean(fields.secret)} />
        </Field>
      </div>
      <fieldset className="flex flex-wrap items-center gap-4 text-sm">
        <legend className="sr-only">When</legend>
        <span className="text-muted-foreground">When a session</span>
        {STATES.map(({ state, label }) => (
          <label key={state} className="inline-flex items-center gap-1.5">
            <input
              type="checkbox"
              checked={states.includes(state)}
              onChange={(event) => setStates((current) => (event.target.checked ? [...current, state] : current.filter((s) => s !== state)))}
            />
            {label}
          </label>
        ))}
        <Button type="submit" className="ml-auto" disabled={add.isPending || !name.trim() || !url.trim() || states.length === 0}>
          {add.isPending && <Spinner />}
          Add channel
        </Button>
      </fieldset>
      {(general || fields.states) && (
        <p role="alert" className="text-sm text-destructive">
          {general ?? fields.states}
        </p>
      )}
    </form>
  );
}
