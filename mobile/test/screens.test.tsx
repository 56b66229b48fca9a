// The app's screens against a fake agent (see helpers.tsx).
import { act, fireEvent, screen, waitFor } from 'expo-router/testing-library';

import { ALPHA, fakeAgent, INFO, memoryStorage, renderApp, rpcError, rpcOk, saved, TOKEN } from './helpers';

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

  it('warns on a workspace whose post-start script failed, saying which and why', async () => {
    const postStart = [
      { name: 'deps', finished: true, exitCode: 0, milliseconds: 900 },
      { name: 'seed', finished: true, exitCode: 3, error: 'exited with 3; its output is in the workspace’s log', milliseconds: 40 },
    ];
    const agent = fakeAgent({ 'workspaces/list': () => rpcOk([{ ...ALPHA, postStart }]) });
    renderApp(memoryStorage({ 'perry.agents': saved() }), agent.fetchImpl as unknown as typeof fetch);
    fireEvent.press(await screen.findByLabelText('Workspace alpha'));
    expect(await screen.findByText(/Post-start script failed: seed/)).toHaveTextContent(/seed: exited with 3/);
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
      'perry.workspaces.http://devbox:7391': JSON.stringify({ value: [{ ...ALPHA, name: 'kept' }], at }),
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
