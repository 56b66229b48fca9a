// Recent sessions across workspaces (and agents), renaming and deleting a session, and a
// workspace row's last use and create progress, against fake agents that record what each call
// sent (the real agent: web/e2e/mobile-sessions-manage.e2e.ts).
import { act, fireEvent, screen, waitFor } from 'expo-router/testing-library';

import { sessionSubtitle, sessionTitle } from '@perry/client';
import { mergeRecent } from '../src/sessions/use-recent';
import { relativeTime } from '../src/ui/relative-time';
import { ALPHA, FakeSocket, INFO, installFakeSockets, lastSocket, memoryStorage, renderApp, rpcError, rpcOk, saved, TOKEN } from './helpers';

type Route = (input: Record<string, unknown>, host: string) => Response;

/** Fake agents by host: `routes` answer by procedure path; every call is kept with its host and input. */
function recordingAgents(routes: Record<string, Route>) {
  const calls: { host: string; path: string; input: Record<string, unknown> }[] = [];
  const fetchImpl = jest.fn(async (request: Request) => {
    const url = new URL(request.url);
    const path = url.pathname.replace(/^\/rpc\//, '');
    const body = await request.text();
    const input = (body ? (JSON.parse(body) as { json?: Record<string, unknown> }).json : undefined) ?? {};
    calls.push({ host: url.hostname, path, input });
    if (request.headers.get('authorization') !== `Bearer ${TOKEN}`) return rpcError(401, 'UNAUTHORIZED', 'Missing or invalid token');
    const route = routes[path];
    return route ? route(input, url.hostname) : rpcError(404, 'NOT_FOUND', `no procedure ${path}`);
  });
  const inputsOf = (path: string) => calls.filter((call) => call.path === path).map((call) => call.input);
  return { fetchImpl: fetchImpl as unknown as typeof fetch, calls, inputsOf };
}

const MINUTE = 60_000;
const ago = (ms: number) => new Date(Date.now() - ms).toISOString();

const LOGIN = {
  sessionId: 's-login',
  title: 'Fix the login bug',
  agent: 'claude-code',
  messageCount: 2,
  lastActivity: ago(3 * 60 * MINUTE),
  projectPath: '/home/workspace/app',
  resumeCommand: 'claude --resume s-login',
};
const NOTES = {
  ...LOGIN,
  sessionId: 's-notes',
  title: 'Write the release notes',
  agent: 'codex',
  lastActivity: ago(10 * MINUTE),
  name: 'Release 1.2',
  status: { state: 'needs_input', since: ago(MINUTE) },
};
const MESSAGES = { messages: [{ id: 'u1', role: 'user', text: 'Fix the login bug', toolCalls: [], timestamp: '' }], total: 1 };

beforeEach(installFakeSockets);

/**
 * Whether the rename dialog shows. Asked as a boolean, and the dialog's elements are read by
 * their props, not matchers: a failed matcher on an element in a Modal prints it, which walks
 * into the app's context, where the client is a proxy that turns every property read into a call.
 */
const dialogOpen = () => screen.queryByTestId('rename-dialog') !== null;

describe('the words', () => {
  it('says how long ago in a few words, and the date after a week', () => {
    const now = Date.parse('2026-12-06T12:00:00Z');
    expect(relativeTime('2026-12-06T11:59:30Z', now)).toBe('just now');
    expect(relativeTime('2026-12-06T12:00:20Z', now)).toBe('just now');
    expect(relativeTime('2026-12-06T11:55:00Z', now)).toBe('5 min ago');
    expect(relativeTime('2026-12-06T09:00:00Z', now)).toBe('3 h ago');
    expect(relativeTime('2026-12-05T10:00:00Z', now)).toBe('yesterday');
    expect(relativeTime('2026-12-02T12:00:00Z', now)).toBe('4 days ago');
    expect(relativeTime(Date.parse('2026-11-20T12:00:00Z'), now)).toBe('20 Nov');
    expect(relativeTime('2025-11-20T12:00:00Z', now)).toBe('20 Nov 2025');
    expect(relativeTime('not a time', now)).toBe('');
    expect(relativeTime(undefined, now)).toBe('');
  });

  it('shows a session’s name in place of its title, and the title under it', () => {
    expect(sessionTitle({ title: 'Fix it', name: 'Login' })).toBe('Login');
    expect(sessionSubtitle({ title: 'Fix it', name: 'Login' })).toBe('Fix it');
    expect(sessionTitle({ title: 'Fix it' })).toBe('Fix it');
    expect(sessionSubtitle({ title: 'Fix it' })).toBeNull();
    expect(sessionTitle({ title: '' })).toBe('Untitled session');
  });

  it('merges agents’ recent sessions by the later of activity and opening', () => {
    const home = { url: 'http://home:7391', token: TOKEN, hostname: 'home' };
    const closet = { url: 'http://closet:7391', token: TOKEN, hostname: 'closet' };
    const merged = mergeRecent([
      { agent: home, recent: [{ workspace: 'alpha', session: { ...LOGIN, lastActivity: '2026-12-05T10:00:00Z' } as never, openedAt: '2026-12-06T03:00:00Z' }] },
      { agent: closet, recent: [{ workspace: 'far', session: { ...NOTES, lastActivity: '2026-12-06T02:00:00Z' } as never }] },
    ]);
    expect(merged.map((item) => [item.agent.url, item.workspace, item.openedLast])).toEqual([
      ['http://home:7391', 'alpha', true],
      ['http://closet:7391', 'far', false],
    ]);
    expect(merged[0]!.at).toBe(Date.parse('2026-12-06T03:00:00Z'));
  });
});

describe('recent sessions', () => {
  it('lists them on the home screen with workspace, shown title, tool, status and time, and opens one', async () => {
    const agent = recordingAgents({
      'workspaces/list': () => rpcOk([ALPHA]),
      'sessions/recent': () =>
        rpcOk([
          { workspace: 'alpha', session: NOTES },
          { workspace: 'alpha', session: LOGIN, openedAt: ago(20 * MINUTE) },
        ]),
      'sessions/list': () => rpcOk({ sessions: [LOGIN, NOTES], total: 2 }),
      'sessions/messages': () => rpcOk(MESSAGES),
    });
    const app = renderApp(memoryStorage({ 'perry.agents': saved() }), agent.fetchImpl, '/workspaces');
    const notes = await screen.findByLabelText('Recent session Release 1.2 in alpha');
    expect(notes).toHaveTextContent(/Release 1\.2/);
    expect(notes).toHaveTextContent(/🔔 Needs you/);
    expect(notes).toHaveTextContent(/alpha · Codex · active 10 min ago/);
    const login = screen.getByLabelText('Recent session Fix the login bug in alpha');
    expect(login).toHaveTextContent(/alpha · Claude Code · opened 20 min ago/);
    // Newest first: the names in the order shown.
    expect(screen.getAllByTestId('recent-session').map((row) => row.props.accessibilityLabel)).toEqual([
      'Recent session Release 1.2 in alpha',
      'Recent session Fix the login bug in alpha',
    ]);
    expect(agent.inputsOf('sessions/recent')[0]).toEqual({ limit: 5 });

    fireEvent.press(login);
    await waitFor(() => expect(app.getPathname()).toBe('/workspaces/alpha/session'));
    expect(app.getSearchParams().id).toBe('s-login');
    expect(await screen.findByTestId('session-title')).toHaveTextContent('Fix the login bug');
  });

  it('shows nothing of itself when there are no sessions, or the agent has no sessions.recent', async () => {
    const agent = recordingAgents({ 'workspaces/list': () => rpcOk([ALPHA]) });
    renderApp(memoryStorage({ 'perry.agents': saved() }), agent.fetchImpl, '/workspaces');
    expect(await screen.findByText('alpha')).toBeTruthy();
    await waitFor(() => expect(agent.inputsOf('sessions/recent').length).toBeGreaterThan(0));
    expect(screen.queryByTestId('recent-sessions')).toBeNull();
    expect(screen.queryByText(/no procedure/)).toBeNull();
  });

  it('with several agents, merges theirs, names each row’s agent, and opens a session on its own agent', async () => {
    const agent = recordingAgents({
      'agent/info': (_input, host) => rpcOk({ ...INFO, hostname: host }),
      'workspaces/list': (_input, host) => rpcOk([{ ...ALPHA, name: host === 'home' ? 'alpha' : 'far' }]),
      'sessions/recent': (_input, host) =>
        rpcOk(host === 'home' ? [{ workspace: 'alpha', session: LOGIN }] : [{ workspace: 'far', session: NOTES }]),
      'sessions/list': () => rpcOk({ sessions: [NOTES], total: 1 }),
      'sessions/messages': () => rpcOk(MESSAGES),
    });
    const two = JSON.stringify({
      agents: [
        { url: 'http://home:7391', token: TOKEN, hostname: 'home' },
        { url: 'http://closet:7391', token: TOKEN, hostname: 'closet' },
      ],
      active: 'http://home:7391',
    });
    const storage = memoryStorage({ 'perry.agents': two });
    const app = renderApp(storage, agent.fetchImpl, '/workspaces');
    const far = await screen.findByLabelText('Recent session Release 1.2 in far');
    expect(far).toHaveTextContent(/far on closet · Codex/);
    expect(await screen.findByLabelText('Recent session Fix the login bug in alpha')).toHaveTextContent(/alpha on home · Claude Code/);
    expect(screen.getAllByTestId('recent-session')).toHaveLength(2);

    await act(async () => {
      fireEvent.press(far);
    });
    await waitFor(() => expect(app.getPathname()).toBe('/workspaces/far/session'));
    await waitFor(() => expect(agent.calls.some((call) => call.path === 'sessions/messages' && call.host === 'closet')).toBe(true));
    expect(JSON.parse(storage.values['perry.agents']!).active).toBe('http://closet:7391');
  });
});

describe('renaming and deleting a session', () => {
  function sessionAgent() {
    let current: Record<string, unknown> = { ...LOGIN };
    const agent = recordingAgents({
      'workspaces/list': () => rpcOk([ALPHA]),
      'sessions/list': () => rpcOk({ sessions: [current], total: 1 }),
      'sessions/messages': () => rpcOk(MESSAGES),
      'sessions/recent': () => rpcOk([]),
      'sessions/delete': () => rpcOk({ success: true }),
      'sessions/rename': (input) => {
        const name = input.name as string | undefined;
        if (name !== undefined && name.trim().length > 200) {
          const message = `A session name has at most 200 characters; this one has ${name.trim().length}`;
          return new Response(
            JSON.stringify({ json: { defined: false, code: 'BAD_REQUEST', status: 400, message, data: { issues: [{ path: ['name'], message }] } } }),
            { status: 400, headers: { 'content-type': 'application/json' } },
          );
        }
        current = { ...LOGIN, ...(name === undefined ? {} : { name: name.trim() }) };
        return rpcOk(current);
      },
    });
    return agent;
  }

  it('names a session from its screen, refuses a bad name in the agent’s words, and clears the name', async () => {
    const agent = sessionAgent();
    renderApp(memoryStorage({ 'perry.agents': saved() }), agent.fetchImpl, '/workspaces/alpha/session?id=s-login');
    expect(await screen.findByTestId('session-title')).toHaveTextContent('Fix the login bug');
    expect(screen.queryByTestId('session-original-title')).toBeNull();

    fireEvent.press(screen.getByTestId('rename'));
    const field = await screen.findByTestId('session-name');
    // Nothing typed: nothing to save (clearing a name is its own button).
    expect(screen.getByTestId('save-name').props.accessibilityState).toMatchObject({ disabled: true });
    expect(screen.queryByTestId('clear-name')).toBeNull();
    fireEvent.changeText(field, 'x'.repeat(1000));
    fireEvent.press(screen.getByTestId('save-name'));
    expect(await screen.findByText('A session name has at most 200 characters; this one has 1000')).toBeTruthy();
    expect(screen.getByTestId('session-title')).toHaveTextContent('Fix the login bug');

    fireEvent.changeText(screen.getByTestId('session-name'), 'Login');
    // What the agent said goes once the name changes.
    expect(screen.queryByText(/at most 200 characters/)).toBeNull();
    fireEvent.press(screen.getByTestId('save-name'));
    await waitFor(() => expect(dialogOpen()).toBe(false));
    expect(agent.inputsOf('sessions/rename').at(-1)).toEqual({ workspaceName: 'alpha', sessionId: 's-login', name: 'Login' });
    expect(screen.getByTestId('session-title')).toHaveTextContent('Login');
    expect(screen.getByTestId('session-original-title')).toHaveTextContent('Fix the login bug');

    fireEvent.press(screen.getByTestId('rename'));
    expect((await screen.findByTestId('session-name')).props.value).toBe('Login');
    fireEvent.press(screen.getByTestId('clear-name'));
    await waitFor(() => expect(dialogOpen()).toBe(false));
    expect(agent.inputsOf('sessions/rename').at(-1)).toEqual({ workspaceName: 'alpha', sessionId: 's-login' });
    expect(screen.getByTestId('session-title')).toHaveTextContent('Fix the login bug');
    expect(screen.queryByTestId('session-original-title')).toBeNull();
  });

  it('shows the name the socket brings in the sessions list, with the title under it', async () => {
    const agent = sessionAgent();
    renderApp(memoryStorage({ 'perry.agents': saved() }), agent.fetchImpl, '/workspaces/alpha/sessions');
    expect(await screen.findByLabelText('Session Fix the login bug')).toBeTruthy();
    const socket = lastSocket('/sessions/alpha');
    act(() => socket?.open());
    act(() => socket?.text({ type: 'updated', session: { ...LOGIN, name: 'Login' } }));
    const row = await screen.findByLabelText('Session Login');
    expect(row).toHaveTextContent(/^Login/);
    expect(row).toHaveTextContent(/Fix the login bug/);
    expect(FakeSocket.all.length).toBeGreaterThan(0);
  });

  it('renames a session held down in the sessions list', async () => {
    const agent = sessionAgent();
    renderApp(memoryStorage({ 'perry.agents': saved() }), agent.fetchImpl, '/workspaces/alpha/sessions');
    fireEvent(await screen.findByLabelText('Session Fix the login bug'), 'longPress');
    fireEvent.changeText(await screen.findByTestId('session-name'), 'Login');
    fireEvent.press(screen.getByTestId('save-name'));
    await waitFor(() => expect(dialogOpen()).toBe(false));
    expect(agent.inputsOf('sessions/rename')).toEqual([{ workspaceName: 'alpha', sessionId: 's-login', name: 'Login' }]);
    // The answer shows at once, before the socket says so.
    expect(await screen.findByLabelText('Session Login')).toHaveTextContent(/Fix the login bug/);
    // Held down, not tapped: the conversation did not open.
    expect(agent.inputsOf('sessions/messages')).toEqual([]);
  });

  it('deletes a session only after the question is answered', async () => {
    const agent = sessionAgent();
    const app = renderApp(memoryStorage({ 'perry.agents': saved() }), agent.fetchImpl, '/workspaces/alpha/session?id=s-login');
    fireEvent.press(await screen.findByTestId('delete-session'));
    expect(await screen.findByText('Delete “Fix the login bug”?')).toBeTruthy();
    fireEvent.press(screen.getByText('Cancel'));
    await waitFor(() => expect(screen.queryByText('Delete “Fix the login bug”?') === null).toBe(true));
    expect(agent.inputsOf('sessions/delete')).toEqual([]);

    fireEvent.press(screen.getByTestId('delete-session'));
    await screen.findByText('Delete “Fix the login bug”?');
    fireEvent.press(screen.getAllByText('Delete').at(-1)!);
    await waitFor(() => expect(agent.inputsOf('sessions/delete')).toEqual([{ workspaceName: 'alpha', sessionId: 's-login' }]));
    await waitFor(() => expect(app.getPathname()).toBe('/workspaces/alpha/sessions'));
  });
});

describe('workspace rows', () => {
  it('say when the workspace was last used, and how far a create under way is', async () => {
    const agent = recordingAgents({
      'workspaces/list': () =>
        rpcOk([
          { ...ALPHA, lastUsed: ago(5 * MINUTE) },
          { ...ALPHA, name: 'beta', status: 'creating', progress: { step: 'copying', percent: 42 } },
          { ...ALPHA, name: 'gamma', status: 'creating', progress: { step: 'starting' } },
        ]),
      'sessions/recent': () => rpcOk([]),
    });
    renderApp(memoryStorage({ 'perry.agents': saved() }), agent.fetchImpl, '/workspaces');
    expect(await screen.findByTestId('last-used-alpha')).toHaveTextContent('Used 5 min ago');
    expect(screen.queryByTestId('last-used-beta')).toBeNull();
    expect(screen.getByTestId('progress-beta')).toHaveTextContent('Copying · 42%');
    expect(screen.getByRole('progressbar')).toHaveProp('accessibilityValue', { min: 0, max: 100, now: 42 });
    expect(screen.getByTestId('progress-gamma')).toHaveTextContent('Starting…');
    expect(screen.queryByTestId('progress-alpha')).toBeNull();
  });
});
