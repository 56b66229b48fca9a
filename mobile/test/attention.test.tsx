// Attention on the phone: `/events` of the agent marks the workspace where a coding agent waits
// (a bell and the count, first in the list), the sessions list shows each one's status with
// those waiting first, and with the app in the background a change becomes a local
// notification whose tap opens the session.
import { act, screen, waitFor } from 'expo-router/testing-library';
import { AppState } from 'react-native';

import { ALPHA, fakeAgent, installFakeSockets, lastSocket, memoryStorage, renderApp, rpcOk, saved } from './helpers';
import * as notifications from './notifications-stand-in';

const ZETA = { ...ALPHA, name: 'zeta', ports: { ssh: 2202 } };
const session = (id: string, title: string, status?: object) => ({
  sessionId: id,
  title,
  agent: 'claude-code',
  messageCount: 2,
  lastActivity: '2026-11-26T08:00:04Z',
  projectPath: '/home/workspace/app',
  resumeCommand: `claude --resume ${id}`,
  ...(status ? { status } : {}),
});
const ASKING = session('s-ask', 'Publish the package', { state: 'needs_input', since: '2026-11-26T08:01:00Z', detail: 'Bash: npm publish' });
const DONE = session('s-done', 'Tidy the README', { state: 'idle', since: '2026-11-26T08:00:30Z' });

beforeEach(() => {
  installFakeSockets();
  notifications.shown.length = 0;
});

function setAppState(state: 'active' | 'background') {
  Object.defineProperty(AppState, 'currentState', { value: state, configurable: true });
}

afterEach(() => setAppState('active'));

describe('attention', () => {
  it('marks the waiting workspace and session, and notifies in the background with a tap that opens the session', async () => {
    const agent = fakeAgent({
      'agent/info': () => rpcOk({ version: '0.1.0', hostname: 'devbox', uptime: 5, workspacesCount: 2 }),
      'workspaces/list': () => rpcOk([ALPHA, ZETA]),
      'workspaces/get': () => rpcOk(ZETA),
      'sessions/list': () => rpcOk({ sessions: [DONE, ASKING], total: 2 }),
      'sessions/messages': () => rpcOk({ messages: [], total: 0 }),
    });
    const app = renderApp(memoryStorage({ 'perry.agents': saved() }), agent.fetchImpl as unknown as typeof fetch, '/workspaces');
    expect(await screen.findByText('zeta')).toBeTruthy();
    const events = await waitFor(() => {
      const socket = lastSocket('/events');
      expect(socket).toBeDefined();
      return socket!;
    });
    expect(events.query).toEqual({ token: 'right-token' });
    act(() => events.open());
    act(() => events.text({ type: 'snapshot', sessions: [{ workspace: 'zeta', session: ASKING }] }));
    expect(await screen.findByLabelText('1 session needs you')).toBeTruthy();
    // zeta sorts after alpha by name, but waits for the person: it comes first.
    const rows = screen.getAllByLabelText(/^Workspace /).map((row) => row.props.accessibilityLabel);
    expect(rows).toEqual(['Workspace zeta', 'Workspace alpha']);
    expect(notifications.shown).toHaveLength(0);

    // In the background, a change the person waits for is a notification; working is not.
    setAppState('background');
    act(() => events.text({ type: 'changed', workspace: 'zeta', session: { ...DONE, status: { state: 'working', since: '2026-11-26T08:02:00Z' } }, previous: 'idle' }));
    act(() => events.text({ type: 'changed', workspace: 'zeta', session: { ...DONE, status: { state: 'error', since: '2026-11-26T08:03:00Z', detail: 'Overloaded' } }, previous: 'working' }));
    await waitFor(() => expect(notifications.shown).toHaveLength(1));
    expect(notifications.shown[0]?.content).toEqual({
      title: 'Tidy the README stopped on an error',
      body: 'Claude Code in zeta: Overloaded',
      data: { agentUrl: 'http://devbox:7391', workspace: 'zeta', sessionId: 's-done', codingAgent: 'claude-code' },
    });
    expect(await screen.findByLabelText('2 sessions need you')).toBeTruthy();

    // Tapping it opens the session on its agent.
    setAppState('active');
    await act(async () => notifications.tap(notifications.shown[0]!.content.data));
    await waitFor(() => expect(app.getPathname()).toBe('/workspaces/zeta/session'));
  });

  it('lists a workspace’s sessions with their status, those waiting first', async () => {
    const agent = fakeAgent({
      'workspaces/list': () => rpcOk([ZETA]),
      'sessions/list': () => rpcOk({ sessions: [DONE, ASKING], total: 2 }),
    });
    renderApp(memoryStorage({ 'perry.agents': saved() }), agent.fetchImpl as unknown as typeof fetch, '/workspaces/zeta/sessions');
    expect(await screen.findByText('Publish the package')).toBeTruthy();
    expect(screen.getByTestId('session-status-s-ask')).toHaveTextContent('🔔 Needs you: Bash: npm publish');
    expect(screen.getByTestId('session-status-s-done')).toHaveTextContent('Done');
    const order = screen.getAllByLabelText(/^Session /).map((row) => row.props.accessibilityLabel);
    expect(order).toEqual(['Session Publish the package', 'Session Tidy the README']);
  });
});
