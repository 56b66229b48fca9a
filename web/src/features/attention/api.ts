import type { ChannelAddInput, NotificationChannel } from '@perry/client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

import { useScope } from '@/lib/api';

import { subscribeToPush } from './notifications';

const channelKeys = { all: ['notifications', 'channels'] as const };

/** The notification channels of the agent that served this page. */
export function useChannels() {
  const { home: client } = useScope();
  return useQuery({
    queryKey: channelKeys.all,
    queryFn: ({ signal }) => client.notifications.list(undefined, { signal }),
    // Deliveries happen with nobody asking: their records come in with the next look.
    refetchInterval: 15_000,
  });
}

export function useAddChannel() {
  const { home: client } = useScope();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: ChannelAddInput) => client.notifications.add(input),
    meta: { handlesErrors: true },
    onSuccess: (channel: NotificationChannel) =>
      queryClient.setQueryData<NotificationChannel[]>(channelKeys.all, (channels) =>
        [...(channels ?? []).filter((c) => c.name !== channel.name), channel].sort((a, b) => a.name.localeCompare(b.name)),
      ),
    onSettled: () => queryClient.invalidateQueries({ queryKey: channelKeys.all }),
  });
}

export function useRemoveChannel() {
  const { home: client } = useScope();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => client.notifications.remove({ name }),
    meta: { errorTitle: 'Could not remove the channel' },
    onSuccess: (channels) => queryClient.setQueryData(channelKeys.all, channels),
  });
}

export function useTestChannel() {
  const { home: client } = useScope();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => client.notifications.test({ name }),
    meta: { errorTitle: 'Could not test the channel' },
    onSuccess: (channel) =>
      queryClient.setQueryData<NotificationChannel[]>(channelKeys.all, (channels) => (channels ?? []).map((c) => (c.name === channel.name ? channel : c))),
  });
}

/**
 * Subscribes this browser to the agent's Web Push (its VAPID key first) and adds the
 * subscription as a channel named after the browser: notifications with no Perry tab open.
 */
export function useSubscribeThisBrowser() {
  const { home: client } = useScope();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (name: string) => {
      const { publicKey } = await client.notifications.pushKey();
      const subscription = await subscribeToPush(publicKey);
      return client.notifications.add({ name, kind: 'webpush', url: subscription.endpoint, keys: subscription.keys, states: ['needs_input', 'error', 'idle'] });
    },
    meta: { errorTitle: 'Could not notify this browser' },
    onSettled: () => queryClient.invalidateQueries({ queryKey: channelKeys.all }),
  });
}

/** Whether the channel's last delivery failed. */
export function lastFailed(channel: NotificationChannel): boolean {
  const { lastFailure, lastSuccess } = channel.delivery;
  return lastFailure !== undefined && (lastSuccess === undefined || lastSuccess < lastFailure);
}
