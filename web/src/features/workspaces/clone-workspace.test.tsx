import type { Workspace } from '@perry/client';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it } from 'vitest';

import { TOKEN_STORAGE_KEY } from '@/features/auth/token-store';
import { AgentError, installFakeAgent } from '@/test/fake-agent';
import { renderApp } from '@/test/render';

function workspace(name: string, extra: Partial<Workspace> = {}): Workspace {
  return { name, status: 'running', created: '2026-01-01T00:00:00Z', image: 'workspace-base', ports: { ssh: 2201 }, ...extra };
}

beforeEach(() => {
  localStorage.setItem(TOKEN_STORAGE_KEY, 'good');
  localStorage.removeItem('perry:workspaces-sort');
  window.history.pushState({}, '', '/workspaces');
});

async function openClone() {
  const row = await screen.findByRole('row', { name: 'alpha' });
  await userEvent.click(within(row).getByRole('button', { name: 'More actions for alpha' }));
  await userEvent.click(await screen.findByRole('menuitem', { name: 'Clone…' }));
  return await screen.findByRole('dialog', { name: 'Clone alpha' });
}

describe('cloning a workspace', () => {
  it('checks the name as typed, shows the progress while the agent copies, and offers to open the clone', async () => {
    let list = [workspace('alpha')];
    let finish: (workspace: Workspace) => void = () => undefined;
    const agent = installFakeAgent({
      'workspaces/list': () => list,
      'sessions/recent': () => [],
      'workspaces/clone': () => {
        list = [...list, workspace('beta', { status: 'creating', progress: { step: 'copying', percent: 42 } })];
        return new Promise<Workspace>((done) => (finish = done));
      },
    });
    renderApp();
    const dialog = await openClone();
    const name = within(dialog).getByLabelText('Name of the copy');
    expect(name).toHaveValue('alpha-copy');
    await userEvent.clear(name);
    await userEvent.type(name, 'B');
    expect(within(dialog).getByText(/Use lowercase letters/)).toBeInTheDocument();
    expect(within(dialog).getByRole('button', { name: 'Clone workspace' })).toBeDisabled();
    await userEvent.clear(name);
    await userEvent.type(name, 'beta');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Clone workspace' }));
    expect(agent.calls.find((call) => call.path === 'workspaces/clone')?.input).toEqual({ source: 'alpha', name: 'beta' });

    // The polled list says how far it is: in the dialog, the list row and the sidebar (behind the
    // modal dialog, so hidden from the accessibility tree for now).
    const bar = await within(dialog).findByRole('progressbar', undefined, { timeout: 5_000 });
    expect(bar).toHaveAttribute('aria-valuenow', '42');
    expect(dialog).toHaveTextContent('copying');
    const row = screen.getByRole('row', { name: 'beta', hidden: true });
    expect(within(row).getByRole('progressbar', { hidden: true })).toHaveAttribute('aria-valuenow', '42');
    expect(within(screen.getByRole('navigation', { name: 'Workspaces', hidden: true })).getByText('42%')).toBeInTheDocument();

    list = [workspace('alpha'), workspace('beta')];
    finish(workspace('beta'));
    await userEvent.click(await within(dialog).findByRole('button', { name: 'Open beta' }));
    expect(window.location.pathname).toBe('/workspaces/beta/terminal');
    // Typing and a poll take a while on a busy machine.
  }, 20_000);

  it('says the agent’s words when the name is taken, under the field', async () => {
    installFakeAgent({
      'workspaces/list': () => [workspace('alpha'), workspace('beta')],
      'sessions/recent': () => [],
      'workspaces/clone': () =>
        new AgentError('CONFLICT', 'Workspace "beta" already exists', { workspace: 'beta', issues: [{ path: ['name'], message: 'Workspace "beta" already exists' }] }),
    });
    renderApp();
    const dialog = await openClone();
    const name = within(dialog).getByLabelText('Name of the copy');
    await userEvent.clear(name);
    await userEvent.type(name, 'beta');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Clone workspace' }));
    expect(await within(dialog).findByText('Workspace "beta" already exists')).toBeInTheDocument();
    expect(name).toHaveAttribute('aria-invalid', 'true');
  });

  it('says the agent’s words when the engine cannot clone', async () => {
    installFakeAgent({
      'workspaces/list': () => [workspace('alpha')],
      'sessions/recent': () => [],
      'workspaces/clone': () => new AgentError('PRECONDITION_FAILED', 'Kubernetes cannot copy volumes'),
    });
    renderApp();
    const dialog = await openClone();
    await userEvent.click(within(dialog).getByRole('button', { name: 'Clone workspace' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('Kubernetes cannot copy volumes');
  });
});

describe('last used in the workspace list', () => {
  it('shows when each was last used, "never" when not, and sorts by it', async () => {
    installFakeAgent({
      'workspaces/list': () => [
        workspace('alpha', { lastUsed: '2026-01-02T00:00:00Z' }),
        workspace('beta'),
        workspace('gamma', { lastUsed: '2026-01-03T00:00:00Z' }),
      ],
      'sessions/recent': () => [],
    });
    renderApp();
    const table = await screen.findByRole('table', { name: 'Workspaces' });
    await within(table).findByRole('row', { name: 'alpha' });
    const order = () => within(table).getAllByRole('row').slice(1).map((row) => row.getAttribute('aria-label'));
    expect(order()).toEqual(['alpha', 'beta', 'gamma']);
    const cell = (name: string) => within(table).getByRole('row', { name }).querySelector('[data-column="last-used"]');
    expect(cell('beta')).toHaveTextContent('never');
    expect(cell('gamma')?.querySelector('time')).toHaveAttribute('datetime', '2026-01-03T00:00:00Z');
    await userEvent.click(screen.getByRole('button', { name: 'Sort workspaces: Name' }));
    await userEvent.click(await screen.findByRole('menuitemradio', { name: 'Last used' }));
    expect(order()).toEqual(['gamma', 'alpha', 'beta']);
    expect(localStorage.getItem('perry:workspaces-sort')).toBe('lastUsed');
  });
});
