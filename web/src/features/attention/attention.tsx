import { needsThePerson, statusAlert, type WorkspaceSession } from '@perry/client';
import { useStatusFeed, type StatusChange } from '@perry/client/react';
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { useNavigate } from 'react-router';

import { useFleetAgents } from '@/features/fleet/api';
import { PeerScope, useScope, workspacePath } from '@/lib/api';

import { onNotificationClick, registerServiceWorker, showAlert } from './notifications';

/** A session with a status, and the agent it is on (null: the page's own). */
export interface AgentSession extends WorkspaceSession {
  agent: string | null;
}

interface Attention {
  /** Every session with a status on every agent the page shows. */
  sessions: AgentSession[];
}

const AttentionContext = createContext<Attention>({ sessions: [] });

/** The page title without a count. */
const TITLE = 'Perry';

/** Where a session's page is. */
export function sessionPath(agent: string | null, workspace: string, sessionId: string): string {
  return workspacePath(agent, workspace, `sessions/${encodeURIComponent(sessionId)}`);
}

/**
 * Follows `/events` of every agent the page shows (its own, and each peer through its relay),
 * so every part of the page knows which sessions need the person: the badges, the order of the
 * lists, the tab title's count, and a notification when the tab is in the background.
 */
export function AttentionProvider({ children }: { children: ReactNode }) {
  const agents = useFleetAgents();
  const [byAgent, setByAgent] = useState<ReadonlyMap<string | null, WorkspaceSession[]>>(new Map());
  const navigate = useNavigate();

  const report = useCallback((agent: string | null, sessions: WorkspaceSession[]) => {
    setByAgent((current) => (current.get(agent) === sessions ? current : new Map(current).set(agent, sessions)));
  }, []);

  const sessions = useMemo(
    () => agents.flatMap((agent) => (byAgent.get(agent) ?? []).map((entry) => ({ ...entry, agent }))),
    [agents, byAgent],
  );
  const waiting = sessions.filter((entry) => needsThePerson(entry.session.status?.state)).length;

  useEffect(() => {
    document.title = waiting > 0 ? `(${waiting}) ${TITLE}` : TITLE;
  }, [waiting]);
  useEffect(() => () => void (document.title = TITLE), []);

  useEffect(() => {
    void registerServiceWorker();
    return onNotificationClick((path) => void navigate(path));
  }, [navigate]);

  const value = useMemo(() => ({ sessions }), [sessions]);
  return (
    <AttentionContext.Provider value={value}>
      {agents.map((agent) => (
        <PeerScope key={agent ?? ''} agent={agent}>
          <AgentFeed report={report} />
        </PeerScope>
      ))}
      {children}
    </AttentionContext.Provider>
  );
}

/** One agent's `/events`, reported up; its changes become notifications. */
function AgentFeed({ report }: { report: (agent: string | null, sessions: WorkspaceSession[]) => void }) {
  const { agent, client, origin, token, onTokenRevoked } = useScope();
  const navigate = useNavigate();
  const connection = useMemo(() => ({ client, url: origin, token, onTokenRevoked }), [client, origin, token, onTokenRevoked]);
  const notify = useCallback(
    (change: StatusChange) => {
      const alert = statusAlert(change);
      if (alert) void showAlert(alert, sessionPath(agent, change.workspace, change.session.sessionId), (path) => void navigate(path));
    },
    [agent, navigate],
  );
  const { sessions } = useStatusFeed(connection, notify);
  useEffect(() => report(agent, sessions), [agent, sessions, report]);
  return null;
}

/** Every session with a status, on every agent. */
export function useAttention(): AgentSession[] {
  return useContext(AttentionContext).sessions;
}

/** The sessions of a workspace of the agent in scope that need the person. */
export function useWaitingSessions(workspace: string): AgentSession[] {
  const { agent } = useScope();
  const sessions = useAttention();
  return useMemo(
    () => sessions.filter((entry) => entry.agent === agent && entry.workspace === workspace && needsThePerson(entry.session.status?.state)),
    [sessions, agent, workspace],
  );
}

/** The names of the workspaces of the agent in scope where a session needs the person. */
export function useWaitingWorkspaces(): ReadonlySet<string> {
  const { agent } = useScope();
  const sessions = useAttention();
  return useMemo(
    () => new Set(sessions.filter((entry) => entry.agent === agent && needsThePerson(entry.session.status?.state)).map((entry) => entry.workspace)),
    [sessions, agent],
  );
}
