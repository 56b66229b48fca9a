import { describe, expect, it } from 'vitest';

import { openTerminalState, readOpenTerminalRequest } from './open-request';

describe('open-terminal requests', () => {
  it('travel in a location state and come back out', () => {
    const request = { id: 'r1', title: 'Resume: x', command: ['bash', '-lc', 'codex resume x'] };
    expect(readOpenTerminalRequest(openTerminalState(request))).toEqual(request);
  });

  it('ignore any other state', () => {
    expect(readOpenTerminalRequest(null)).toBeNull();
    expect(readOpenTerminalRequest({ other: 1 })).toBeNull();
    expect(readOpenTerminalRequest({ openTerminal: { id: 'r', title: 't', command: [] } })).toBeNull();
    expect(readOpenTerminalRequest({ openTerminal: { id: 'r', title: 't', command: [1] } })).toBeNull();
    expect(readOpenTerminalRequest({ openTerminal: { id: 1, title: 't', command: ['ls'] } })).toBeNull();
  });
});
