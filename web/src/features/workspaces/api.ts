import type { CloneWorkspaceInput, CreateWorkspaceInput, Workspace } from '@perry/client';
import { useIsMutating, useMutation, useMutationState, useQuery, useQueryClient } from '@tanstack/react-query';
import { useNavigate } from 'react-router';
import { toast } from 'sonner';

import { useAgentHealth } from '@/features/fleet/api';
import { useScope, useWorkspacePath } from '@/lib/api';
import { errorCode, errorMessage, HEALTH_TIMEOUT_MS, isUnauthorized, withTimeout } from '@perry/client';

export const workspaceKeys = {
  /** The workspaces of one agent: this page's (null) or a peer's. */
  list: (agent: string | null) => ['workspaces', 'list', agent ?? ''] as const,
  /** Creates and clones alike: both add a workspace the list shows before the agent does. */
  create: (agent: string | null) => ['workspaces', 'create', agent ?? ''] as const,
  /** Rebuilds from a devcontainer.json: minutes long, the list shows them as `creating`. */
  rebuild: (agent: string | null) => ['workspaces', 'rebuild', agent ?? ''] as const,
};

/** Poll faster while something is on its way up, so "running" shows as soon as it is true. */
const POLL_MS = 2_500;
const POLL_BUSY_MS = 1_000;

/**
 * The live workspace list. Everything that shows a workspace reads this one query, so the list,
 * the sidebar and a workspace page never disagree.
 */
export function useWorkspaces<T = Workspace[]>(select?: (workspaces: Workspace[]) => T) {
  const { client: api, agent } = useScope();
  const health = useAgentHealth({ enabled: agent !== null });
  const peerDown = agent !== null && health.data?.state === 'unreachable';
  const creating = useIsMutating({ mutationKey: workspaceKeys.create(agent) }) + useIsMutating({ mutationKey: workspaceKeys.rebuild(agent) }) > 0;
  return useQuery({
    queryKey: workspaceKeys.list(agent),
    // A peer gets the health check's patience and no retries, so one that is down is told as such
    // within 5 s instead of after a round of retries.
    queryFn: ({ signal }) => api.workspaces.list(undefined, { signal: agent === null ? signal : withTimeout(signal, HEALTH_TIMEOUT_MS) }),
    ...(agent === null ? {} : { retry: false }),
    // A browser opens 6 connections to the page's host at most, and every peer call goes through
    // it: a peer that does not answer is not asked for its list (only for its health) until it
    // answers again, so dead peers can never queue this agent's own calls.
    enabled: !peerDown,
    refetchInterval: (query) =>
      creating || query.state.data?.some((workspace) => workspace.status === 'creating') ? POLL_BUSY_MS : POLL_MS,
    ...(select ? { select } : {}),
  });
}

export function useWorkspace(name: string) {
  return useWorkspaces((workspaces) => workspaces.find((workspace) => workspace.name === name) ?? null);
}

/** Names being created by this page right now, shown before the agent lists them. */
export function usePendingCreates(): string[] {
  const { agent } = useScope();
  return useMutationState({
    filters: { mutationKey: workspaceKeys.create(agent), status: 'pending' },
    select: (mutation) => (mutation.state.variables as CreateWorkspaceInput | undefined)?.name ?? '',
  }).filter((name) => name !== '');
}

function useReplaceInList() {
  const queryClient = useQueryClient();
  const { agent } = useScope();
  return (workspace: Workspace) => {
    queryClient.setQueryData<Workspace[]>(workspaceKeys.list(agent), (list) => {
      if (!list) return [workspace];
      const index = list.findIndex((item) => item.name === workspace.name);
      if (index === -1) return [...list, workspace];
      return list.map((item, i) => (i === index ? workspace : item));
    });
  };
}

/**
 * Creations whose outcome an open create dialog is showing. A create can take a minute and the
 * user may hide the dialog meanwhile; the outcome of those is announced with a toast instead.
 */
const createsShownInDialog = new Set<string>();

export function watchCreateInDialog(name: string): () => void {
  createsShownInDialog.add(name);
  return () => createsShownInDialog.delete(name);
}

/**
 * A call that makes a new workspace (create, clone), shared so that both show the new name at
 * once, poll faster while it is made, and say its outcome the same way: the dialog that started
 * it says it; a toast does when the dialog was closed meanwhile.
 */
function useNewWorkspace<Input extends { name: string }>(
  make: (api: ReturnType<typeof useScope>['client'], input: Input) => Promise<Workspace>,
  failure: (input: Input) => string,
) {
  const { client: api, agent } = useScope();
  const queryClient = useQueryClient();
  const replace = useReplaceInList();
  return useMutation({
    mutationKey: workspaceKeys.create(agent),
    mutationFn: (input: Input) => make(api, input),
    meta: { handlesErrors: true },
    onSuccess: (workspace) => {
      replace(workspace);
      if (!createsShownInDialog.has(workspace.name)) toast.success(`${workspace.name} is ready`);
    },
    onError: (error, input) => {
      if (isUnauthorized(error) || createsShownInDialog.has(input.name)) return;
      toast.error(failure(input), { description: errorMessage(error) });
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: workspaceKeys.list(agent) }),
  });
}

export function useCreateWorkspace() {
  return useNewWorkspace(
    (api, input: CreateWorkspaceInput) => api.workspaces.create(input),
    (input) => `Could not create ${input.name}`,
  );
}

/**
 * Clones `source` into a new workspace. The agent answers when the clone runs; meanwhile the
 * polled list shows it as `creating` with its progress.
 */
export function useCloneWorkspace() {
  return useNewWorkspace(
    (api, input: CloneWorkspaceInput) => api.workspaces.clone(input),
    (input) => `Could not clone ${input.source} into ${input.name}`,
  );
}

export function useStartWorkspace() {
  const { client: api, agent } = useScope();
  const queryClient = useQueryClient();
  const replace = useReplaceInList();
  return useMutation({
    mutationFn: (name: string) => api.workspaces.start({ name }),
    meta: { errorTitle: 'Could not start the workspace' },
    onSuccess: (workspace) => {
      replace(workspace);
      toast.success(`${workspace.name} is running`);
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: workspaceKeys.list(agent) }),
  });
}

export function useStopWorkspace() {
  const { client: api, agent } = useScope();
  const queryClient = useQueryClient();
  const replace = useReplaceInList();
  return useMutation({
    mutationFn: (name: string) => api.workspaces.stop({ name }),
    meta: { errorTitle: 'Could not stop the workspace' },
    onSuccess: (workspace) => {
      replace(workspace);
      toast.success(`${workspace.name} stopped`);
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: workspaceKeys.list(agent) }),
  });
}

export function useDeleteWorkspace() {
  const { client: api, agent } = useScope();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: async (name: string) => {
      await api.workspaces.delete({ name });
      return name;
    },
    meta: { handlesErrors: true },
    onSuccess: (name) => {
      queryClient.setQueryData<Workspace[]>(workspaceKeys.list(agent), (list) => list?.filter((item) => item.name !== name));
      toast.success(`${name} deleted`);
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: workspaceKeys.list(agent) }),
  });
}

/** Whether this page is rebuilding workspace `name` now (the agent lists it as `creating` soon after). */
export function useRebuilding(name: string): boolean {
  const { agent } = useScope();
  return (
    useMutationState({
      filters: { mutationKey: workspaceKeys.rebuild(agent), status: 'pending', predicate: (mutation) => mutation.state.variables === name },
    }).length > 0
  );
}

/**
 * `workspaces.rebuild`: the workspace made again from its repository's current devcontainer.json.
 * It takes minutes; meanwhile the polled list shows it `creating` with the build's step. A build
 * that fails says why in a toast, with the way to the whole build's output.
 */
export function useRebuildWorkspace() {
  const { client: api, agent } = useScope();
  const queryClient = useQueryClient();
  const replace = useReplaceInList();
  const navigate = useNavigate();
  const toWorkspace = useWorkspacePath();
  return useMutation({
    mutationKey: workspaceKeys.rebuild(agent),
    mutationFn: (name: string) => api.workspaces.rebuild({ name }),
    meta: { handlesErrors: true },
    // Shown as `creating` at once, before the agent's list says so.
    onMutate: (name) => {
      queryClient.setQueryData<Workspace[]>(workspaceKeys.list(agent), (list) =>
        list?.map((item) => (item.name === name ? { ...item, status: 'creating', progress: { step: 'rebuilding' } } : item)),
      );
    },
    onSuccess: (workspace) => {
      replace(workspace);
      toast.success(`${workspace.name} was rebuilt`);
    },
    onError: (error, name) => {
      if (isUnauthorized(error)) return;
      const buildFailed = errorCode(error) === 'UNPROCESSABLE_CONTENT';
      toast.error(`Could not rebuild ${name}`, {
        description: errorMessage(error),
        ...(buildFailed ? { action: { label: 'Build log', onClick: () => navigate(`${toWorkspace(name, 'logs')}?log=build`) } } : {}),
      });
    },
    onSettled: () => queryClient.invalidateQueries({ queryKey: workspaceKeys.list(agent) }),
  });
}
