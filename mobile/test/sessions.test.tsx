// The sessions screens against a fake agent (fetch) and a fake /sessions socket.
import { act, fireEvent, screen, waitFor } from 'expo-router/testing-library';

import { ALPHA, fakeAgent, FakeSocket, installFakeSockets, lastSocket, memoryStorage, renderApp, rpcError, rpcOk, saved } from './helpers';

const SESSION = {
  sessionId: 's-1',
  title: 'Fix the footer links',
  agent: 'claude-code',
  messageCount: 2,
  lastActivity: '2026-11-26T08:00:04Z',
  projectPath: '/home/workspace/app',
  resumeCommand: 'claude --resume s-1',
};
const MESSAGES = {
  messages: [
    { id: 'u1', role: 'user', text: 'Fix the footer links', toolCalls: [], timestamp: '' },
    { id: 'a1', role: 'assistant', text: 'Looking at footer.html.', toolCalls: [{ name: 'Bash', summary: 'grep -n href footer.html' }], timestamp: '' },
  ],
  total: 2,
};

beforeEach(installFakeSockets);

describe('sessions', () => {
  it('lists the sessions, applies live events, and opens the conversation', async () => {
    const agent = fakeAgent({
      'workspaces/list': () => rpcOk([ALPHA]),
      'sessions/list': () => rpcOk({ sessions: [SESSION], total: 1 }),
      'sessions/messages': () => rpcOk(MESSAGES),
    });
    renderApp(memoryStorage({ 'perry.agents': saved() }), agent.fetchImpl as unknown as typeof fetch, '/workspaces/alpha/sessions');
    expect(await screen.findByText('Fix the footer links')).toBeTruthy();
    expect(screen.getByText(/2 messages/)).toBeTruthy();

    const socket = lastSocket('/sessions/alpha');
    expect(socket).toBeDefined();
    act(() => socket?.open());
    expect(await screen.findByText('Live')).toBeTruthy();
    act(() => socket?.text({ type: 'updated', session: { ...SESSION, messageCount: 5, lastActivity: '2026-11-26T08:09:00Z' } }));
    expect(await screen.findByText(/5 messages/)).toBeTruthy();
    act(() => socket?.text({ type: 'added', session: { ...SESSION, sessionId: 's-2', title: 'Write the release notes', agent: 'codex' } }));
    expect(await screen.findByText('Write the release notes')).toBeTruthy();
    expect(screen.getByText('Codex')).toBeTruthy();

    fireEvent.press(screen.getByLabelText('Session Fix the footer links'));
    expect(await screen.findByText('Looking at footer.html.')).toBeTruthy();
    // The conversation, over the list in the stack, shares the list's socket.
    expect(FakeSocket.all.filter((open) => open.path === '/sessions/alpha')).toEqual([socket]);
    expect(socket?.closed).toBe(false);
    expect(screen.getByText('Bash: grep -n href footer.html')).toBeTruthy();
    expect(screen.getByText("cd '/home/workspace/app' && claude --resume s-1")).toBeTruthy();
  });

  it('resumes a session in a terminal running its resume command', async () => {
    const agent = fakeAgent({
      'workspaces/list': () => rpcOk([ALPHA]),
      'sessions/list': () => rpcOk({ sessions: [SESSION], total: 1 }),
      'sessions/messages': () => rpcOk(MESSAGES),
    });
    const app = renderApp(memoryStorage({ 'perry.agents': saved() }), agent.fetchImpl as unknown as typeof fetch, '/workspaces/alpha/session?id=s-1');
    fireEvent.press(await screen.findByTestId('resume'));
    await waitFor(() => expect(app.getPathname()).toBe('/workspaces/alpha/terminal'));
    expect(JSON.parse(String(app.getSearchParams().cmd))).toEqual(['bash', '-lc', "cd '/home/workspace/app' && claude --resume s-1"]);
  });

  it('shows the sessions kept on the device when the agent cannot be reached', async () => {
    const at = Date.now() - 60_000;
    const cache = memoryStorage({ 'perry.sessions.http://devbox:7391.alpha': JSON.stringify({ value: [SESSION], at }) });
    const unreachable = jest.fn(async () => {
      throw new TypeError('Network request failed');
    });
    renderApp(memoryStorage({ 'perry.agents': saved() }), unreachable as unknown as typeof fetch, '/workspaces/alpha/sessions', cache);
    expect(await screen.findByText(/Offline: the sessions as of/)).toBeTruthy();
    expect(screen.getByText('Fix the footer links')).toBeTruthy();
  });

  it('says the workspace is stopped instead of calling the agent offline', async () => {
    const agent = fakeAgent({
      'workspaces/list': () => rpcOk([{ ...ALPHA, status: 'stopped' }]),
      'sessions/list': () => rpcError(409, 'CONFLICT', 'Workspace alpha is not running: start it to see its sessions'),
    });
    const cache = memoryStorage({ 'perry.sessions.http://devbox:7391.alpha': JSON.stringify({ value: [SESSION], at: Date.now() }) });
    renderApp(memoryStorage({ 'perry.agents': saved() }), agent.fetchImpl as unknown as typeof fetch, '/workspaces/alpha/sessions', cache);
    expect(await screen.findByText(/is not running: start it/)).toBeTruthy();
    expect(screen.queryByText(/Offline/)).toBeNull();
    expect(screen.queryByText('Fix the footer links')).toBeNull();
  });
});
