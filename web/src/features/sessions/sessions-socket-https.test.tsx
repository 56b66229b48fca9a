// @vitest-environment-options { "url": "https://box.tail1234.ts.net:7391/" }
// The page the agent serves over HTTPS: its sockets must be wss:// on the page's own origin, as a
// browser refuses ws:// from an https page.
import type { Workspace } from '@perry/client';
import { screen } from '@testing-library/react';
import { beforeEach, describe, expect, it, vi } from 'vitest';

import { TOKEN_STORAGE_KEY } from '@/features/auth/token-store';
import { installFakeAgent } from '@/test/fake-agent';
import { renderApp } from '@/test/render';

vi.mock('@/features/terminal/terminal-view', () => ({ default: () => null }));

const ALPHA: Workspace = { name: 'alpha', status: 'running', created: '2026-01-01T00:00:00Z', image: 'workspace-base', ports: { ssh: 2201 } };

class FakeSocket {
  static urls: string[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.urls.push(url);
  }
  close() {}
}

beforeEach(() => {
  FakeSocket.urls = [];
  vi.stubGlobal('WebSocket', FakeSocket);
  localStorage.setItem(TOKEN_STORAGE_KEY, 'good');
  window.history.pushState({}, '', '/workspaces/alpha/sessions');
});

describe('an https page', () => {
  it('opens the sessions socket with wss on its own origin and calls /rpc there', async () => {
    const agent = installFakeAgent({
      'workspaces/list': () => [ALPHA],
      'workspaces/get': () => ALPHA,
      'terminals/list': () => [],
      'sessions/list': () => ({ sessions: [], total: 0, hasMore: false }),
    });
    renderApp();
    await screen.findByText('No coding-agent sessions yet');
    expect(window.location.protocol).toBe('https:');
    expect(FakeSocket.urls).toContain('wss://box.tail1234.ts.net:7391/sessions/alpha?token=good');
    const urls = agent.fetch.mock.calls.map(([request]) => (typeof request === 'string' ? request : (request as Request).url));
    expect(urls).not.toEqual([]);
    expect(urls.filter((url) => !url.startsWith('https://box.tail1234.ts.net:7391/rpc/'))).toEqual([]);
  });
});
