import type { Workspace } from '@perry/client';
import { describe, expect, it } from 'vitest';

import { suggestCloneName } from './clone-workspace-dialog';
import { progressPercent, progressText, sortWorkspaces } from './list-order';

function workspace(name: string, created: string, lastUsed?: string): Workspace {
  return { name, status: 'running', created, image: 'workspace-base', ports: { ssh: 2201 }, ...(lastUsed ? { lastUsed } : {}) };
}

const ALPHA = workspace('alpha', '2026-01-03T00:00:00Z');
const BETA = workspace('beta', '2026-01-01T00:00:00Z', '2026-01-05T00:00:00Z');
const GAMMA = workspace('gamma', '2026-01-02T00:00:00Z', '2026-01-06T00:00:00Z');
const DELTA = workspace('delta', '2026-01-02T00:00:00Z');
const names = (list: Workspace[]) => list.map((item) => item.name);

describe('sortWorkspaces', () => {
  it('orders by name A–Z', () => {
    expect(names(sortWorkspaces([GAMMA, ALPHA, DELTA, BETA], 'name'))).toEqual(['alpha', 'beta', 'delta', 'gamma']);
  });

  it('orders by created, newest first, ties by name', () => {
    expect(names(sortWorkspaces([BETA, GAMMA, ALPHA, DELTA], 'created'))).toEqual(['alpha', 'delta', 'gamma', 'beta']);
  });

  it('orders by last used, newest first, never-used last by name', () => {
    expect(names(sortWorkspaces([DELTA, ALPHA, BETA, GAMMA], 'lastUsed'))).toEqual(['gamma', 'beta', 'alpha', 'delta']);
  });

  it('puts those where a coding agent waits first, whatever the order', () => {
    expect(names(sortWorkspaces([ALPHA, BETA, GAMMA, DELTA], 'lastUsed', new Set(['delta'])))).toEqual(['delta', 'gamma', 'beta', 'alpha']);
  });

  it('leaves its input as it was', () => {
    const input = [GAMMA, ALPHA];
    sortWorkspaces(input, 'name');
    expect(names(input)).toEqual(['gamma', 'alpha']);
  });
});

describe('progress of a workspace under way', () => {
  it('says the step and its percent, rounded and kept within 0–100', () => {
    expect(progressText({ status: 'creating', progress: { step: 'copying', percent: 41.6 } })).toBe('copying 42%');
    expect(progressText({ status: 'creating', progress: { step: 'pausing alpha' } })).toBe('pausing alpha');
    expect(progressPercent({ step: 'copying', percent: 140 })).toBe(100);
    expect(progressPercent({ step: 'copying', percent: -3 })).toBe(0);
    expect(progressPercent({ step: 'starting' })).toBeUndefined();
  });

  it('says nothing once the workspace is no longer being made', () => {
    expect(progressText({ status: 'running', progress: { step: 'starting' } })).toBeNull();
    expect(progressText({ status: 'creating' })).toBeNull();
  });
});

describe('suggestCloneName', () => {
  it('suggests <source>-copy, numbered when taken, and never longer than a name may be', () => {
    expect(suggestCloneName('alpha', ['alpha'])).toBe('alpha-copy');
    expect(suggestCloneName('alpha', ['alpha', 'alpha-copy', 'alpha-copy-2'])).toBe('alpha-copy-3');
    const long = 'a'.repeat(63);
    expect(suggestCloneName(long, []).length).toBeLessThanOrEqual(63);
  });
});
