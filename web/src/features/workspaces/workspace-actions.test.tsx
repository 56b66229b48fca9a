import type { Workspace } from '@perry/client';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';

import { TOKEN_STORAGE_KEY } from '@/features/auth/token-store';
import { AgentError, installFakeAgent } from '@/test/fake-agent';
import { renderApp } from '@/test/render';

function workspace(status: Workspace['status']): Workspace {
  return { name: 'alpha', status, created: '2026-01-01T00:00:00Z', image: 'workspace-base', ports: { ssh: 2201 } };
}

async function listPage() {
  localStorage.setItem(TOKEN_STORAGE_KEY, 'good');
  window.history.pushState({}, '', '/workspaces');
  const app = renderApp();
  const row = await screen.findByRole('row', { name: 'alpha' });
  return { ...app, row };
}

describe('workspace actions in the list', () => {
  it('stops a running workspace and shows the new status', async () => {
    let current = workspace('running');
    const agent = installFakeAgent({
      'workspaces/list': () => [current],
      'workspaces/stop': () => (current = workspace('stopped')),
    });
    const { row } = await listPage();
    await userEvent.click(within(row).getByRole('button', { name: 'Stop alpha' }));
    await within(row).findByText('Stopped');
    expect(agent.calls.find((call) => call.path === 'workspaces/stop')?.input).toEqual({ name: 'alpha' });
    expect(within(row).getByRole('button', { name: 'Start alpha' })).toBeInTheDocument();
  });

  it("toasts the server's message when a start fails", async () => {
    installFakeAgent({
      'workspaces/list': () => [workspace('stopped')],
      'workspaces/start': () => new AgentError('PRECONDITION_FAILED', 'The image workspace-base is missing: run `perry build`.'),
    });
    const { row, mutationErrors } = await listPage();
    await userEvent.click(within(row).getByRole('button', { name: 'Start alpha' }));
    await waitFor(() =>
      expect(mutationErrors).toEqual([{ title: 'Could not start the workspace', message: 'The image workspace-base is missing: run `perry build`.' }]),
    );
  });

  it('deletes only after the name is typed', async () => {
    let list = [workspace('stopped')];
    const agent = installFakeAgent({
      'workspaces/list': () => list,
      'workspaces/delete': () => {
        list = [];
        return { success: true };
      },
    });
    const { row } = await listPage();
    await userEvent.click(within(row).getByRole('button', { name: 'More actions for alpha' }));
    await userEvent.click(await screen.findByRole('menuitem', { name: 'Delete…' }));
    const dialog = await screen.findByRole('alertdialog');
    const confirm = within(dialog).getByRole('button', { name: 'Delete workspace' });
    expect(confirm).toBeDisabled();
    await userEvent.type(within(dialog).getByLabelText(/to confirm/), 'alph');
    expect(confirm).toBeDisabled();
    expect(agent.calls.some((call) => call.path === 'workspaces/delete')).toBe(false);
    await userEvent.type(within(dialog).getByLabelText(/to confirm/), 'a');
    await userEvent.click(confirm);
    expect(await screen.findByRole('heading', { name: 'No workspaces yet' })).toBeInTheDocument();
    expect(agent.calls.find((call) => call.path === 'workspaces/delete')?.input).toEqual({ name: 'alpha' });
  });
});
