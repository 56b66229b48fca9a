import { needsThePerson, statusAlert, type WorkspaceSession } from '@perry/client';
import { useStatusFeed, type StatusChange } from '@perry/client/react';
import { useRouter } from 'expo-router';
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { AppState } from 'react-native';

import { useAgents } from '../agents/agents-context';
import { agentClient } from '../agents/check';
import type { SavedAgent } from '../agents/saved-agents';
import { ensurePermission, onNotificationTap, showLocal } from './notify';

/** Every session with a status, per agent URL. */
const AttentionContext = createContext<ReadonlyMap<string, WorkspaceSession[]>>(new Map());

/**
 * Follows `/events` of every saved agent (one socket each), so the lists can mark the workspaces
 * and sessions that need the person, and a change that concerns them while the app is in the
 * background becomes a local notification whose tap opens the session. Phones suspend a
 * backgrounded app's sockets after a while: for notifications with the app closed, the agent's
 * own channels (Web Push, ntfy) are the way.
 */
export function AttentionProvider({ children }: { children: ReactNode }) {
  const { saved, select } = useAgents();
  const router = useRouter();
  const [byAgent, setByAgent] = useState<ReadonlyMap<string, WorkspaceSession[]>>(new Map());
  const report = useCallback((url: string, sessions: WorkspaceSession[]) => {
    setByAgent((current) => (current.get(url) === sessions ? current : new Map(current).set(url, sessions)));
  }, []);

  const anyAgent = saved.agents.length > 0;
  useEffect(() => {
    if (anyAgent) void ensurePermission();
  }, [anyAgent]);
  useEffect(
    () =>
      onNotificationTap(async (target) => {
        await select(target.agentUrl);
        router.push({ pathname: '/workspaces/[name]/session', params: { name: target.workspace, id: target.sessionId, agent: target.codingAgent } });
      }),
    [router, select],
  );

  return (
    <AttentionContext.Provider value={byAgent}>
      {saved.agents.map((agent) => (
        <AgentFeed key={agent.url} agent={agent} report={report} />
      ))}
      {children}
    </AttentionContext.Provider>
  );
}

function AgentFeed({ agent, report }: { agent: SavedAgent; report: (url: string, sessions: WorkspaceSession[]) => void }) {
  const connection = useMemo(() => ({ client: agentClient(agent.url, agent.token), url: agent.url, token: agent.token }), [agent.url, agent.token]);
  const notify = useCallback(
    (change: StatusChange) => {
      const alert = statusAlert(change);
      if (!alert || AppState.currentState === 'active') return;
      void showLocal(alert, { agentUrl: agent.url, workspace: change.workspace, sessionId: change.session.sessionId, codingAgent: change.session.agent });
    },
    [agent.url],
  );
  const { sessions } = useStatusFeed(connection, notify);
  useEffect(() => report(agent.url, sessions), [agent.url, sessions, report]);
  return null;
}

/** How many sessions of a workspace on the agent at `agentUrl` need the person. */
export function useWaitingCount(agentUrl: string | undefined, workspace: string): number {
  const byAgent = useContext(AttentionContext);
  if (!agentUrl) return 0;
  return (byAgent.get(agentUrl) ?? []).filter((entry) => entry.workspace === workspace && needsThePerson(entry.session.status?.state)).length;
}

/** The names of the workspaces on the agent at `agentUrl` where a session needs the person. */
export function useWaitingWorkspaces(agentUrl: string | undefined): ReadonlySet<string> {
  const byAgent = useContext(AttentionContext);
  return useMemo(
    () =>
      new Set(
        (agentUrl ? (byAgent.get(agentUrl) ?? []) : [])
          .filter((entry) => needsThePerson(entry.session.status?.state))
          .map((entry) => entry.workspace),
      ),
    [byAgent, agentUrl],
  );
}

/** `workspaces` with those where a session needs the person first. */
export function waitingFirst<T extends { name: string }>(workspaces: readonly T[], waiting: ReadonlySet<string>): T[] {
  return [...workspaces.filter((w) => waiting.has(w.name)), ...workspaces.filter((w) => !waiting.has(w.name))];
}
