import type { Workspace } from '@perry/client';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';

import { TOKEN_STORAGE_KEY } from '@/features/auth/token-store';
import { AgentError, installFakeAgent, type Procedure } from '@/test/fake-agent';
import { renderApp } from '@/test/render';

// The terminal is not what these tests are about (jsdom has no canvas for xterm).
vi.mock('@/features/terminal/terminal-panel', () => ({ TerminalPanel: () => null }));

const base: Workspace = {
  name: 'alpha',
  status: 'running',
  created: '2026-01-01T00:00:00Z',
  image: 'workspace-base',
  ports: { ssh: 2201 },
  limits: { pids: 8192 },
};

function openWorkspace(workspace: Workspace, path: string, procedures: Record<string, Procedure> = {}) {
  const agent = installFakeAgent({ 'workspaces/list': () => [workspace], ...procedures });
  localStorage.setItem(TOKEN_STORAGE_KEY, 'good');
  window.history.pushState({}, '', `/workspaces/alpha/${path}`);
  renderApp();
  return agent;
}

describe('the workspace page’s tools', () => {
  it('warns of a clone that failed, with git’s words, the URL and the path, and shows the limits', async () => {
    openWorkspace(
      { ...base, clone: { url: 'git://example.com/missing.git', path: '/home/workspace/missing', error: "fatal: remote error: 'missing.git' does not exist" } },
      'run',
    );
    const warning = await screen.findByText(/was not cloned into/);
    const alert = warning.closest('[data-clone="failed"]') as HTMLElement;
    expect(alert).toHaveTextContent('git://example.com/missing.git was not cloned into /home/workspace/missing');
    expect(alert).toHaveTextContent("fatal: remote error: 'missing.git' does not exist");
    expect(screen.getByTestId('limits')).toHaveTextContent('CPU: no limit · Memory: no limit · Processes: 8192');
  });

  it('cannot run a command or sync in a stopped workspace, and says why', async () => {
    openWorkspace({ ...base, status: 'stopped' }, 'run');
    expect(await screen.findByText('The workspace is not running')).toBeInTheDocument();
    expect(screen.getByRole('textbox', { name: 'Command' })).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Sync now' })).toBeDisabled();
  });

  it('runs a typed line in a login shell and shows the agent’s error when it cannot', async () => {
    const agent = openWorkspace(base, 'run', {
      'workspaces/exec': () => new AgentError('CONFLICT', 'Workspace "alpha" is not running; start it first'),
    });
    await userEvent.type(await screen.findByRole('textbox', { name: 'Command' }), 'make test');
    await userEvent.click(screen.getByRole('button', { name: 'Run' }));
    expect(await screen.findByText('Workspace "alpha" is not running; start it first')).toBeInTheDocument();
    expect(agent.calls.find((call) => call.path === 'workspaces/exec')?.input).toEqual({ name: 'alpha', command: ['bash', '-lc', 'make test'] });
  });

  it('lists forwards with their state and a link on this page’s host', async () => {
    openWorkspace(base, 'ports', {
      'ports/list': () => [
        { hostPort: 8080, workspacePort: 3000, active: true },
        { hostPort: 9090, workspacePort: 9090, active: false, error: 'port 9090 is in use on the host' },
      ],
    });
    const list = await screen.findByRole('list', { name: 'Forwarded ports' });
    await waitFor(() => expect(within(list).getAllByRole('listitem')).toHaveLength(2));
    expect(within(list).getByRole('link', { name: 'Open port 8080' })).toHaveAttribute('href', `http://${window.location.hostname}:8080/`);
    expect(within(list).getByText('listening')).toBeInTheDocument();
    expect(within(list).getByText('port 9090 is in use on the host')).toBeInTheDocument();
  });
});
