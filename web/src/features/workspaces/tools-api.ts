import type { ExecInput, LogLine, LogSource, PortForwardRequest, PortForwardStatus } from '@perry/client';
import { logsInput } from '@perry/client';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';

import { useScope } from '@/lib/api';

import { appendLogLines } from './tools';

export const toolKeys = {
  ports: (agent: string | null, workspace: string) => ['workspaces', 'ports', agent ?? '', workspace] as const,
};

/** How often the forwards' state is asked for while the Ports tab shows. */
const PORTS_POLL_MS = 2_000;
/** How often a followed log is asked for what came since. */
export const LOGS_POLL_MS = 1_500;

/** `ports.list`, polled while `enabled` (the tab shows). */
export function usePortForwards(workspaceName: string, enabled: boolean) {
  const { client: api, agent } = useScope();
  return useQuery({
    queryKey: toolKeys.ports(agent, workspaceName),
    queryFn: ({ signal }) => api.ports.list({ workspaceName }, { signal }),
    enabled,
    refetchInterval: enabled ? PORTS_POLL_MS : false,
  });
}

function useSetPorts(workspaceName: string) {
  const { agent } = useScope();
  const queryClient = useQueryClient();
  return (ports: PortForwardStatus[]) => queryClient.setQueryData(toolKeys.ports(agent, workspaceName), ports);
}

/** `ports.forward`: the form shows the agent's refusal itself. */
export function useForwardPort(workspaceName: string) {
  const { client: api } = useScope();
  const setPorts = useSetPorts(workspaceName);
  return useMutation({
    mutationFn: (forward: PortForwardRequest) => api.ports.forward({ workspaceName, forwards: [forward] }),
    meta: { handlesErrors: true },
    onSuccess: setPorts,
  });
}

/** `ports.remove` of one host port. */
export function useRemovePort(workspaceName: string) {
  const { client: api } = useScope();
  const setPorts = useSetPorts(workspaceName);
  return useMutation({
    mutationFn: (hostPort: number) => api.ports.remove({ workspaceName, hostPorts: [hostPort] }),
    meta: { errorTitle: 'Could not remove the forward' },
    onSuccess: setPorts,
  });
}

/** `workspaces.exec`; the panel shows the outcome, an error included. */
export function useExec() {
  const { client: api } = useScope();
  return useMutation({
    mutationFn: (input: ExecInput) => api.workspaces.exec(input),
    meta: { handlesErrors: true },
  });
}

/** `workspaces.sync`; the panel shows each item's outcome. */
export function useSync(name: string) {
  const { client: api } = useScope();
  return useMutation({
    mutationFn: () => api.workspaces.sync({ name }),
    meta: { handlesErrors: true },
  });
}

export interface WorkspaceLogs {
  lines: LogLine[];
  /** The first load has not answered yet. */
  loading: boolean;
  /** Why the last call failed, until one succeeds. */
  error: unknown;
}

/**
 * The container's log (or, with `source` `build`, its last image build's): the last `tail`
 * lines, then (while `follow`) what comes after them, asked for every {@link LOGS_POLL_MS} with
 * `since` the last reply's `until`. Nothing is asked while `enabled` is false (the tab is
 * hidden); what was read stays.
 */
export function useWorkspaceLogs(
  name: string,
  { enabled, follow, tail = 500, source = 'container' }: { enabled: boolean; follow: boolean; tail?: number; source?: LogSource },
): WorkspaceLogs {
  const { client: api } = useScope();
  const [state, setState] = useState<WorkspaceLogs>({ lines: [], loading: true, error: null });
  // Where the next call picks up: undefined until the first reply.
  const until = useRef<string | undefined>(undefined);
  const loaded = useRef(false);

  useEffect(() => {
    if (!enabled) return;
    // Once loaded, a paused log asks nothing more; the first load happens either way.
    if (loaded.current && !follow) return;
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const poll = async () => {
      try {
        const since = until.current;
        const reply = await api.workspaces.logs(logsInput(name, source, since === undefined ? { tail } : { since }), { signal: controller.signal });
        if (controller.signal.aborted) return;
        loaded.current = true;
        if (reply.until !== undefined) until.current = reply.until;
        setState((previous) => ({ lines: since === undefined ? reply.lines : appendLogLines(previous.lines, reply.lines), loading: false, error: null }));
      } catch (error) {
        if (controller.signal.aborted) return;
        setState((previous) => ({ ...previous, loading: false, error }));
      }
      if (follow && !controller.signal.aborted) timer = setTimeout(() => void poll(), LOGS_POLL_MS);
    };
    void poll();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [api, name, tail, enabled, follow, source]);

  return state;
}
