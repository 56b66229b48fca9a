import type { RecentSession, SessionInfo, Workspace } from '@perry/client';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

import { TOKEN_STORAGE_KEY } from '@/features/auth/token-store';
import { AgentError, installFakeAgent } from '@/test/fake-agent';
import { renderApp } from '@/test/render';

// The terminal tab stays mounted next to Sessions; xterm.js needs a real browser.
vi.mock('@/features/terminal/terminal-view', () => ({ default: () => <div /> }));

/** A socket that never opens: the lists come from their queries alone. */
class SilentSocket {
  onopen = null;
  onmessage = null;
  onclose = null;
  close() {}
}

const ALPHA: Workspace = { name: 'alpha', status: 'running', created: '2026-01-01T00:00:00Z', image: 'workspace-base', ports: { ssh: 2201 } };

const SESSION: SessionInfo = {
  sessionId: 's1',
  title: 'Fix the login bug',
  agent: 'claude-code',
  messageCount: 3,
  lastActivity: '2026-01-01T10:00:00Z',
  projectPath: '/home/workspace/app',
  resumeCommand: 'claude --resume s1',
};

beforeEach(() => {
  vi.stubGlobal('WebSocket', SilentSocket);
  localStorage.setItem(TOKEN_STORAGE_KEY, 'good');
});

function agentWith(sessions: SessionInfo[], extra: Record<string, (input: unknown) => unknown> = {}) {
  return installFakeAgent({
    'workspaces/list': () => [ALPHA],
    'terminals/list': () => [],
    'sessions/list': () => ({ sessions, total: sessions.length, hasMore: false }),
    'sessions/recent': () => [],
    ...extra,
  });
}

async function openMenu(label: string, item: 'Rename…' | 'Delete…') {
  const list = await screen.findByRole('list', { name: 'Sessions' });
  const row = await within(list).findByRole('listitem', { name: label });
  await userEvent.click(within(row).getByRole('button', { name: `More actions for ${label}` }));
  await userEvent.click(await screen.findByRole('menuitem', { name: item }));
}

describe('renaming a session', () => {
  beforeEach(() => window.history.pushState({}, '', '/workspaces/alpha/sessions'));

  it('shows the name in place of the title, the title beside it', async () => {
    const agent = agentWith([SESSION], { 'sessions/rename': (input) => ({ ...SESSION, name: (input as { name: string }).name }) });
    renderApp();
    await openMenu('Fix the login bug', 'Rename…');
    const dialog = await screen.findByRole('dialog', { name: 'Rename session' });
    await userEvent.type(within(dialog).getByLabelText('Name'), 'Login fix');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Save' }));
    const row = await screen.findByRole('listitem', { name: 'Login fix' });
    expect(within(row).getByText('Fix the login bug')).toBeInTheDocument();
    expect(agent.calls.find((call) => call.path === 'sessions/rename')?.input).toEqual({ workspaceName: 'alpha', sessionId: 's1', name: 'Login fix' });
  });

  it('says the agent’s words when it refuses, and changes nothing', async () => {
    agentWith([SESSION], { 'sessions/rename': () => new AgentError('BAD_REQUEST', 'A session name has at most 200 characters; this one has 1000') });
    renderApp();
    await openMenu('Fix the login bug', 'Rename…');
    const dialog = await screen.findByRole('dialog', { name: 'Rename session' });
    await userEvent.click(within(dialog).getByLabelText('Name'));
    await userEvent.paste('x'.repeat(1000));
    await userEvent.click(within(dialog).getByRole('button', { name: 'Save' }));
    expect(await within(dialog).findByRole('alert')).toHaveTextContent('A session name has at most 200 characters; this one has 1000');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Cancel' }));
    expect(screen.getByRole('listitem', { name: 'Fix the login bug' })).toBeInTheDocument();
  });

  it('clears a name: the title shows again', async () => {
    const agent = agentWith([{ ...SESSION, name: 'Login fix' }], { 'sessions/rename': () => SESSION });
    renderApp();
    await openMenu('Login fix', 'Rename…');
    const dialog = await screen.findByRole('dialog', { name: 'Rename session' });
    await userEvent.click(within(dialog).getByRole('button', { name: 'Clear name' }));
    await screen.findByRole('listitem', { name: 'Fix the login bug' });
    expect(agent.calls.find((call) => call.path === 'sessions/rename')?.input).toEqual({ workspaceName: 'alpha', sessionId: 's1' });
  });
});

describe('deleting a session', () => {
  beforeEach(() => window.history.pushState({}, '', '/workspaces/alpha/sessions'));

  it('asks first, saying the transcript is removed for good, then removes it from the list', async () => {
    const agent = agentWith([SESSION], { 'sessions/delete': () => ({ success: true }) });
    renderApp();
    await openMenu('Fix the login bug', 'Delete…');
    const dialog = await screen.findByRole('alertdialog');
    expect(dialog).toHaveTextContent('removes the session\'s transcript inside alpha for good');
    expect(agent.calls.some((call) => call.path === 'sessions/delete')).toBe(false);
    await userEvent.click(within(dialog).getByRole('button', { name: 'Delete session' }));
    await waitFor(() => expect(screen.queryByRole('listitem', { name: 'Fix the login bug' })).toBeNull());
    expect(agent.calls.find((call) => call.path === 'sessions/delete')?.input).toEqual({ workspaceName: 'alpha', sessionId: 's1' });
  });

  it('says the agent’s words when it cannot', async () => {
    agentWith([SESSION], { 'sessions/delete': () => new AgentError('NOT_FOUND', 'No session "s1" in workspace "alpha"') });
    renderApp();
    await openMenu('Fix the login bug', 'Delete…');
    const dialog = await screen.findByRole('alertdialog');
    await userEvent.click(within(dialog).getByRole('button', { name: 'Delete session' }));
    expect(await within(dialog).findByText('No session "s1" in workspace "alpha"')).toBeInTheDocument();
  });
});

describe('recent sessions on Home', () => {
  beforeEach(() => window.history.pushState({}, '', '/workspaces'));

  it('lists them across workspaces, each leading to its conversation', async () => {
    const recent: RecentSession[] = [
      { workspace: 'alpha', session: { ...SESSION, name: 'Login fix', status: { state: 'needs_input', since: '2026-01-01T10:00:00Z' } }, openedAt: '2026-01-02T00:00:00Z' },
      { workspace: 'beta', session: { ...SESSION, sessionId: 's2', title: 'Add tests', agent: 'codex' } },
    ];
    agentWith([], { 'sessions/recent': () => recent });
    renderApp();
    const list = await screen.findByRole('list', { name: 'Recent sessions' });
    const items = within(list).getAllByRole('listitem');
    expect(items.map((item) => item.getAttribute('aria-label'))).toEqual(['Login fix', 'Add tests']);
    expect(within(items[0]!).getByRole('link', { name: 'Login fix' })).toHaveAttribute('href', '/workspaces/alpha/sessions/s1');
    expect(items[0]).toHaveTextContent('alpha');
    expect(items[0]).toHaveTextContent('Fix the login bug');
    expect(within(items[0]!).getByText('Needs you')).toBeInTheDocument();
    expect(within(items[0]!).getByRole('time')).toHaveAttribute('datetime', '2026-01-02T00:00:00Z');
    expect(within(items[1]!).getByText('Codex')).toBeInTheDocument();
  });

  it('says how sessions appear when there are none', async () => {
    agentWith([]);
    renderApp();
    const card = await screen.findByRole('region', { name: 'Recent sessions' });
    expect(await within(card).findByText(/No sessions yet/)).toBeInTheDocument();
  });
});
