import { describe, expect, it } from 'vitest';

import { parseWorkspaceView } from './workspaces';

describe('parseWorkspaceView', () => {
  it('reads the tab and a session id', () => {
    expect(parseWorkspaceView('terminal')).toEqual({ tab: 'terminal' });
    expect(parseWorkspaceView('sessions')).toEqual({ tab: 'sessions' });
    expect(parseWorkspaceView('sessions/')).toEqual({ tab: 'sessions' });
    expect(parseWorkspaceView('sessions/0b7c-42')).toEqual({ tab: 'sessions', sessionId: '0b7c-42' });
    expect(parseWorkspaceView('ports')).toEqual({ tab: 'ports' });
    expect(parseWorkspaceView('logs')).toEqual({ tab: 'logs' });
    expect(parseWorkspaceView('run')).toEqual({ tab: 'run' });
  });

  it('refuses anything else (the route then redirects to the terminal)', () => {
    expect(parseWorkspaceView('')).toBeNull();
    expect(parseWorkspaceView('shell')).toBeNull();
    expect(parseWorkspaceView('logs/x')).toBeNull();
    expect(parseWorkspaceView('terminal/x')).toBeNull();
    expect(parseWorkspaceView('sessions/a/b')).toBeNull();
  });
});
