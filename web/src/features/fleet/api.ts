import { checkHealth, HEALTH_INTERVAL_MS, type PeerInfo, type PeersAddInput } from '@perry/client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';

import { useScope } from '@/lib/api';

export const fleetKeys = {
  peers: ['peers'] as const,
  health: (agent: string | null) => ['agent', 'health', agent ?? ''] as const,
};

/** The peers of the agent that served this page (it relays to them), in any scope. */
export function usePeers() {
  const { home: client } = useScope();
  return useQuery({
    queryKey: fleetKeys.peers,
    queryFn: ({ signal }) => client.peers.list(undefined, { signal }),
    refetchInterval: 15_000,
  });
}

/**
 * Every agent this page shows: its own (null) first, then its peers by name. Until the peers are
 * known, and when there are none, that is its own alone.
 */
export function useFleetAgents(): (string | null)[] {
  const peers = usePeers();
  return [null, ...(peers.data ?? []).map((peer) => peer.name).sort()];
}

/**
 * The health of the agent in scope, asked every 1.5 s with 2.5 s of patience: an agent that went
 * down is marked within 5 s, and one that comes back shows again at the next answer.
 */
export function useAgentHealth({ enabled = true }: { enabled?: boolean } = {}) {
  const { client, agent } = useScope();
  return useQuery({
    queryKey: fleetKeys.health(agent),
    queryFn: ({ signal }) => checkHealth(client, { signal }),
    enabled,
    refetchInterval: HEALTH_INTERVAL_MS,
    refetchIntervalInBackground: true,
    retry: false,
  });
}

export function useAddPeer() {
  const { home: client } = useScope();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (input: PeersAddInput) => client.peers.add(input),
    meta: { handlesErrors: true },
    onSuccess: (peer: PeerInfo) => {
      queryClient.setQueryData<PeerInfo[]>(fleetKeys.peers, (peers) => [...(peers ?? []).filter((p) => p.name !== peer.name), peer]);
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: fleetKeys.peers }),
  });
}

export function useRemovePeer() {
  const { home: client } = useScope();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => client.peers.remove({ name }),
    meta: { errorTitle: 'Could not remove the agent' },
    onSuccess: (peers) => queryClient.setQueryData(fleetKeys.peers, peers),
  });
}

/**
 * The host a person reaches the agent in scope at, for SSH commands: this page's host, or the
 * host of the peer's address (a relayed peer's workspaces listen on the peer's machine).
 */
export function useAgentHost(): string {
  const { agent } = useScope();
  const peers = usePeers();
  if (agent === null) return window.location.hostname;
  const url = peers.data?.find((peer) => peer.name === agent)?.url;
  return url ? new URL(url).hostname : agent;
}
