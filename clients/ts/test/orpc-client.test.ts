// The real @orpc/client against a real `perry agent run`: the agent must speak oRPC's RPC
// protocol exactly as the client expects it. The agent is started by @perry/client/testing with
// its own config dir, token and workspace prefix, so nothing collides with a real agent or real
// workspaces.
//
// PERRY_BIN overrides the binary (default: <repo>/target/release/perry, else target/debug).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { ORPCError } from '@orpc/client';

import { errorData, fieldErrors, missingWorkspace, type ErrorCode, type PerryClient } from '../src/index.ts';
import { startTestAgent, type TestAgent } from '../src/testing.ts';

let agent: TestAgent;
let token = '';
let baseUrl = '';

/** The last HTTP exchange of a traced client, for failure messages that show the wire. */
interface Exchange {
  method: string;
  url: string;
  requestHeaders: Record<string, string>;
  requestBody: string;
  status?: number;
  responseHeaders?: Record<string, string>;
  responseBody?: string;
}
let lastExchange: Exchange | undefined;

async function tracingFetch(request: Request, init?: RequestInit): Promise<Response> {
  const exchange: Exchange = {
    method: request.method,
    url: request.url,
    requestHeaders: Object.fromEntries(request.headers),
    requestBody: await request.clone().text(),
  };
  if (exchange.requestHeaders.authorization) exchange.requestHeaders.authorization = 'Bearer <token>';
  lastExchange = exchange;
  const response = await fetch(request, init);
  exchange.status = response.status;
  exchange.responseHeaders = Object.fromEntries(response.headers);
  exchange.responseBody = await response.clone().text();
  return response;
}

function wire(): string {
  return `\n--- last exchange ---\n${JSON.stringify(lastExchange, null, 2)}`;
}

function client(options: { token?: string } = { token }): PerryClient {
  return agent.client({ token: options.token, fetch: tracingFetch });
}

/** Asserts that `call` rejects with the ORPCError the agent sent (not one the client made up). */
async function rejectsWith(
  call: () => Promise<unknown>,
  expected: { code: ErrorCode; status: number; message?: RegExp },
): Promise<ORPCError<string, unknown>> {
  let caught: unknown;
  try {
    const value = await call();
    assert.fail(`expected ${expected.code}, but the call resolved with ${JSON.stringify(value)}${wire()}`);
  } catch (error) {
    if (error instanceof assert.AssertionError) throw error;
    caught = error;
  }
  assert.ok(caught instanceof ORPCError, `expected an ORPCError, got ${String(caught)}${wire()}`);
  const error = caught as ORPCError<string, unknown>;
  assert.equal(error.code, expected.code, `code${wire()}`);
  assert.equal(error.status, expected.status, `status${wire()}`);
  // The client falls back to a code derived from the HTTP status when the body is not an oRPC
  // error; such errors are never `defined`, while every error Perry sends is.
  assert.equal(error.defined, true, `defined: the client did not parse an oRPC error body${wire()}`);
  assert.ok(error.message.length > 0, `message${wire()}`);
  if (expected.message) assert.match(error.message, expected.message, `message${wire()}`);
  return error;
}

before(async () => {
  agent = await startTestAgent({ tag: 'client' });
  ({ token, baseUrl } = agent);
});

after(async () => {
  await agent?.stop();
});

describe('@orpc/client against a real Perry agent', () => {
  test('agent.info() returns the version, hostname and a numeric uptime', async () => {
    const info = await client().agent.info();
    assert.equal(typeof info.version, 'string', wire());
    assert.match(info.version, /^\d+\.\d+\.\d+/, wire());
    const health = (await (await fetch(`${baseUrl}/health`)).json()) as { version?: unknown };
    assert.equal(info.version, health.version);
    assert.equal(typeof info.hostname, 'string', wire());
    assert.ok(info.hostname.length > 0, wire());
    assert.equal(typeof info.uptime, 'number', wire());
    assert.ok(Number.isFinite(info.uptime) && info.uptime >= 0, wire());
    assert.ok(Number.isInteger(info.workspacesCount) && info.workspacesCount >= 0, wire());
  });

  test('config.get() returns the written config without the token', async () => {
    const config = await client().config.get();
    assert.equal(config.workspacePrefix, agent.prefix, wire());
    assert.equal(config.authEnabled, true, wire());
    assert.ok(Number.isInteger(config.port), wire());
    assert.equal(typeof config.imageTag, 'string', wire());
    assert.ok(config.sshPortRange.start <= config.sshPortRange.end, wire());
    assert.ok(!JSON.stringify(config).includes(token), 'config.get() leaks the token');
    assert.ok(!lastExchange?.responseBody?.includes(token), 'the config.get response body leaks the token');
  });

  test('workspaces.list() returns an array of workspaces', async () => {
    const list = await client().workspaces.list();
    assert.ok(Array.isArray(list), wire());
    for (const workspace of list) {
      assert.equal(typeof workspace.name, 'string', wire());
      assert.ok(['running', 'stopped', 'creating', 'error'].includes(workspace.status), wire());
    }
    // A void input goes out as an envelope without `json`.
    assert.equal(lastExchange?.method, 'POST');
    assert.equal(new URL(lastExchange?.url ?? '').pathname, '/rpc/workspaces/list');
  });

  test('workspaces.get() of an unknown workspace rejects with NOT_FOUND 404 naming the workspace', async () => {
    const error = await rejectsWith(() => client().workspaces.get({ name: 'does-not-exist' }), {
      code: 'NOT_FOUND',
      status: 404,
    });
    assert.equal(missingWorkspace(error), 'does-not-exist', wire());
  });

  test('terminals.kill() in an unknown workspace names the workspace; a NOT_FOUND without it is no missing workspace', async () => {
    const error = await rejectsWith(() => client().terminals.kill({ workspaceName: 'does-not-exist', id: 'x' }), {
      code: 'NOT_FOUND',
      status: 404,
    });
    assert.equal(missingWorkspace(error), 'does-not-exist', wire());
    assert.equal(missingWorkspace(new ORPCError('NOT_FOUND', { message: 'no terminal x' })), undefined);
  });

  test('workspaces.create() with an invalid name rejects with BAD_REQUEST on the name field', async () => {
    const error = await rejectsWith(() => client().workspaces.create({ name: 'Bad_Name' }), {
      code: 'BAD_REQUEST',
      status: 400,
      message: /lowercase/,
    });
    assert.deepEqual(Object.keys(fieldErrors(error)), ['name'], wire());
    assert.match(fieldErrors(error).name ?? '', /lowercase/);
  });

  test('an input of the wrong shape rejects with BAD_REQUEST "Input validation failed" and where', async () => {
    const error = await rejectsWith(
      () => client().workspaces.create({ name: 'a', limits: { cpus: 'two' } } as unknown as { name: string }),
      { code: 'BAD_REQUEST', status: 400, message: /^Input validation failed$/ },
    );
    assert.deepEqual(errorData(error)?.issues?.[0]?.path, ['limits', 'cpus'], wire());
    assert.match(fieldErrors(error)['limits.cpus'] ?? '', /invalid type/, wire());
  });

  test('a client without a token is rejected with UNAUTHORIZED 401', async () => {
    await rejectsWith(() => client({}).agent.info(), { code: 'UNAUTHORIZED', status: 401 });
    assert.equal(lastExchange?.requestHeaders.authorization, undefined);
  });

  test('a client with a wrong token is rejected with UNAUTHORIZED 401', async () => {
    await rejectsWith(() => client({ token: 'wrong' }).agent.info(), { code: 'UNAUTHORIZED', status: 401 });
  });

  test('sessions.list() of an unknown workspace rejects with NOT_FOUND 404', async () => {
    await rejectsWith(() => client().sessions.list({ workspaceName: 'nope', limit: 10 }), {
      code: 'NOT_FOUND',
      status: 404,
    });
  });

  test('workspaces.sync() of an unknown workspace rejects with NOT_FOUND 404', async () => {
    await rejectsWith(() => client().workspaces.sync({ name: 'nope' }), { code: 'NOT_FOUND', status: 404 });
  });

  test('raw: POST /rpc/nope/nope is a 404 oRPC error body with exactly the five keys', async () => {
    const response = await fetch(`${baseUrl}/rpc/nope/nope`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: '{}',
    });
    const text = await response.text();
    assert.equal(response.status, 404, text);
    assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
    const body = JSON.parse(text) as { json?: Record<string, unknown> };
    assert.deepEqual(Object.keys(body), ['json'], text);
    const error = body.json ?? {};
    assert.deepEqual(Object.keys(error).sort(), ['code', 'data', 'defined', 'message', 'status'], text);
    assert.equal(error.code, 'NOT_FOUND', text);
    assert.equal(error.status, 404, text);
    assert.equal(typeof error.defined, 'boolean', text);
    assert.equal(typeof error.message, 'string', text);
  });

  // Last: the agent is gone afterwards.
  test('agent.kill() resolves to undefined and the agent exits cleanly', async () => {
    const result = await client().agent.kill();
    assert.equal(result, undefined, wire());
    const exited = await Promise.race([
      agent.exited,
      new Promise<'timeout'>((done) => setTimeout(() => done('timeout'), 10_000)),
    ]);
    assert.notEqual(exited, 'timeout', `the agent did not exit after agent.kill():\n${agent.log()}`);
    assert.deepEqual(exited, { code: 0, signal: null }, agent.log());
  });
});
