// The terminal screen with its real connection logic against a fake socket; the page (xterm.js in
// a WebView) is replaced by a stand-in that records what the app sends it. The real page is
// driven in Chromium by web/e2e/mobile-app.e2e.ts.
import { act, fireEvent, screen, waitFor } from 'expo-router/testing-library';

import { ALPHA, fakeAgent, installFakeSockets, lastSocket, memoryStorage, renderApp, rpcOk, saved, TOKEN } from './helpers';
import { fromPage, page, resetPage } from './terminal-surface-stand-in';

jest.mock('../src/terminal/terminal-surface', () => jest.requireActual('./terminal-surface-stand-in'));

beforeEach(() => {
  installFakeSockets();
  resetPage();
});

function renderTerminal(url: string) {
  const agent = fakeAgent({ 'workspaces/list': () => rpcOk([ALPHA]), 'workspaces/get': () => rpcOk(ALPHA), 'terminals/list': () => rpcOk([]) });
  const app = renderApp(memoryStorage({ 'perry.agents': saved() }), agent.fetchImpl as unknown as typeof fetch, url);
  return { agent, app };
}

describe('terminal', () => {
  it('connects once the page is ready, at its size, and passes output and keys both ways', async () => {
    renderTerminal('/workspaces/alpha/terminal');
    await screen.findByTestId('terminal-surface');
    expect(lastSocket('/terminal/alpha')).toBeUndefined();
    fromPage({ type: 'ready', cols: 46, rows: 30 });
    const socket = lastSocket('/terminal/alpha');
    expect(socket?.query).toEqual({ token: TOKEN, cols: '46', rows: '30' });
    expect(screen.getByText('Connecting…')).toBeTruthy();

    act(() => {
      socket?.open();
      socket?.text({ type: 'attached', id: 't-1', cols: 46, rows: 30, replayedBytes: 0, offset: 0 });
      socket?.bytes('hello ');
      socket?.bytes('phone');
    });
    await waitFor(() => expect(page.received).toContainEqual({ type: 'output', data: btoa('hello phone') }));
    expect(screen.queryByText('Connecting…')).toBeNull();

    fromPage({ type: 'input', data: 'ls\r' });
    expect(socket?.input).toBe('ls\r');
    fromPage({ type: 'resize', cols: 90, rows: 20 });
    expect(socket?.sent).toContain(JSON.stringify({ type: 'resize', cols: 90, rows: 20 }));

    fireEvent.press(screen.getByTestId('key-up'));
    expect(page.received).toContainEqual({ type: 'key', key: 'up' });
    fireEvent.press(screen.getByTestId('key-ctrl'));
    expect(page.received).toContainEqual({ type: 'ctrl', on: true });
    expect(screen.getByTestId('key-ctrl')).toBeSelected();
    // The page used Ctrl up on the next key and says so.
    fromPage({ type: 'ctrl', on: false });
    expect(screen.getByTestId('key-ctrl')).not.toBeSelected();
  });

  it('says how the shell ended and opens a new one on request', async () => {
    renderTerminal('/workspaces/alpha/terminal');
    await screen.findByTestId('terminal-surface');
    fromPage({ type: 'ready', cols: 80, rows: 24 });
    const first = lastSocket('/terminal/alpha');
    act(() => {
      first?.open();
      first?.text({ type: 'attached', id: 't-1', cols: 80, rows: 24, replayedBytes: 0, offset: 0 });
      first?.serverClose(1000, 'exit 3');
    });
    expect(await screen.findByText('The shell ended with exit code 3.')).toBeTruthy();
    fireEvent.press(screen.getByText('New shell'));
    const second = lastSocket('/terminal/alpha');
    expect(second).not.toBe(first);
    expect(second?.query.terminal).toBeUndefined();
  });

  it('reattaches to a running shell by its id', async () => {
    renderTerminal('/workspaces/alpha/terminal?terminal=t-9');
    await screen.findByTestId('terminal-surface');
    fromPage({ type: 'ready', cols: 80, rows: 24 });
    expect(lastSocket('/terminal/alpha')?.query.terminal).toBe('t-9');
  });

  it('runs the resume command of a session and calls it a command when it ends', async () => {
    const cmd = JSON.stringify(['bash', '-lc', 'claude --resume s-1']);
    renderTerminal(`/workspaces/alpha/terminal?cmd=${encodeURIComponent(cmd)}`);
    await screen.findByTestId('terminal-surface');
    fromPage({ type: 'ready', cols: 80, rows: 24 });
    const socket = lastSocket('/terminal/alpha');
    expect(socket?.query.cmd).toBe(cmd);
    act(() => {
      socket?.open();
      socket?.text({ type: 'attached', id: 't-2', cols: 80, rows: 24, replayedBytes: 0, offset: 0 });
      socket?.serverClose(1000, 'exit 1');
    });
    expect(await screen.findByText('The command ended with exit code 1.')).toBeTruthy();
  });

  it('says the workspace stopped when the agent closes with 1001', async () => {
    renderTerminal('/workspaces/alpha/terminal');
    await screen.findByTestId('terminal-surface');
    fromPage({ type: 'ready', cols: 80, rows: 24 });
    const socket = lastSocket('/terminal/alpha');
    act(() => {
      socket?.open();
      socket?.text({ type: 'attached', id: 't-1', cols: 80, rows: 24, replayedBytes: 0, offset: 0 });
      socket?.serverClose(1001, 'workspace stopped');
    });
    expect(await screen.findByText('The workspace stopped or the agent shut down.')).toBeTruthy();
  });

  it('lists the workspace’s running shells on its screen and reattaches to one', async () => {
    const shell = { id: 't-5', workspaceName: 'alpha', created: '2026-11-26T10:00:00Z', clients: 0, cols: 80, rows: 24, bufferedBytes: 120 };
    const agent = fakeAgent({ 'workspaces/list': () => rpcOk([ALPHA]), 'terminals/list': () => rpcOk([shell]) });
    const app = renderApp(memoryStorage({ 'perry.agents': saved() }), agent.fetchImpl as unknown as typeof fetch, '/workspaces/alpha');
    fireEvent.press(await screen.findByText('Reattach shell 1 (80×24, detached)'));
    await waitFor(() => expect(app.getPathname()).toBe('/workspaces/alpha/terminal'));
    expect(app.getSearchParams().terminal).toBe('t-5');
  });

  it('offers no terminal while the workspace is stopped', async () => {
    const agent = fakeAgent({ 'workspaces/list': () => rpcOk([{ ...ALPHA, status: 'stopped' }]), 'terminals/list': () => rpcOk([]) });
    renderApp(memoryStorage({ 'perry.agents': saved() }), agent.fetchImpl as unknown as typeof fetch, '/workspaces/alpha');
    expect(await screen.findByText('Start the workspace to open a terminal.')).toBeTruthy();
    expect(screen.getByTestId('open-terminal')).toBeDisabled();
    expect(agent.calls).not.toContain('terminals/list');
  });

  it('closes the socket when the screen goes away', async () => {
    const { app } = renderTerminal('/workspaces/alpha/terminal');
    await screen.findByTestId('terminal-surface');
    fromPage({ type: 'ready', cols: 80, rows: 24 });
    const socket = lastSocket('/terminal/alpha');
    act(() => socket?.open());
    app.unmount();
    expect(socket?.closed).toBe(true);
  });

  it('a page loaded again before the shell attached still starts the command, on a clean screen', async () => {
    const cmd = JSON.stringify(['bash', '-lc', 'claude --resume s-1']);
    renderTerminal(`/workspaces/alpha/terminal?cmd=${encodeURIComponent(cmd)}`);
    await screen.findByTestId('terminal-surface');
    fromPage({ type: 'ready', cols: 80, rows: 24 });
    const first = lastSocket('/terminal/alpha');
    fromPage({ type: 'ready', cols: 80, rows: 24 });
    const second = lastSocket('/terminal/alpha');
    expect(second).not.toBe(first);
    expect(first?.closed).toBe(true);
    expect(second?.query.cmd).toBe(cmd);
    expect(page.received).toContainEqual({ type: 'reset' });
    // Once attached, a later reload reattaches to that terminal instead of starting another.
    act(() => {
      second?.open();
      second?.text({ type: 'attached', id: 't-7', cols: 80, rows: 24, replayedBytes: 0, offset: 0 });
    });
    fromPage({ type: 'ready', cols: 80, rows: 24 });
    const third = lastSocket('/terminal/alpha');
    expect(third?.query.terminal).toBe('t-7');
    expect(third?.query.cmd).toBeUndefined();
  });

  it('opens a new shell when the one it reattached to is gone', async () => {
    renderTerminal('/workspaces/alpha/terminal?terminal=t-old');
    await screen.findByTestId('terminal-surface');
    fromPage({ type: 'ready', cols: 80, rows: 24 });
    const refused = lastSocket('/terminal/alpha');
    expect(refused?.query.terminal).toBe('t-old');
    // The upgrade is refused; the agent says the workspace runs and t-old is not among its shells.
    act(() => refused?.serverClose(1006));
    await waitFor(() => expect(lastSocket('/terminal/alpha')).not.toBe(refused));
    expect(lastSocket('/terminal/alpha')?.query.terminal).toBeUndefined();
  });

  it('says so when the workspace was stopped while the terminal was away', async () => {
    const agent = fakeAgent({ 'workspaces/list': () => rpcOk([ALPHA]), 'workspaces/get': () => rpcOk({ ...ALPHA, status: 'stopped' }) });
    renderApp(memoryStorage({ 'perry.agents': saved() }), agent.fetchImpl as unknown as typeof fetch, '/workspaces/alpha/terminal?terminal=t-1');
    await screen.findByTestId('terminal-surface');
    fromPage({ type: 'ready', cols: 80, rows: 24 });
    act(() => lastSocket('/terminal/alpha')?.serverClose(1006));
    expect(await screen.findByText('The workspace stopped or the agent shut down.')).toBeTruthy();
    expect(agent.calls).toContain('workspaces/get');
  });
});
