// The app's screens in the expo-router test harness, with an in-memory store and a fake agent
// behind fetch (the real agent is the web export's end-to-end test).
import { QueryClientProvider } from '@tanstack/react-query';
import { Slot } from 'expo-router';
import { act, fireEvent, renderRouter, screen, waitFor } from 'expo-router/testing-library';

import ConnectScreen from '../app/connect';
import Index from '../app/index';
import WorkspaceScreen from '../app/workspaces/[name]';
import WorkspacesScreen from '../app/workspaces/index';
import NewWorkspaceScreen from '../app/workspaces/new';
import { AgentsProvider } from '../src/agents/agents-context';
import type { KeyValueStore } from '../src/agents/storage';
import { createQueryClient } from '../src/query-client';

const TOKEN = 'right-token';

/** A fake agent: answers oRPC calls from `routes`, 401 without the right token. */
function fakeAgent(routes: Record<string, () => Response | Promise<Response>>) {
  const calls: string[] = [];
  const fetchImpl = jest.fn(async (input: Request | string) => {
    const request = typeof input === 'string' ? new Request(input) : input;
    const path = new URL(request.url).pathname.replace(/^\/rpc\//, '');
    calls.push(path);
    if (request.headers.get('authorization') !== `Bearer ${TOKEN}`) {
      return rpcError(401, 'UNAUTHORIZED', 'Missing or invalid token');
    }
    const route = routes[path];
    return route ? route() : rpcError(404, 'NOT_FOUND', `no procedure ${path}`);
  });
  return { fetchImpl, calls };
}

function rpcOk(value: unknown): Response {
  return new Response(JSON.stringify({ json: value }), { status: 200, headers: { 'content-type': 'application/json' } });
}

function rpcError(status: number, code: string, message: string): Response {
  return new Response(JSON.stringify({ json: { defined: false, code, status, message } }), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}

const INFO = { version: '0.1.0', hostname: 'devbox', uptime: 5, workspacesCount: 1, dockerVersion: '20.10', dindMode: 'capabilities' };
const ALPHA = { name: 'alpha', status: 'running', created: '2026-11-26T10:00:00Z', image: 'workspace-base', ports: { ssh: 2201 } };

function memoryStorage(initial: Record<string, string> = {}): KeyValueStore & { values: Record<string, string> } {
  const values = { ...initial };
  return {
    values,
    get: async (key) => values[key] ?? null,
    set: async (key, value) => {
      values[key] = value;
    },
  };
}

function renderApp(storage: KeyValueStore, fetchImpl: typeof fetch, initialUrl = '/', cache: KeyValueStore = memoryStorage()) {
  const queryClient = createQueryClient(0);
  globalThis.fetch = fetchImpl;
  return renderRouter(
    {
      _layout: () => (
        <QueryClientProvider client={queryClient}>
          <AgentsProvider storage={storage} cache={cache} fetchImpl={fetchImpl}>
            <Slot />
          </AgentsProvider>
        </QueryClientProvider>
      ),
      index: Index,
      connect: ConnectScreen,
      'workspaces/index': WorkspacesScreen,
      'workspaces/new': NewWorkspaceScreen,
      'workspaces/[name]': WorkspaceScreen,
    },
    { initialUrl },
  );
}

const saved = (url = 'http://devbox:7391') =>
  JSON.stringify({ agents: [{ url, token: TOKEN, hostname: 'devbox' }], active: url });

describe('connect', () => {
  it('starts on the connect screen when no agent is saved', async () => {
    renderApp(memoryStorage(), fakeAgent({}).fetchImpl as unknown as typeof fetch);
    expect(await screen.findByText('Connect to an agent')).toBeTruthy();
  });

  it('says the token is wrong when the agent refuses it, and saves nothing', async () => {
    const storage = memoryStorage();
    const agent = fakeAgent({ 'agent/info': () => rpcOk(INFO) });
    renderApp(storage, agent.fetchImpl as unknown as typeof fetch, '/connect');
    fireEvent.changeText(await screen.findByTestId('address'), 'devbox');
    fireEvent.changeText(screen.getByTestId('token'), 'wrong-token');
    fireEvent.press(screen.getByTestId('connect'));
    expect(await screen.findByText(/The agent refused this token/)).toBeTruthy();
    expect(agent.calls).toEqual(['agent/info']);
    expect(storage.values['perry.agents']).toBeUndefined();
  });

  it('says which address it could not reach', async () => {
    const unreachable = jest.fn(async () => {
      throw new TypeError('Network request failed');
    });
    renderApp(memoryStorage(), unreachable as unknown as typeof fetch, '/connect');
    fireEvent.changeText(await screen.findByTestId('address'), '100.64.0.9:7400');
    fireEvent.changeText(screen.getByTestId('token'), TOKEN);
    fireEvent.press(screen.getByTestId('connect'));
    expect(await screen.findByText(/Cannot reach the agent at http:\/\/100\.64\.0\.9:7400/)).toBeTruthy();
  });

  it('refuses an address that is not one before calling anything', async () => {
    const agent = fakeAgent({});
    renderApp(memoryStorage(), agent.fetchImpl as unknown as typeof fetch, '/connect');
    fireEvent.changeText(await screen.findByTestId('address'), 'ftp://devbox');
    fireEvent.press(screen.getByTestId('connect'));
    expect(await screen.findByText(/Use http:\/\/ or https:\/\//)).toBeTruthy();
    expect(agent.calls).toEqual([]);
  });

  it('saves the agent from its sign-in URL and shows its workspaces', async () => {
    const storage = memoryStorage();
    const agent = fakeAgent({ 'agent/info': () => rpcOk(INFO), 'workspaces/list': () => rpcOk([ALPHA]) });
    renderApp(storage, agent.fetchImpl as unknown as typeof fetch, '/connect');
    fireEvent.changeText(await screen.findByTestId('address'), `http://devbox:7391/?token=${TOKEN}`);
    fireEvent.press(screen.getByTestId('connect'));
    expect(await screen.findByText('alpha')).toBeTruthy();
    expect(screen.getByText('running')).toBeTruthy();
    expect(JSON.parse(storage.values['perry.agents'] ?? '{}')).toEqual({
      agents: [{ url: 'http://devbox:7391', token: TOKEN, hostname: 'devbox' }],
      active: 'http://devbox:7391',
    });
  });
});

describe('workspaces', () => {
  it('lists the saved agent’s workspaces and opens one with its SSH command', async () => {
    const agent = fakeAgent({ 'workspaces/list': () => rpcOk([ALPHA, { ...ALPHA, name: 'beta', status: 'stopped', ports: {} }]) });
    renderApp(memoryStorage({ 'perry.agents': saved() }), agent.fetchImpl as unknown as typeof fetch);
    expect(await screen.findByText('beta')).toBeTruthy();
    expect(screen.getByText('stopped')).toBeTruthy();
    fireEvent.press(screen.getByLabelText('Workspace alpha'));
    expect(await screen.findByTestId('ssh-command')).toHaveTextContent('ssh -p 2201 workspace@devbox');
  });

  it('shows the agent’s own message when the list fails', async () => {
    const agent = fakeAgent({
      'workspaces/list': () => rpcError(503, 'SERVICE_UNAVAILABLE', 'Docker is not answering: is dockerd running?'),
    });
    renderApp(memoryStorage({ 'perry.agents': saved() }), agent.fetchImpl as unknown as typeof fetch);
    expect(await screen.findByText('Docker is not answering: is dockerd running?')).toBeTruthy();
  });

  it('checks the name as it is typed and creates the workspace', async () => {
    let created = false;
    const agent = fakeAgent({
      'workspaces/list': () => rpcOk(created ? [ALPHA] : []),
      'workspaces/create': () => {
        created = true;
        return rpcOk(ALPHA);
      },
    });
    renderApp(memoryStorage({ 'perry.agents': saved() }), agent.fetchImpl as unknown as typeof fetch, '/workspaces/new');
    fireEvent.changeText(await screen.findByTestId('workspace-name'), 'Alpha');
    expect(await screen.findByText(/Use lowercase letters/)).toBeTruthy();
    expect(screen.getByTestId('create')).toBeDisabled();
    fireEvent.changeText(screen.getByTestId('workspace-name'), 'alpha');
    await waitFor(() => expect(screen.getByTestId('create')).toBeEnabled());
    fireEvent.press(screen.getByTestId('create'));
    expect(await screen.findByTestId('ssh-command')).toBeTruthy();
    expect(agent.calls).toContain('workspaces/create');
  });

  it('asks before it deletes', async () => {
    const agent = fakeAgent({ 'workspaces/list': () => rpcOk([ALPHA]), 'workspaces/delete': () => rpcOk({ success: true }) });
    renderApp(memoryStorage({ 'perry.agents': saved() }), agent.fetchImpl as unknown as typeof fetch, '/workspaces/alpha');
    fireEvent.press(await screen.findByTestId('delete'));
    expect(await screen.findByText('Delete alpha?')).toBeTruthy();
    expect(agent.calls).not.toContain('workspaces/delete');
    fireEvent.press(screen.getByText('Cancel'));
    await waitFor(() => expect(screen.queryByText('Delete alpha?')).toBeNull());
    expect(agent.calls).not.toContain('workspaces/delete');
  });

  it('keeps showing the last list, marked stale, when the agent stops answering, and disables actions', async () => {
    let reachable = true;
    const agent = fakeAgent({ 'workspaces/list': () => rpcOk([ALPHA]) });
    const flaky = jest.fn(async (input: Request | string) => {
      if (!reachable) throw new TypeError('Network request failed');
      return agent.fetchImpl(input);
    });
    const cache = memoryStorage();
    renderApp(memoryStorage({ 'perry.agents': saved() }), flaky as unknown as typeof fetch, '/', cache);
    expect(await screen.findByText('running')).toBeTruthy();
    expect(screen.getByTestId('new-workspace')).toBeEnabled();
    reachable = false;
    await act(async () => {
      fireEvent(screen.getByTestId('workspace-list'), 'refresh');
    });
    expect(await screen.findByText(/Offline: the list as of \d\d:\d\d/)).toBeTruthy();
    expect(screen.getByText('alpha')).toBeTruthy();
    expect(screen.getByText('running?')).toBeTruthy();
    expect(screen.getByTestId('new-workspace')).toBeDisabled();
    fireEvent.press(screen.getByLabelText('Workspace alpha'));
    expect(await screen.findByText(/Start, stop and delete need the agent/)).toBeTruthy();
    expect(screen.getByTestId('stop')).toBeDisabled();
    expect(screen.getByTestId('delete')).toBeDisabled();
  });

  it('shows the list kept on the device when the agent cannot be reached from the start', async () => {
    const at = Date.now() - 60_000;
    const cache = memoryStorage({
      'perry.workspaces.http://devbox:7391': JSON.stringify({ workspaces: [{ ...ALPHA, name: 'kept' }], at }),
    });
    const unreachable = jest.fn(async () => {
      throw new TypeError('Network request failed');
    });
    renderApp(memoryStorage({ 'perry.agents': saved() }), unreachable as unknown as typeof fetch, '/', cache);
    expect(await screen.findByText('kept')).toBeTruthy();
    expect(await screen.findByText(/Offline: the list as of/)).toBeTruthy();
    expect(screen.getByText(/Cannot reach the Perry agent/)).toBeTruthy();
  });
});
