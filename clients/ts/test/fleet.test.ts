import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { AgentInfo } from '../src/api.gen.ts';
import type { PerryClient } from '../src/client.ts';
import { checkHealth, describeAgent, peerBaseUrl, unreachableNote } from '../src/fleet.ts';

const INFO: AgentInfo = {
  version: '0.1.0',
  hostname: 'closet',
  uptime: 5,
  workspacesCount: 3,
  engine: { kind: 'kubernetes', location: 'https://k8s:6443 (perry)' },
  capacity: { cpus: 8, memoryTotalMb: 32768, memoryAvailableMb: 12800, runningWorkspaces: 2, imagePresent: true },
};

function clientAnswering(answer: (signal: AbortSignal | undefined) => Promise<AgentInfo>): PerryClient {
  return { agent: { info: (_input: unknown, options?: { signal?: AbortSignal }) => answer(options?.signal) } } as unknown as PerryClient;
}

test('a peer is reached under /peers/<name> of the serving agent', () => {
  assert.equal(peerBaseUrl('https://box:7391/', 'closet'), 'https://box:7391/peers/closet');
});

test('an agent that answers is up with its round trip', async () => {
  let clock = 100;
  const health = await checkHealth(
    clientAnswering(async () => {
      clock += 7;
      return INFO;
    }),
    { now: () => clock },
  );
  assert.deepEqual(health, { state: 'up', info: INFO, roundTripMs: 7 });
});

test('an agent that does not answer in time is unreachable, without waiting any longer', async () => {
  const started = Date.now();
  const health = await checkHealth(
    clientAnswering(
      (signal) =>
        new Promise((_resolve, reject) => {
          signal?.addEventListener('abort', () => reject(signal.reason));
        }),
    ),
    { timeoutMs: 50 },
  );
  assert.deepEqual(health, { state: 'unreachable', reason: 'no answer within 50 ms' });
  assert.ok(Date.now() - started < 2_000);
});

test('an agent that fails says why', async () => {
  const health = await checkHealth(
    clientAnswering(async () => {
      throw Object.assign(new Error('The agent "closet" (http://10.0.0.2:7391) cannot be reached from this agent: Connection refused'), {
        code: 'BAD_GATEWAY',
        status: 502,
      });
    }),
  );
  assert.equal(health.state, 'unreachable');
  assert.match(health.state === 'unreachable' ? health.reason : '', /Connection refused/);
});

test('one line tells what an agent has', () => {
  assert.equal(describeAgent(INFO, 4), 'Perry 0.1.0 · kubernetes · 3 workspaces · 2 running · 13 GB free · 8 CPUs · 4 ms');
  assert.equal(describeAgent({ version: '0.1.0', hostname: 'h', uptime: 1, workspacesCount: 1 }), 'Perry 0.1.0 · docker · 1 workspace');
});

test('the note under an agent that does not answer reads as sentences', () => {
  assert.equal(unreachableNote('no answer within 2.5 s'), 'no answer within 2.5 s. Its workspaces show again when it answers.');
  assert.equal(unreachableNote('Is it running?'), 'Is it running? Its workspaces show again when it answers.');
});
