import type { Workspace } from '@perry/client';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';

import { TOKEN_STORAGE_KEY } from '@/features/auth/token-store';
import { AgentError, installFakeAgent } from '@/test/fake-agent';
import { renderApp } from '@/test/render';

async function openDialog() {
  localStorage.setItem(TOKEN_STORAGE_KEY, 'good');
  const { mutationErrors } = renderApp();
  const buttons = await screen.findAllByRole('button', { name: 'New workspace' });
  await userEvent.click(buttons[0]!);
  const name = await screen.findByLabelText('Name');
  return { name, mutationErrors };
}

describe('the create dialog', () => {
  it('checks the name as it is typed', async () => {
    installFakeAgent({ 'workspaces/list': () => [] });
    const { name } = await openDialog();
    await userEvent.type(name, 'Bad_Name');
    expect(name).toHaveAttribute('aria-invalid', 'true');
    expect(screen.getByText(/Use lowercase/)).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Create workspace' })).toBeDisabled();
    await userEvent.clear(name);
    await userEvent.type(name, 'good-name');
    expect(name).toHaveAttribute('aria-invalid', 'false');
    expect(screen.getByRole('button', { name: 'Create workspace' })).toBeEnabled();
  });

  it("shows the server's error when the create still fails", async () => {
    const agent = installFakeAgent({
      'workspaces/list': () => [],
      'workspaces/create': () => new AgentError('CONFLICT', 'A workspace named taken already exists.'),
    });
    const { name, mutationErrors } = await openDialog();
    await userEvent.type(name, 'taken');
    await userEvent.click(screen.getByRole('button', { name: 'Create workspace' }));
    expect(await screen.findByText('A workspace named taken already exists.')).toBeInTheDocument();
    expect(agent.calls.find((call) => call.path === 'workspaces/create')?.input).toEqual({ name: 'taken' });
    // Shown in the dialog, so not toasted as well.
    expect(mutationErrors).toEqual([]);
  });

  it('shows what the agent says about the name under the name field', async () => {
    const message = 'Workspace "taken" already exists';
    installFakeAgent({
      'workspaces/list': () => [],
      'workspaces/create': () => new AgentError('CONFLICT', message, { workspace: 'taken', issues: [{ message, path: ['name'] }] }),
    });
    const { name } = await openDialog();
    await userEvent.type(name, 'taken');
    await userEvent.click(screen.getByRole('button', { name: 'Create workspace' }));
    expect(await screen.findByText(message)).toBeInTheDocument();
    expect(name).toHaveAttribute('aria-invalid', 'true');
    expect(screen.queryByRole('alert')).toBeNull();
    // Typing a new name clears it.
    await userEvent.type(name, '2');
    expect(name).toHaveAttribute('aria-invalid', 'false');
    expect(screen.queryByText(message)).toBeNull();
  });

  it('closes and lists the workspace when the create succeeds', async () => {
    const created: Workspace[] = [];
    installFakeAgent({
      'workspaces/list': () => created,
      'workspaces/create': (input) => {
        const workspace: Workspace = {
          name: (input as { name: string }).name,
          status: 'running',
          created: new Date().toISOString(),
          image: 'workspace-base',
          ports: { ssh: 2201 },
        };
        created.push(workspace);
        return workspace;
      },
    });
    const { name } = await openDialog();
    await userEvent.type(name, 'fresh');
    await userEvent.click(screen.getByRole('button', { name: 'Create workspace' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(await screen.findByRole('link', { name: 'fresh' })).toBeInTheDocument();
  });

  it('sends the repository, image and limits given, and shows the agent defaults', async () => {
    const agent = installFakeAgent({
      'workspaces/list': () => [],
      'config/get': () => ({
        port: 7391,
        workspacePrefix: 'workspace-',
        imageTag: 'workspace-base',
        sshPortRange: { start: 2200, end: 2299 },
        authEnabled: true,
        defaultLimits: { pids: 8192 },
      }),
      'workspaces/create': () => new AgentError('BAD_REQUEST', 'cpus must be at least 0.1 (or 0 for no limit), not 0.05'),
    });
    const { name } = await openDialog();
    await userEvent.type(name, 'alpha');
    const repository = screen.getByLabelText('Repository (optional)');
    await userEvent.type(repository, 'not a url');
    expect(screen.getByText(/^Cannot clone "not a url": it must not start with '-' or contain spaces/)).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Create workspace' })).toBeDisabled();
    await userEvent.clear(repository);
    await userEvent.type(repository, 'https://example.com/team/api.git');
    expect(screen.getByText('Cloned into /home/workspace/api')).toBeInTheDocument();
    await userEvent.click(screen.getByText('Image and limits'));
    expect(await screen.findByPlaceholderText('workspace-base')).toBeInTheDocument();
    expect(screen.getByText('Default: 8192')).toBeInTheDocument();
    expect(screen.getAllByText('Default: no limit')).toHaveLength(2);
    await userEvent.type(screen.getByLabelText('CPUs'), '0.05');
    await userEvent.type(screen.getByLabelText('Memory (MiB)'), '0');
    await userEvent.click(screen.getByRole('button', { name: 'Create workspace' }));
    expect(await screen.findByText('cpus must be at least 0.1 (or 0 for no limit), not 0.05')).toBeInTheDocument();
    expect(agent.calls.find((call) => call.path === 'workspaces/create')?.input).toEqual({
      name: 'alpha',
      clone: 'https://example.com/team/api.git',
      limits: { cpus: 0.05, memoryMb: 0 },
    });
  });
});
