// Creating a workspace from a repository, its ports and its log, against a fake agent that
// records what each call sent (the real agent: web/e2e/mobile-workspace-tools.e2e.ts).
import { cloneDirectory, validateCloneUrl, type LogLine, type PortForwardStatus } from '@perry/client';
import { act, fireEvent, screen, waitFor } from 'expo-router/testing-library';
import { Linking } from 'react-native';

import { appendLines, LOG_KEEP, nextSince } from '../src/logs/use-logs';
import { clockTime } from '../src/logs/log-line';
import { forwardUrl, parsePort } from '../src/ports/rules';
import { ALPHA, memoryStorage, recordingAgent, renderApp, rpcError, rpcOk, saved } from './helpers';

const open = (fetchImpl: typeof fetch, url: string) => renderApp(memoryStorage({ 'perry.agents': saved() }), fetchImpl, url);

describe('rules', () => {
  it('takes a port from 1 to 65535 and says what is wrong with anything else', () => {
    expect(parsePort(' 8080 ', 'workspace port')).toEqual({ port: 8080 });
    expect(parsePort('0', 'host port')).toEqual({ error: 'The host port is a number from 1 to 65535, not 0.' });
    expect(parsePort('70000', 'host port')).toEqual({ error: 'The host port is a number from 1 to 65535, not 70000.' });
    expect(parsePort('80a', 'workspace port')).toEqual({ error: 'The workspace port is a number from 1 to 65535.' });
  });

  it('opens a forward on the host the phone uses for the agent', () => {
    expect(forwardUrl('http://devbox:7391', 3000)).toBe('http://devbox:3000/');
    expect(forwardUrl('https://100.64.0.9', 8080)).toBe('http://100.64.0.9:8080/');
    expect(forwardUrl('http://[::1]:7391', 5173)).toBe('http://[::1]:5173/');
  });

  it('keeps the last lines of a log and reads Docker’s nanosecond times', () => {
    const line = (text: string): LogLine => ({ stream: 'stdout', time: '2026-12-06T02:00:00.000000001Z', text });
    const many = Array.from({ length: LOG_KEEP }, (_, index) => line(String(index)));
    const kept = appendLines(many, [line('new')]);
    expect(kept).toHaveLength(LOG_KEEP);
    expect(kept[0]!.text).toBe('1');
    expect(kept.at(-1)!.text).toBe('new');
    expect(clockTime('2026-12-06T02:03:04.123456789Z')).toMatch(/^\d\d:03:04$/);
    expect(clockTime('not a time')).toBe('');
  });

  it('asks from the newest line seen, which Docker need not send last', () => {
    const at = (time: string): LogLine => ({ stream: 'stdout', time, text: time });
    // stderr's line came after stdout's newer ones; trailing zeros of a second are dropped.
    const lines = [at('2026-12-06T02:00:05.12Z'), at('2026-12-06T02:00:05.3Z'), at('2026-12-06T02:00:05.123456789Z')];
    expect(nextSince(undefined, '2026-12-06T02:00:05.123456789Z', lines)).toBe('2026-12-06T02:00:05.3Z');
    expect(nextSince('2026-12-06T02:00:06Z', undefined, [])).toBe('2026-12-06T02:00:06Z');
    expect(nextSince(undefined, undefined, [])).toBeUndefined();
  });
});

describe('create from a repository', () => {
  const BAD = 'github.com/owner/repo';
  const GOOD = 'https://github.com/owner/demo.git';

  it('checks the URL as typed with the agent’s words, and creates nothing while it is wrong', async () => {
    const agent = recordingAgent({ 'workspaces/list': () => rpcOk([]) });
    open(agent.fetchImpl, '/workspaces/new');
    fireEvent.changeText(await screen.findByTestId('workspace-name'), 'demo');
    fireEvent.changeText(screen.getByTestId('workspace-clone'), BAD);
    expect(await screen.findByText(validateCloneUrl(BAD)!)).toBeTruthy();
    expect(screen.getByTestId('create')).toBeDisabled();
    fireEvent.press(screen.getByTestId('create'));
    expect(agent.inputsOf('workspaces/create')).toEqual([]);
  });

  it('shows where the repository lands and sends it with the name', async () => {
    const created = { ...ALPHA, name: 'demo', clone: { url: GOOD, path: '/home/workspace/demo' } };
    const agent = recordingAgent({ 'workspaces/list': () => rpcOk([created]), 'workspaces/create': () => rpcOk(created) });
    open(agent.fetchImpl, '/workspaces/new');
    fireEvent.changeText(await screen.findByTestId('workspace-name'), 'demo');
    fireEvent.changeText(screen.getByTestId('workspace-clone'), GOOD);
    expect(screen.getByTestId('clone-directory')).toHaveTextContent(`Cloned into ~/${cloneDirectory(GOOD)} with the agent’s git credentials.`);
    fireEvent.press(screen.getByTestId('create'));
    expect(await screen.findByTestId('clone-done')).toHaveTextContent(/\/home\/workspace\/demo/);
    expect(agent.inputsOf('workspaces/create')).toEqual([{ name: 'demo', clone: GOOD }]);
  });

  it('sends no clone when the field is left empty', async () => {
    const agent = recordingAgent({ 'workspaces/list': () => rpcOk([ALPHA]), 'workspaces/create': () => rpcOk(ALPHA) });
    open(agent.fetchImpl, '/workspaces/new');
    fireEvent.changeText(await screen.findByTestId('workspace-name'), 'alpha');
    fireEvent.press(screen.getByTestId('create'));
    await waitFor(() => expect(agent.inputsOf('workspaces/create')).toEqual([{ name: 'alpha' }]));
  });

  it('shows the agent’s refusal', async () => {
    const agent = recordingAgent({
      'workspaces/list': () => rpcOk([]),
      'workspaces/create': () => rpcError(409, 'CONFLICT', 'Workspace demo already exists'),
    });
    open(agent.fetchImpl, '/workspaces/new');
    fireEvent.changeText(await screen.findByTestId('workspace-name'), 'demo');
    fireEvent.changeText(screen.getByTestId('workspace-clone'), GOOD);
    fireEvent.press(screen.getByTestId('create'));
    expect(await screen.findByText('Workspace demo already exists')).toBeTruthy();
  });

  it('warns with git’s words on a workspace whose clone failed', async () => {
    const failed = { ...ALPHA, clone: { url: GOOD, path: '/home/workspace/demo', error: "fatal: repository 'https://github.com/owner/demo.git/' not found" } };
    const agent = recordingAgent({ 'workspaces/list': () => rpcOk([failed]), 'ports/list': () => rpcOk([]) });
    open(agent.fetchImpl, '/workspaces/alpha');
    const warning = await screen.findByTestId('clone-failed');
    expect(warning).toHaveTextContent(/Cloning https:\/\/github.com\/owner\/demo.git failed; the workspace runs without it/);
    expect(warning).toHaveTextContent(/fatal: repository .* not found/);
  });
});

describe('ports', () => {
  /** A fake agent keeping forwards as the real one does: hostPort defaults to workspacePort. */
  function portsAgent(initial: PortForwardStatus[]) {
    let forwards = [...initial];
    return recordingAgent({
      'workspaces/list': () => rpcOk([ALPHA]),
      'ports/list': () => rpcOk(forwards),
      'ports/forward': (input) => {
        const [request] = input.forwards as { workspacePort: number; hostPort?: number }[];
        const hostPort = request!.hostPort ?? request!.workspacePort;
        if (forwards.some((forward) => forward.hostPort === hostPort)) {
          return rpcError(409, 'CONFLICT', `Host port ${hostPort} is already forwarded`);
        }
        forwards = [...forwards, { hostPort, workspacePort: request!.workspacePort, active: true }];
        return rpcOk(forwards);
      },
      'ports/remove': (input) => {
        const gone = input.hostPorts as number[];
        forwards = forwards.filter((forward) => !gone.includes(forward.hostPort));
        return rpcOk(forwards);
      },
    });
  }

  it('lists the forwards with their status and opens one in the browser at the agent’s host', async () => {
    const openURL = jest.spyOn(Linking, 'openURL').mockResolvedValue(true);
    const agent = portsAgent([
      { hostPort: 8080, workspacePort: 3000, active: true },
      { hostPort: 9000, workspacePort: 9000, active: false, error: 'Address already in use (os error 98)' },
    ]);
    open(agent.fetchImpl, '/workspaces/alpha');
    expect(await screen.findByTestId('port-state-8080')).toHaveTextContent('listening');
    expect(screen.getByTestId('port-state-9000')).toHaveTextContent('failed');
    expect(screen.getByText('Address already in use (os error 98)')).toBeTruthy();
    fireEvent.press(screen.getByTestId('port-open-8080'));
    expect(openURL).toHaveBeenCalledWith('http://devbox:8080/');
    expect(agent.inputsOf('ports/list')[0]).toEqual({ workspaceName: 'alpha' });
    openURL.mockRestore();
  });

  it('adds a forward, checks the ports as typed, and removes it again', async () => {
    const agent = portsAgent([]);
    open(agent.fetchImpl, '/workspaces/alpha');
    expect(await screen.findByText(/No forwards yet/)).toBeTruthy();
    fireEvent.changeText(screen.getByTestId('port-workspace'), '99999');
    expect(screen.getByText('The workspace port is a number from 1 to 65535, not 99999.')).toBeTruthy();
    expect(screen.getByTestId('port-add')).toBeDisabled();
    fireEvent.changeText(screen.getByTestId('port-workspace'), '3000');
    fireEvent.changeText(screen.getByTestId('port-host'), '8080');
    fireEvent.press(screen.getByTestId('port-add'));
    expect(await screen.findByTestId('port-state-8080')).toHaveTextContent('listening');
    expect(agent.inputsOf('ports/forward')).toEqual([{ workspaceName: 'alpha', forwards: [{ workspacePort: 3000, hostPort: 8080 }] }]);
    expect(screen.getByTestId('port-workspace').props.value).toBe('');

    fireEvent.press(screen.getByTestId('port-remove-8080'));
    // A boolean, not the element: a failure would print the whole tree, agent client included.
    await waitFor(() => expect(screen.queryByTestId('port-8080') === null).toBe(true), { timeout: 5000 });
    expect(screen.getByText(/No forwards yet/)).toBeTruthy();
    expect(agent.inputsOf('ports/remove')).toEqual([{ workspaceName: 'alpha', hostPorts: [8080] }]);
  });

  it('shows the agent’s refusal as it said it', async () => {
    const agent = portsAgent([{ hostPort: 3000, workspacePort: 3000, active: true }]);
    open(agent.fetchImpl, '/workspaces/alpha');
    await screen.findByTestId('port-3000');
    fireEvent.changeText(screen.getByTestId('port-workspace'), '3000');
    fireEvent.press(screen.getByTestId('port-add'));
    expect(await screen.findByText('Host port 3000 is already forwarded')).toBeTruthy();
    // The host port defaults to the workspace port: nothing was sent for it.
    expect(agent.inputsOf('ports/forward')).toEqual([{ workspaceName: 'alpha', forwards: [{ workspacePort: 3000 }] }]);
  });
});

describe('log', () => {
  afterEach(() => jest.useRealTimers());

  it('shows the last lines, marks stderr, and follows with since = until', async () => {
    jest.useFakeTimers();
    const first: LogLine[] = [
      { stream: 'stdout', time: '2026-12-06T02:00:00.000000001Z', text: 'dockerd started' },
      { stream: 'stderr', time: '2026-12-06T02:00:01.000000001Z', text: 'sshd: warning' },
    ];
    const later: LogLine = { stream: 'stdout', time: '2026-12-06T02:00:05.000000001Z', text: 'a new line' };
    let asked = 0;
    const agent = recordingAgent({
      'workspaces/list': () => rpcOk([ALPHA]),
      'workspaces/logs': () => {
        asked += 1;
        if (asked === 1) return rpcOk({ lines: first, until: first[1]!.time });
        if (asked === 2) return rpcOk({ lines: [later], until: later.time });
        return rpcOk({ lines: [], until: later.time });
      },
    });
    open(agent.fetchImpl, '/workspaces/alpha/logs');
    expect(await screen.findByText('dockerd started')).toBeTruthy();
    expect(screen.getByTestId('log-stderr')).toHaveTextContent('sshd: warning');
    expect(screen.getByLabelText('stderr: sshd: warning')).toBeTruthy();
    await act(async () => {
      jest.advanceTimersByTime(2500);
    });
    expect(await screen.findByText('a new line')).toBeTruthy();
    expect(agent.inputsOf('workspaces/logs').slice(0, 2)).toEqual([
      { name: 'alpha', tail: 300 },
      { name: 'alpha', since: first[1]!.time },
    ]);
    expect(screen.getByTestId('log-status')).toHaveTextContent('Following new lines · 3 lines');
  });

  it('keeps the lines shown and says so when the agent cannot be asked', async () => {
    const agent = recordingAgent({
      'workspaces/list': () => rpcOk([ALPHA]),
      'workspaces/logs': () => rpcError(404, 'NOT_FOUND', 'Workspace alpha not found'),
    });
    open(agent.fetchImpl, '/workspaces/alpha/logs');
    expect(await screen.findByText('Workspace alpha not found')).toBeTruthy();
    expect(screen.getByTestId('log-status')).toHaveTextContent(/Not following: retrying/);
  });

  it('opens from the workspace screen', async () => {
    const agent = recordingAgent({
      'workspaces/list': () => rpcOk([ALPHA]),
      'ports/list': () => rpcOk([]),
      'workspaces/logs': () => rpcOk({ lines: [] }),
    });
    open(agent.fetchImpl, '/workspaces/alpha');
    fireEvent.press(await screen.findByTestId('open-logs'));
    expect(await screen.findByText(/The container has written nothing yet/)).toBeTruthy();
  });
});
