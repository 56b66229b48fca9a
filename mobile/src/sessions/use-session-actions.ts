import { applySessionEvent, type SessionInfo } from '@perry/client';
import { sessionKeys } from '@perry/client/react';
import { useMutation, useQueryClient } from '@tanstack/react-query';

import { useAgents } from '../agents/agents-context';
import { recentKeys } from './use-recent';

/**
 * Names a session of the workspace (`name`), or takes its name away (undefined: its title shows
 * again). The cached list has the answer at once; the `/sessions` socket's `updated` event says
 * the same to every other screen and device.
 */
export function useRenameSession(workspaceName: string) {
  const { active, client } = useAgents();
  const queryClient = useQueryClient();
  const url = active?.url ?? null;
  return useMutation({
    mutationFn: async ({ sessionId, name }: { sessionId: string; name: string | undefined }): Promise<SessionInfo> => {
      if (!client) throw new Error('No agent is connected.');
      return client.sessions.rename(name === undefined ? { workspaceName, sessionId } : { workspaceName, sessionId, name });
    },
    onSuccess: (session) => {
      queryClient.setQueryData<SessionInfo[]>(sessionKeys.list(url, workspaceName), (list) =>
        list ? applySessionEvent(list, { type: 'updated', session }) : list,
      );
      void queryClient.invalidateQueries({ queryKey: recentKeys.all });
    },
  });
}

/** Deletes a session's transcript from the workspace, and what the agent kept about it. */
export function useDeleteSession(workspaceName: string) {
  const { active, client } = useAgents();
  const queryClient = useQueryClient();
  const url = active?.url ?? null;
  return useMutation({
    mutationFn: async (session: Pick<SessionInfo, 'sessionId' | 'agent'>) => {
      if (!client) throw new Error('No agent is connected.');
      await client.sessions.delete({ workspaceName, sessionId: session.sessionId });
      return session;
    },
    onSuccess: (session) => {
      queryClient.setQueryData<SessionInfo[]>(sessionKeys.list(url, workspaceName), (list) =>
        list ? applySessionEvent(list, { type: 'removed', sessionId: session.sessionId, agent: session.agent }) : list,
      );
      void queryClient.invalidateQueries({ queryKey: recentKeys.all });
    },
  });
}
