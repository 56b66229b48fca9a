import type { AgentInfo, Workspace } from '@perry/client';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';

import { TOKEN_STORAGE_KEY } from '@/features/auth/token-store';
import { AgentError, installFakeAgent, withToken } from '@/test/fake-agent';
import { renderApp } from '@/test/render';

const INFO: AgentInfo = { version: '0.1.0', hostname: 'box', uptime: 5, workspacesCount: 1 };
const ALPHA: Workspace = { name: 'alpha', status: 'running', created: '2026-01-01T00:00:00Z', image: 'workspace-base', ports: { ssh: 2201 } };

describe('sign-in and the global 401 handling', () => {
  it('shows the login page when no token is stored', async () => {
    installFakeAgent({ 'agent/info': withToken('good', () => INFO) });
    renderApp();
    expect(await screen.findByRole('heading', { name: 'Sign in to Perry' })).toBeInTheDocument();
    expect(screen.getByLabelText('Access token')).toBeInTheDocument();
  });

  it('refuses a wrong token on the login page and keeps nothing', async () => {
    const agent = installFakeAgent({ 'agent/info': withToken('good', () => INFO) });
    renderApp();
    await userEvent.type(await screen.findByLabelText('Access token'), 'wrong');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByText(/That token was refused/)).toBeInTheDocument();
    expect(localStorage.getItem(TOKEN_STORAGE_KEY)).toBeNull();
    expect(agent.calls.some((call) => call.path === 'agent/info' && call.token === 'wrong')).toBe(true);
  });

  it('signs in with the right token and shows the workspaces', async () => {
    installFakeAgent({
      'agent/info': withToken('good', () => INFO),
      'workspaces/list': withToken('good', () => [ALPHA]),
    });
    renderApp();
    await userEvent.type(await screen.findByLabelText('Access token'), 'good');
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('heading', { name: 'Workspaces' })).toBeInTheDocument();
    expect(await screen.findByRole('link', { name: 'alpha' })).toBeInTheDocument();
    expect(localStorage.getItem(TOKEN_STORAGE_KEY)).toBe('good');
  });

  it('returns to the login page and forgets the token when a call is answered 401', async () => {
    localStorage.setItem(TOKEN_STORAGE_KEY, 'stale');
    installFakeAgent({
      'agent/info': withToken('good', () => INFO),
      'workspaces/list': withToken('good', () => [ALPHA]),
    });
    renderApp();
    expect(await screen.findByRole('heading', { name: 'Sign in to Perry' })).toBeInTheDocument();
    expect(screen.getByText(/That token was refused/)).toBeInTheDocument();
    expect(localStorage.getItem(TOKEN_STORAGE_KEY)).toBeNull();
  });

  it('signs in at once when the agent needs no token', async () => {
    installFakeAgent({ 'agent/info': () => INFO, 'workspaces/list': () => [] });
    renderApp();
    expect(await screen.findByRole('heading', { name: 'No workspaces yet' })).toBeInTheDocument();
  });

  it('shows a Docker banner when the agent cannot reach Docker', async () => {
    localStorage.setItem(TOKEN_STORAGE_KEY, 'good');
    installFakeAgent({
      'workspaces/list': () => new AgentError('SERVICE_UNAVAILABLE', 'Docker is not answering at /var/run/docker.sock.'),
    });
    renderApp();
    const alerts = await screen.findAllByRole('alert');
    expect(alerts.some((alert) => /Docker is not available/.test(alert.textContent ?? ''))).toBe(true);
    await waitFor(() => expect(screen.getAllByText(/not answering at \/var\/run\/docker.sock/).length).toBeGreaterThan(0));
  });
});
