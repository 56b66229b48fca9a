// Another website cannot act on the agent, with auth on or with --no-auth (docs/SECURITY.md,
// "Other sites and DNS rebinding"). A page served from another origin (another port) tries every
// request a page may send anywhere: fetch (with and without CORS), a form POST, an <img> GET and
// WebSockets to a terminal and the sessions feed. A name Chromium resolves to the agent's address
// (as DNS rebinding makes it) loads nothing. Afterwards Docker's event log shows nothing created,
// started, exec'd, killed or removed, and the agent still answers.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { createServer } from 'node:http';
import { after, before, describe, test } from 'node:test';

import type { Browser } from 'playwright-core';

import { dockerEvents, freePort, launchBrowser, startAgent, type RunningAgent } from './harness.ts';

const REBOUND_NAME = 'rebound.attacker.test';

let browser: Browser;
let attackerServer: Server;
let attackerUrl = '';
const agents: RunningAgent[] = [];

/** What the attacking page tried and what it saw. */
interface Attempt {
  what: string;
  outcome: string;
}

/**
 * The body of an async function run in the attacker's page with `agentUrl` and `workspace`:
 * every kind of request that would exec in, create, stop or delete a workspace, or stop the
 * agent. Returns what the page could observe. (Plain JavaScript: a function handed to
 * page.evaluate would carry the TypeScript loader's helpers, which the page does not have.)
 */
const ATTACK = `
  const attempts = [];
  const note = (what, outcome) => attempts.push({ what, outcome });
  const envelope = (input) => JSON.stringify({ json: input });
  const calls = [
    ['workspaces/exec', { name: workspace, command: ['touch', '/tmp/pwned'], user: 'root' }],
    ['workspaces/create', { name: workspace + '-x' }],
    ['workspaces/stop', { name: workspace }],
    ['workspaces/delete', { name: workspace }],
    ['agent/kill', undefined],
  ];
  for (const [path, input] of calls) {
    try {
      const response = await fetch(agentUrl + '/rpc/' + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: envelope(input) });
      note('cors fetch ' + path, 'status ' + response.status);
    } catch (error) {
      note('cors fetch ' + path, 'blocked: ' + error);
    }
    try {
      // A simple request: no preflight, the answer is opaque, but it reaches the server.
      await fetch(agentUrl + '/rpc/' + path, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: envelope(input) });
      note('no-cors fetch ' + path, 'sent');
    } catch (error) {
      note('no-cors fetch ' + path, 'blocked: ' + error);
    }
    await new Promise((done) => {
      const frame = document.createElement('iframe');
      frame.name = 'target-' + path.replace('/', '-');
      document.body.append(frame);
      const form = document.createElement('form');
      form.method = 'POST';
      form.action = agentUrl + '/rpc/' + path;
      form.enctype = 'text/plain';
      form.target = frame.name;
      const field = document.createElement('input');
      field.name = '{"json":';
      field.value = JSON.stringify(input === undefined ? null : input) + '}';
      form.append(field);
      document.body.append(form);
      frame.addEventListener('load', () => done(), { once: true });
      setTimeout(done, 3000);
      form.submit();
    });
    note('form POST ' + path, 'submitted');
    await new Promise((done) => {
      const image = new Image();
      image.onload = image.onerror = () => done();
      image.src = agentUrl + '/rpc/' + path + '?data=' + encodeURIComponent(envelope(input));
    });
    note('img GET ' + path, 'loaded or failed');
  }
  const sockets = [
    agentUrl.replace('http', 'ws') + '/terminal/' + workspace + '?cmd=' + encodeURIComponent(JSON.stringify(['touch', '/tmp/pwned'])),
    agentUrl.replace('http', 'ws') + '/sessions/' + workspace,
  ];
  for (const url of sockets) {
    const outcome = await new Promise((done) => {
      const socket = new WebSocket(url);
      socket.onopen = () => {
        socket.send('touch /tmp/pwned\\r');
        setTimeout(() => done('opened'), 500);
      };
      socket.onerror = () => done('refused');
    });
    note('WebSocket ' + url.split('?')[0], outcome);
  }
  return attempts;
`;

/**
 * Waits until Docker has seen nothing of `prefix` for two whole seconds (the agent's start-up
 * probe and a new workspace's readiness checks are over) and returns the time to watch from.
 */
async function quietDocker(prefix: string): Promise<number> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const since = Math.ceil(Date.now() / 1000);
    await new Promise((done) => setTimeout(done, 3_000));
    const until = Math.floor(Date.now() / 1000);
    if ((await dockerEvents(prefix, since, until)).length === 0) return until;
    if (Date.now() > deadline) throw new Error(`Docker did not go quiet for ${prefix}`);
  }
}

async function checkAgentUnharmed(agent: RunningAgent, workspace: string | undefined, since: number): Promise<void> {
  const health = await fetch(`${agent.baseUrl}/health`);
  assert.equal(health.status, 200, 'the agent is still alive');
  // Let Docker's event log catch up with anything the attack might have started.
  await new Promise((done) => setTimeout(done, 1_000));
  const events = await dockerEvents(agent.prefix, since, Math.ceil(Date.now() / 1000));
  const acted = events.filter((event) => /create|start|exec|kill|destroy|die|stop|delete/.test(event));
  assert.deepEqual(acted, [], `Docker saw the attack act: ${acted.join(', ')}`);
  const workspaces = await agent.rpc<{ name: string; status: string }[]>('workspaces/list');
  if (workspace !== undefined) {
    assert.deepEqual(
      workspaces.map((entry) => [entry.name, entry.status]),
      [[workspace, 'running']],
    );
  } else {
    assert.deepEqual(workspaces, []);
  }
}

describe('pages of other sites cannot act on the agent', { timeout: 300_000 }, () => {
  before(async () => {
    const port = await freePort();
    attackerUrl = `http://127.0.0.1:${port}`;
    attackerServer = createServer((_, response) => {
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      response.end('<!doctype html><title>a page the user happens to visit</title><body></body>');
    });
    await new Promise<void>((done) => attackerServer.listen(port, '127.0.0.1', done));
    browser = await launchBrowser([`--host-resolver-rules=MAP ${REBOUND_NAME} 127.0.0.1`]);
  });

  after(async () => {
    await browser?.close();
    for (const agent of agents) await agent.shutdown();
    await new Promise((done) => attackerServer?.close(done));
  });

  for (const noAuth of [true, false]) {
    test(`an agent ${noAuth ? 'with --no-auth' : 'with auth'}`, async () => {
      const agent = await startAgent({ tag: noAuth ? 'xsnoauth' : 'xsauth', noAuth });
      agents.push(agent);
      // With --no-auth the token protects nothing: give the attack a running workspace to hit.
      const workspace = `victim-${randomBytes(2).toString('hex')}`;
      if (noAuth) await agent.rpc('workspaces/create', { name: workspace });
      const since = await quietDocker(agent.prefix);

      const page = await browser.newPage();
      await page.goto(attackerUrl);
      const attempts = (await page.evaluate(
        ([script, url, name]) => new Function('agentUrl', 'workspace', `return (async () => {${script}})();`)(url, name),
        [ATTACK, agent.baseUrl, workspace] as const,
      )) as Attempt[];
      console.log(attempts.map((attempt) => `${attempt.what}: ${attempt.outcome}`).join('\n'));
      for (const attempt of attempts.filter((entry) => entry.what.startsWith('cors fetch') || entry.what.startsWith('WebSocket'))) {
        assert.ok(attempt.outcome !== 'opened' && attempt.outcome !== 'status 200', `${attempt.what}: ${attempt.outcome}`);
      }

      // DNS rebinding: a name that resolves to the agent's address gets nothing, not even the UI.
      const port = new URL(agent.baseUrl).port;
      const rebound = await page.goto(`http://${REBOUND_NAME}:${port}/`);
      assert.equal(rebound?.status(), 403);
      const sameOriginCall = await page.evaluate(async () => {
        const response = await fetch('/rpc/workspaces/list', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
        return response.status;
      });
      assert.equal(sameOriginCall, 403);
      await page.close();

      await checkAgentUnharmed(agent, noAuth ? workspace : undefined, since);
      if (noAuth) {
        const check = await agent.rpc<{ exitCode: number }>('workspaces/exec', { name: workspace, command: ['test', '-e', '/tmp/pwned'] });
        assert.equal(check.exitCode, 1, 'the attack left no file in the workspace');
      }
    });
  }
});
