import type { AgentInfo } from '@perry/client';
import { describe, expect, it } from 'vitest';

import { engineNoun } from './engine';

const info = (kind: string | null): AgentInfo =>
  ({ engine: kind === null ? null : { kind, version: '1', location: 'here' } }) as unknown as AgentInfo;

describe('engineNoun', () => {
  it('names what the workspaces run on', () => {
    expect(engineNoun(info('kubernetes'))).toBe('the Kubernetes cluster');
    expect(engineNoun(info('docker'))).toBe('the Docker Engine');
    expect(engineNoun(info(null))).toBe('the Docker Engine');
    expect(engineNoun(undefined)).toBe('the engine');
  });
});
