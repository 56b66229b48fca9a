import type { Workspace } from '@perry/client';
import { screen, within } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';

import { TOKEN_STORAGE_KEY } from '@/features/auth/token-store';
import { AgentError, installFakeAgent } from '@/test/fake-agent';
import { renderApp } from '@/test/render';

import { sessionsOf } from './api';

// The terminal tab stays mounted next to Sessions; xterm.js needs a real browser.
vi.mock('@/features/terminal/terminal-view', () => ({ default: () => null }));

const ALPHA: Workspace = { name: 'alpha', status: 'running', created: '2026-01-01T00:00:00Z', image: 'workspace-base', ports: { ssh: 2201 } };

class SilentSocket {
  onopen = null;
  onmessage = null;
  onclose = null;
  close() {}
}

beforeEach(() => {
  vi.stubGlobal('WebSocket', SilentSocket);
  localStorage.setItem(TOKEN_STORAGE_KEY, 'good');
  window.history.pushState({}, '', '/workspaces/alpha/sessions');
});

describe('the Sessions tab', () => {
  it('says sessions are not available yet when the agent answers NOT_IMPLEMENTED', async () => {
    installFakeAgent({
      'workspaces/list': () => [ALPHA],
      'terminals/list': () => [],
      'sessions/list': () => new AgentError('NOT_IMPLEMENTED', 'Sessions are not implemented yet.'),
    });
    renderApp();
    expect(await screen.findByRole('heading', { name: 'Sessions are not available yet' })).toBeInTheDocument();
    expect(screen.getByRole('tab', { name: 'Sessions' })).toHaveAttribute('aria-selected', 'true');
  });

  it('lists sessions newest first, with the agent and the resume command', async () => {
    installFakeAgent({
      'workspaces/list': () => [ALPHA],
      'terminals/list': () => [],
      'sessions/list': () => ({
        total: 2,
        hasMore: false,
        sessions: [
        { sessionId: 's1', title: 'Older work', agent: 'codex', messageCount: 1, lastActivity: '2026-01-01T10:00:00Z', projectPath: '/home/workspace/a', resumeCommand: 'codex resume s1' },
        { sessionId: 's2', title: 'Fix the parser', agent: 'claude-code', messageCount: 12, lastActivity: '2026-01-02T10:00:00Z', projectPath: '/home/workspace/b', resumeCommand: 'claude --resume s2' },
        ],
      }),
    });
    renderApp();
    const list = await screen.findByRole('list', { name: 'Sessions' });
    const titles = within(list).getAllByRole('heading').map((heading) => heading.textContent);
    expect(titles).toEqual(['Fix the parser', 'Older work']);
    expect(within(list).getByText('Claude Code')).toBeInTheDocument();
    expect(within(list).getByText('12 messages')).toBeInTheDocument();
    expect(within(list).getByText('claude --resume s2')).toBeInTheDocument();
    expect(within(list).getAllByRole('button', { name: 'Copy resume command' })).toHaveLength(2);
  });

  it('reads both the paged answer and a bare array', () => {
    const session = { sessionId: 's', title: 't', agent: 'codex', messageCount: 0, lastActivity: '', projectPath: '', resumeCommand: '' };
    expect(sessionsOf({ sessions: [session], total: 1, hasMore: false })).toEqual([session]);
    expect(sessionsOf([session])).toEqual([session]);
    expect(sessionsOf(null)).toEqual([]);
  });

  it('asks to start a stopped workspace instead of loading', async () => {
    const agent = installFakeAgent({ 'workspaces/list': () => [{ ...ALPHA, status: 'stopped' }] });
    renderApp();
    expect(await screen.findByRole('heading', { name: 'The workspace is not running' })).toBeInTheDocument();
    expect(agent.calls.some((call) => call.path === 'sessions/list')).toBe(false);
  });
});
