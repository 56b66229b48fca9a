// Terminals on a slow link, on the phone: the round trip the connection measures shown as a dot
// and passed to the page, the person's local echo setting (kept on the phone, changed on the
// Settings screen) passed to the page, and skipped output noted in line. The page itself (xterm.js
// with LocalEcho) is a stand-in here that records what the app sends it; web/e2e drives the real one.
import { render } from '@testing-library/react-native';
import { act, fireEvent, screen, waitFor } from 'expo-router/testing-library';

import { AgentsProvider } from '../src/agents/agents-context';
import { TerminalSection } from '../src/settings/terminal-section';

import { ALPHA, fakeAgent, installFakeSockets, INFO, lastSocket, memoryStorage, renderApp, rpcOk, saved } from './helpers';
import { fromPage, page, resetPage } from './terminal-surface-stand-in';

jest.mock('../src/terminal/terminal-surface', () => jest.requireActual('./terminal-surface-stand-in'));

beforeEach(() => {
  installFakeSockets();
  resetPage();
});

const EMPTY_SETTINGS = { env: [], files: [], accounts: [], scripts: [], mcpServers: [], skills: [], ssh: { copy: [], authorized: [] } };

function agent() {
  return fakeAgent({
    'workspaces/list': () => rpcOk([ALPHA]),
    'workspaces/get': () => rpcOk(ALPHA),
    'terminals/list': () => rpcOk([]),
    'agent/info': () => rpcOk(INFO),
    'settings/get': () => rpcOk(EMPTY_SETTINGS),
  });
}

/** The terminal screen with its page ready; `cache` is the phone's store of preferences. */
async function openTerminal(cache = memoryStorage()) {
  renderApp(memoryStorage({ 'perry.agents': saved() }), agent().fetchImpl as unknown as typeof fetch, '/workspaces/alpha/terminal', cache);
  await screen.findByTestId('terminal-surface');
  fromPage({ type: 'ready', cols: 80, rows: 24 });
  return lastSocket('/terminal/alpha')!;
}

function attach(socket: NonNullable<ReturnType<typeof lastSocket>>) {
  act(() => {
    socket.open();
    socket.text({ type: 'attached', id: 't-1', cols: 80, rows: 24, replayedBytes: 0, offset: 0, pings: true });
  });
}

const dot = () => screen.getByTestId('round-trip');

describe('terminal on a slow link', () => {
  it('tells a page that is ready the local echo setting, and whether keys reach a shell', async () => {
    const socket = await openTerminal();
    expect(page.received).toContainEqual({ type: 'echo', mode: 'auto', thresholdMs: 30 });
    expect(page.received).toContainEqual({ type: 'link', attached: false });
    page.received = [];
    attach(socket);
    expect(page.received).toContainEqual({ type: 'link', attached: true });
    act(() => socket.serverClose(1006));
    expect(page.received.at(-1)).toEqual({ type: 'link', attached: false });
  });

  it('uses the setting kept on the phone', async () => {
    await openTerminal(memoryStorage({ 'perry.localEcho': '{"mode":"always","thresholdMs":80}' }));
    await waitFor(() => expect(page.received).toContainEqual({ type: 'echo', mode: 'always', thresholdMs: 80 }));
  });

  it('shows a grey dot while connecting, then the round trip of the pongs, and gives it to the page', async () => {
    const socket = await openTerminal();
    expect(dot()).toHaveProp('accessibilityLabel', 'Connecting…');
    expect(dot()).toHaveProp('accessibilityValue', { text: 'unknown' });
    attach(socket);
    expect(dot()).toHaveProp('accessibilityLabel', 'Round trip not measured yet');
    const ping = socket.sent.find((frame) => typeof frame === 'string' && frame.includes('"ping"'));
    expect(ping).toBe('{"type":"ping","id":1}');
    act(() => socket.text({ type: 'pong', id: 1 }));
    const roundTrip = page.received.find((message) => message.type === 'roundTrip');
    expect(roundTrip).toEqual({ type: 'roundTrip', ms: expect.any(Number) });
    expect(dot().props.accessibilityLabel).toMatch(/^Round trip \d+ ms$/);
    expect(dot()).toHaveProp('accessibilityValue', { text: 'good' });
    // A tap shows the words (a phone has no hover).
    fireEvent.press(dot());
    expect(screen.getByTestId('round-trip-words')).toHaveTextContent(/^Round trip \d+ ms$/);
  });

  it('says when the page shows typing before the shell echoes it', async () => {
    const socket = await openTerminal();
    attach(socket);
    act(() => socket.text({ type: 'pong', id: 1 }));
    fromPage({ type: 'echo', active: true });
    expect(dot().props.accessibilityLabel).toMatch(/ · typing shown before the shell echoes it$/);
  });

  it('notes skipped output after the output before it', async () => {
    const socket = await openTerminal();
    attach(socket);
    page.received = [];
    act(() => {
      socket.bytes('before');
      socket.text({ type: 'dropped', bytes: 8_200_000 });
    });
    expect(page.received).toEqual([
      { type: 'output', data: btoa('before') },
      { type: 'notice', text: '8.2 MB of output skipped' },
    ]);
  });

  it('acks the output it got (the agent’s flow control)', async () => {
    const socket = await openTerminal();
    attach(socket);
    act(() => socket.bytes('hello phone'));
    await waitFor(() => expect(socket.sent).toContain('{"type":"ack","bytes":11}'));
  });
});

describe('Settings: terminal on this phone', () => {
  const SETTINGS_URL = `/settings?agent=${encodeURIComponent('http://devbox:7391')}`;

  it('keeps the local echo mode and threshold on the phone', async () => {
    const cache = memoryStorage();
    renderApp(memoryStorage({ 'perry.agents': saved() }), agent().fetchImpl as unknown as typeof fetch, SETTINGS_URL, cache);
    const always = await screen.findByTestId('local-echo-always');
    await waitFor(() => expect(screen.getByTestId('local-echo-auto')).toBeChecked());
    fireEvent.press(always);
    await waitFor(() => expect(JSON.parse(cache.values['perry.localEcho']!)).toEqual({ mode: 'always', thresholdMs: 30 }));
    expect(screen.getByTestId('local-echo-always')).toBeChecked();
    // The threshold means something only on a slow link.
    expect(screen.getByTestId('local-echo-threshold')).toHaveProp('editable', false);
    fireEvent.press(screen.getByTestId('local-echo-auto'));
    fireEvent.changeText(screen.getByTestId('local-echo-threshold'), '120');
    await waitFor(() => expect(JSON.parse(cache.values['perry.localEcho']!)).toEqual({ mode: 'auto', thresholdMs: 120 }));
    fireEvent.changeText(screen.getByTestId('local-echo-threshold'), '-5');
    expect(screen.getByText('Whole milliseconds from 0 to 5000.')).toBeTruthy();
    expect(JSON.parse(cache.values['perry.localEcho']!)).toEqual({ mode: 'auto', thresholdMs: 120 });
  });

  it('changes the page of a terminal that is open', async () => {
    const cache = memoryStorage();
    renderApp(memoryStorage({ 'perry.agents': saved() }), agent().fetchImpl as unknown as typeof fetch, '/workspaces/alpha/terminal', cache);
    await screen.findByTestId('terminal-surface');
    fromPage({ type: 'ready', cols: 80, rows: 24 });
    await waitFor(() => expect(page.received).toContainEqual({ type: 'echo', mode: 'auto', thresholdMs: 30 }));
    // The settings screen sits above the terminal in the app's stack (the test router shows one
    // screen at a time): its section, on the same phone store, beside the open terminal.
    const settings = render(
      <AgentsProvider storage={memoryStorage({ 'perry.agents': saved() })} cache={cache}>
        <TerminalSection />
      </AgentsProvider>,
    );
    fireEvent.press(settings.getByTestId('local-echo-off'));
    await waitFor(() => expect(page.received).toContainEqual({ type: 'echo', mode: 'off', thresholdMs: 30 }));
  });
});
