// Workspaces built from a repository's devcontainer.json on the phone: the config chosen at
// create, the rebuild with its confirmation, and the build log beside the container's.
import type { LogLine } from '@perry/client';
import { act, fireEvent, screen, waitFor } from 'expo-router/testing-library';

import { ALPHA, memoryStorage, recordingAgent, renderApp, rpcError, rpcOk, saved } from './helpers';

const GOOD = 'https://github.com/owner/demo.git';
const BUILT = {
  ...ALPHA,
  image: 'perry-devcontainer:0123456789ab',
  clone: { url: GOOD, path: '/home/workspace/demo' },
  devcontainer: '.devcontainer/devcontainer.json',
};

const open = (fetchImpl: typeof fetch, url: string) => renderApp(memoryStorage({ 'perry.agents': saved() }), fetchImpl, url);

describe('create from a repository with a devcontainer config', () => {
  it('asks for the config only with a repository, checks it as typed, and sends it', async () => {
    const agent = recordingAgent({ 'workspaces/list': () => rpcOk([BUILT]), 'workspaces/create': () => rpcOk(BUILT) });
    open(agent.fetchImpl, '/workspaces/new');
    fireEvent.changeText(await screen.findByTestId('workspace-name'), 'alpha');
    expect(screen.queryByTestId('workspace-devcontainer')).toBeNull();

    fireEvent.changeText(screen.getByTestId('workspace-clone'), GOOD);
    expect(screen.getByTestId('workspace-devcontainer').props.placeholder).toBe('default: .devcontainer/devcontainer.json');
    expect(screen.getByTestId('devcontainer-hint')).toHaveTextContent(/Empty: the repository’s \.devcontainer\/devcontainer\.json/);

    fireEvent.changeText(screen.getByTestId('workspace-devcontainer'), '../python');
    expect(await screen.findByText(/is not a folder name/)).toBeTruthy();
    expect(screen.getByTestId('create')).toBeDisabled();

    fireEvent.changeText(screen.getByTestId('workspace-devcontainer'), 'python');
    expect(screen.getByTestId('devcontainer-hint')).toHaveTextContent('Built from .devcontainer/python/devcontainer.json.');
    fireEvent.press(screen.getByTestId('create'));
    await waitFor(() => expect(agent.inputsOf('workspaces/create')).toEqual([{ name: 'alpha', clone: GOOD, devcontainer: 'python' }]));
  });
});

describe('rebuild', () => {
  it('is not offered for a workspace of the agent’s image', async () => {
    const agent = recordingAgent({ 'workspaces/list': () => rpcOk([ALPHA]), 'ports/list': () => rpcOk([]) });
    open(agent.fetchImpl, '/workspaces/alpha');
    expect(await screen.findByTestId('delete')).toBeTruthy();
    expect(screen.queryByTestId('rebuild')).toBeNull();
    expect(screen.queryByTestId('built-from')).toBeNull();
  });

  it('says what it was built from and rebuilds only after a confirmation that says what is kept', async () => {
    let finish: (response: Response) => void = () => undefined;
    const agent = recordingAgent({
      'workspaces/list': () => rpcOk([BUILT]),
      'ports/list': () => rpcOk([]),
      'workspaces/rebuild': () => new Promise<Response>((resolve) => (finish = resolve)),
    });
    open(agent.fetchImpl, '/workspaces/alpha');
    expect(await screen.findByTestId('built-from')).toHaveTextContent('Built from .devcontainer/devcontainer.json');

    fireEvent.press(screen.getByTestId('rebuild'));
    expect(screen.getByText('Rebuild alpha?')).toBeTruthy();
    expect(screen.getByText(/Its home and Docker data are kept; running terminals are closed\./)).toBeTruthy();
    fireEvent.press(screen.getByText('Cancel'));
    expect(agent.inputsOf('workspaces/rebuild')).toEqual([]);

    fireEvent.press(screen.getByTestId('rebuild'));
    // The dialog's button: the screen's own button says Rebuild too.
    fireEvent.press(screen.getAllByText('Rebuild').at(-1)!);
    await waitFor(() => expect(agent.inputsOf('workspaces/rebuild')).toEqual([{ name: 'alpha' }]));
    expect(await screen.findByText(/Rebuilding alpha from its devcontainer\.json/)).toBeTruthy();
    expect(screen.getByTestId('rebuild')).toBeDisabled();
    await act(async () => finish(rpcOk(BUILT)));
    await waitFor(() => expect(screen.queryByText(/Rebuilding alpha/)).toBeNull());
  });

  it('shows why it failed in the agent’s words and leads to the build log', async () => {
    const message = 'The image build failed at step 3/12 (RUN false): exit code 1; the whole build’s output is in the build log';
    const agent = recordingAgent({
      'workspaces/list': () => rpcOk([BUILT]),
      'ports/list': () => rpcOk([]),
      'workspaces/rebuild': () => rpcError(422, 'UNPROCESSABLE_CONTENT', message),
      'workspaces/logs': () => rpcOk({ lines: [{ stream: 'build', time: '2026-12-06T02:00:00.000000001Z', text: 'Step 3/12 : RUN false' }] }),
    });
    open(agent.fetchImpl, '/workspaces/alpha');
    fireEvent.press(await screen.findByTestId('rebuild'));
    // The dialog's button: the screen's own button says Rebuild too.
    fireEvent.press(screen.getAllByText('Rebuild').at(-1)!);
    expect(await screen.findByText(`Could not rebuild alpha: ${message}`)).toBeTruthy();
    fireEvent.press(screen.getByTestId('open-build-log'));
    expect(await screen.findByText('Step 3/12 : RUN false')).toBeTruthy();
    expect(agent.inputsOf('workspaces/logs')[0]).toEqual({ name: 'alpha', tail: 300, build: true });
  });
});

describe('the build log', () => {
  afterEach(() => jest.useRealTimers());

  it('switches from the container log to the build log and follows it', async () => {
    jest.useFakeTimers();
    const at = (second: number, text: string, stream = 'build'): LogLine => ({ stream, time: `2026-12-06T02:00:0${second}.000000001Z`, text });
    let build = [at(1, 'Step 1/12 : FROM debian')];
    const agent = recordingAgent({
      'workspaces/list': () => rpcOk([BUILT]),
      'workspaces/logs': (input) => {
        if (!input.build) return rpcOk({ lines: input.since ? [] : [at(1, 'dockerd started', 'stdout')] });
        const since = input.since as string | undefined;
        return rpcOk({ lines: since ? build.filter((line) => line.time > since) : build, until: build.at(-1)!.time });
      },
    });
    open(agent.fetchImpl, '/workspaces/alpha/logs');
    expect(await screen.findByText('dockerd started')).toBeTruthy();
    expect(agent.inputsOf('workspaces/logs')[0]).toEqual({ name: 'alpha', tail: 300 });

    fireEvent.press(await screen.findByTestId('log-source-build'));
    expect(await screen.findByText('Step 1/12 : FROM debian')).toBeTruthy();
    expect(screen.queryByText('dockerd started')).toBeNull();
    expect(screen.getByTestId('log-source-build').props.accessibilityState).toMatchObject({ selected: true });

    build = [...build, at(2, 'Step 2/12 : RUN apt-get update')];
    await act(async () => {
      jest.advanceTimersByTime(2500);
    });
    expect(await screen.findByText('Step 2/12 : RUN apt-get update')).toBeTruthy();
    expect(agent.inputsOf('workspaces/logs')).toContainEqual({ name: 'alpha', since: build[0]!.time, build: true });
    expect(screen.getByTestId('log-status')).toHaveTextContent('Following new lines · 2 lines');
  });

  it('is not offered for a workspace of the agent’s image', async () => {
    const agent = recordingAgent({ 'workspaces/list': () => rpcOk([ALPHA]), 'workspaces/logs': () => rpcOk({ lines: [] }) });
    open(agent.fetchImpl, '/workspaces/alpha/logs');
    expect(await screen.findByText(/The container has written nothing yet/)).toBeTruthy();
    expect(screen.queryByTestId('log-source-build')).toBeNull();
  });
});
