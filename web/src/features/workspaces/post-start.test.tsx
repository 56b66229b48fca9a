import type { Workspace } from '@perry/client';
import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';

import { TOKEN_STORAGE_KEY } from '@/features/auth/token-store';
import { installFakeAgent } from '@/test/fake-agent';
import { renderApp } from '@/test/render';

const failed: Workspace = {
  name: 'alpha',
  status: 'running',
  created: '2026-01-01T00:00:00Z',
  image: 'workspace-base',
  ports: { ssh: 2201 },
  postStart: [
    { name: 'deps', finished: true, exitCode: 0, milliseconds: 900 },
    { name: 'seed', finished: true, exitCode: 3, error: 'exited with 3; its output is in the workspace’s log', milliseconds: 40 },
  ],
};

describe('post-start scripts', () => {
  it('warn in the list and on the workspace page, which says why each failed', async () => {
    installFakeAgent({ 'workspaces/list': () => [failed], 'workspaces/get': () => failed });
    localStorage.setItem(TOKEN_STORAGE_KEY, 'good');
    window.history.pushState({}, '', '/workspaces');
    renderApp();
    const row = await screen.findByRole('row', { name: 'alpha' });
    expect(within(row).getByText(/Post-start script failed: seed/)).toHaveAttribute('data-post-start', 'warning');

    window.history.pushState({}, '', '/workspaces/alpha');
    window.dispatchEvent(new PopStateEvent('popstate'));
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent('Post-start script failed: seed');
    expect(alert).toHaveTextContent('seed: exited with 3');
  });
});
