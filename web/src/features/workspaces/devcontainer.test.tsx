// Workspaces built from a repository's devcontainer.json: the config chosen at create, the
// rebuild with its confirmation and progress, and the build log beside the container's.
import type { LogLine, Workspace } from '@perry/client';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';

import { TOKEN_STORAGE_KEY } from '@/features/auth/token-store';
import { AgentError, installFakeAgent, type Procedure } from '@/test/fake-agent';
import { renderApp } from '@/test/render';

// The terminal is not what these tests are about (jsdom has no canvas for xterm).
vi.mock('@/features/terminal/terminal-panel', () => ({ TerminalPanel: () => null }));

const plain: Workspace = { name: 'alpha', status: 'running', created: '2026-01-01T00:00:00Z', image: 'workspace-base', ports: { ssh: 2201 } };
const built: Workspace = {
  ...plain,
  image: 'perry-devcontainer:0123456789ab',
  clone: { url: 'https://example.com/app.git', path: '/home/workspace/app' },
  devcontainer: '.devcontainer/devcontainer.json',
};

function open(path: string, procedures: Record<string, Procedure>) {
  const agent = installFakeAgent(procedures);
  localStorage.setItem(TOKEN_STORAGE_KEY, 'good');
  window.history.pushState({}, '', path);
  renderApp();
  return agent;
}

async function chooseRebuild() {
  await userEvent.click(await screen.findByRole('button', { name: 'More actions for alpha' }));
  await userEvent.click(await screen.findByRole('menuitem', { name: 'Rebuild…' }));
  return screen.findByRole('alertdialog');
}

describe('the create dialog’s devcontainer config', () => {
  it('shows only with a repository, checks the folder name, and is sent with the clone', async () => {
    const agent = open('/workspaces', { 'workspaces/list': () => [], 'workspaces/create': () => built });
    await userEvent.click((await screen.findAllByRole('button', { name: 'New workspace' }))[0]!);
    await userEvent.type(await screen.findByLabelText('Name'), 'alpha');
    expect(screen.queryByLabelText('Devcontainer config (optional)')).toBeNull();

    await userEvent.type(screen.getByLabelText('Repository (optional)'), 'https://example.com/app.git');
    const config = screen.getByLabelText('Devcontainer config (optional)');
    expect(config).toHaveAttribute('placeholder', 'default: .devcontainer/devcontainer.json');
    expect(screen.getByText(/Empty: the repository’s \.devcontainer\/devcontainer\.json/)).toBeInTheDocument();

    await userEvent.type(config, 'python/devcontainer.json');
    expect(config).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByRole('alert')).toHaveTextContent('is not a folder name');
    expect(screen.getByRole('button', { name: 'Create workspace' })).toBeDisabled();

    await userEvent.clear(config);
    await userEvent.type(config, 'python');
    expect(screen.getByText('Built from .devcontainer/python/devcontainer.json.')).toBeInTheDocument();
    await userEvent.click(screen.getByRole('button', { name: 'Create workspace' }));
    await waitFor(() =>
      expect(agent.calls.find((call) => call.path === 'workspaces/create')?.input).toEqual({
        name: 'alpha',
        clone: 'https://example.com/app.git',
        devcontainer: 'python',
      }),
    );
  });
});

describe('a workspace built from a devcontainer.json', () => {
  it('says what it was built from; one of the agent’s image has neither that nor Rebuild', async () => {
    open('/workspaces/alpha/run', { 'workspaces/list': () => [plain] });
    await userEvent.click(await screen.findByRole('button', { name: 'More actions for alpha' }));
    expect(await screen.findByRole('menuitem', { name: 'Delete…' })).toBeInTheDocument();
    expect(screen.queryByRole('menuitem', { name: 'Rebuild…' })).toBeNull();
    expect(screen.queryByTestId('built-from')).toBeNull();
  });

  it('reports its devcontainer.json commands by their names on the page', async () => {
    open('/workspaces/alpha/run', {
      'workspaces/list': () => [
        {
          ...built,
          postStart: [
            { name: 'onCreateCommand', finished: true, exitCode: 0, milliseconds: 900 },
            { name: 'postCreateCommand', finished: true, exitCode: 1, error: 'exited with 1; its output is in the workspace’s log', milliseconds: 40 },
          ],
        },
      ],
    });
    const title = await screen.findByText(/devcontainer\.json command failed: postCreateCommand/);
    expect(title.closest('[data-post-start]')).toHaveTextContent('postCreateCommand: exited with 1');
  });

  it('is rebuilt after a confirmation that says what is kept, showing the build’s progress meanwhile', async () => {
    let current = built;
    let finish: (workspace: Workspace) => void = () => undefined;
    const agent = open('/workspaces/alpha/run', {
      'workspaces/list': () => [current],
      'workspaces/rebuild': () =>
        new Promise<Workspace>((resolve) => {
          current = { ...built, status: 'creating', progress: { step: 'building: Step 3/12 : RUN apt-get install -y jq' } };
          finish = resolve;
        }),
    });
    expect(await screen.findByTestId('built-from')).toHaveTextContent('Built from .devcontainer/devcontainer.json');

    // Cancelled: nothing happens.
    let dialog = await chooseRebuild();
    await userEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(agent.calls.some((call) => call.path === 'workspaces/rebuild')).toBe(false);

    dialog = await chooseRebuild();
    expect(within(dialog).getByRole('heading', { name: 'Rebuild alpha?' })).toBeInTheDocument();
    expect(dialog).toHaveTextContent('made again from the repository’s current .devcontainer/devcontainer.json');
    expect(dialog).toHaveTextContent('Its home and Docker data are kept; running terminals are closed.');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Rebuild' }));
    expect(agent.calls.find((call) => call.path === 'workspaces/rebuild')?.input).toEqual({ name: 'alpha' });

    expect(await screen.findByRole('progressbar', { name: 'alpha: building: Step 3/12 : RUN apt-get install -y jq' }, { timeout: 3000 })).toBeInTheDocument();
    // Not twice while it runs.
    await userEvent.click(screen.getByRole('button', { name: 'More actions for alpha' }));
    expect(await screen.findByRole('menuitem', { name: 'Rebuild…' })).toHaveAttribute('aria-disabled', 'true');
    await userEvent.keyboard('{Escape}');

    current = built;
    finish(built);
    expect(await screen.findByText('alpha was rebuilt')).toBeInTheDocument();
    await waitFor(() => expect(screen.queryByRole('progressbar')).toBeNull());
  });

  it('says why a rebuild failed, in the agent’s words, with the way to the build log', async () => {
    const message = 'The image build failed at step 3/12 (RUN false): exit code 1; the whole build’s output is in the build log';
    const agent = open('/workspaces/alpha/run', {
      'workspaces/list': () => [built],
      'workspaces/rebuild': () => new AgentError('UNPROCESSABLE_CONTENT', message),
      'workspaces/logs': () => ({ lines: [{ stream: 'build', time: '2026-01-01T00:00:01Z', text: 'Step 3/12 : RUN false' }], until: '2026-01-01T00:00:01Z' }),
    });
    await userEvent.click(within(await chooseRebuild()).getByRole('button', { name: 'Rebuild' }));
    expect(await screen.findByText('Could not rebuild alpha')).toBeInTheDocument();
    expect(screen.getByText(message)).toBeInTheDocument();
    // A click without pointer events: the toast captures the pointer, which jsdom cannot.
    fireEvent.click(screen.getByRole('button', { name: 'Build log' }));
    const log = await screen.findByRole('log', { name: 'Build log' });
    expect(await within(log).findByText('Step 3/12 : RUN false')).toBeInTheDocument();
    expect(agent.calls.find((call) => call.path === 'workspaces/logs')?.input).toEqual({ name: 'alpha', tail: 500, build: true });
  });
});

describe('the log view', () => {
  it('switches between the container log and the build log, and follows new build lines', async () => {
    const line = (stream: string, second: number, text: string): LogLine => ({ stream, time: `2026-01-01T00:00:0${second}Z`, text });
    let buildLines = [line('build', 1, 'Step 1/12 : FROM debian')];
    const agent = open('/workspaces/alpha/logs', {
      'workspaces/list': () => [built],
      'workspaces/logs': (input) => {
        const { build, since } = input as { build?: boolean; since?: string };
        if (!build) return { lines: since ? [] : [line('stdout', 1, 'dockerd started')], until: '2026-01-01T00:00:01Z' };
        const fresh = since ? buildLines.filter((item) => item.time > since) : buildLines;
        return { lines: fresh, until: buildLines.at(-1)!.time };
      },
    });
    expect(await within(await screen.findByRole('log', { name: 'Workspace log' })).findByText('dockerd started')).toBeInTheDocument();
    expect(agent.calls.filter((call) => call.path === 'workspaces/logs').every((call) => (call.input as { build?: boolean }).build === undefined)).toBe(true);

    await userEvent.click(screen.getByRole('tab', { name: 'Build' }));
    const buildLog = await screen.findByRole('log', { name: 'Build log' });
    expect(await within(buildLog).findByText('Step 1/12 : FROM debian')).toBeInTheDocument();
    expect(within(buildLog).queryByText('dockerd started')).toBeNull();

    buildLines = [...buildLines, line('build', 2, 'Step 2/12 : RUN apt-get update')];
    expect(await within(buildLog).findByText('Step 2/12 : RUN apt-get update', undefined, { timeout: 4000 })).toBeInTheDocument();
    expect(agent.calls.filter((call) => call.path === 'workspaces/logs').map((call) => call.input)).toContainEqual({
      name: 'alpha',
      since: '2026-01-01T00:00:01Z',
      build: true,
    });

    await userEvent.click(screen.getByRole('tab', { name: 'Container' }));
    expect(await within(await screen.findByRole('log', { name: 'Workspace log' })).findByText('dockerd started')).toBeInTheDocument();
  });

  it('offers no build log for a workspace of the agent’s image', async () => {
    open('/workspaces/alpha/logs', { 'workspaces/list': () => [plain], 'workspaces/logs': () => ({ lines: [] }) });
    expect(await screen.findByRole('log', { name: 'Workspace log' })).toBeInTheDocument();
    expect(screen.queryByRole('tab', { name: 'Build' })).toBeNull();
  });
});
