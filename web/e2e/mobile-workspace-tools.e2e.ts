// The phone app's workspace tools (issue #21) in its web export (mobile/dist) at phone size, against a
// real agent and one real workspace: created from a repository (a git daemon on this machine) after
// a bad URL was refused in the agent's own words with nothing created; a port forwarded, shown
// listening, opened from the phone to reach a server started in the workspace, and removed again;
// the container's log shown, stderr marked, and a new line followed. Screenshots (light and dark
// colour schemes) land in $PERRY_SHOTS or /tmp/shots-mobile/.

import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';

import { cloneDirectory, validateCloneUrl, type PortForwardStatus, type Workspace } from '@perry/client';
import type { Browser, Page } from 'playwright-core';

import { freePort, openPhoneApp, PHONE, startAgent, type RunningAgent } from './harness.ts';

const run = promisify(execFile);
const workspaceName = `mt-${randomBytes(3).toString('hex')}`;
const shotsDir = process.env.PERRY_SHOTS ?? '/tmp/shots-mobile';
/** What the server in the workspace serves, and the port it listens on there. */
const PAGE = `hello-from-${workspaceName}`;
const SERVER_PORT = 5173;

let agent: RunningAgent;
let browser: Browser;
let page: Page;
let server: Server;
let git: { child: ChildProcess; dir: string; url: string } | null = null;
let appUrl = '';

/** A screenshot in the light and in the dark colour scheme. */
async function shots(name: string): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(shotsDir, `${name}-${colorScheme}.png`) });
  }
}

/** Polls `check` until it returns a value, or fails with `what` after `ms`. */
async function eventually<T>(what: string, check: () => Promise<T | null>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check().catch(() => null);
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 250));
  }
}

/** Runs `script` in the workspace through the agent's `workspaces.exec`, as `user`. */
async function exec(script: string, user = 'workspace'): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  return agent.rpc('workspaces/exec', { name: workspaceName, command: ['bash', '-c', script], user });
}

/** The host's IPv4 address: the workspace reaches this machine there (as crates/perry/tests/cli.rs). */
async function hostAddress(): Promise<string> {
  const { stdout } = await run('hostname', ['-I']);
  const address = stdout.split(/\s+/).find((candidate) => /^\d+\.\d+\.\d+\.\d+$/.test(candidate));
  if (!address) throw new Error('the host has no IPv4 address');
  return address;
}

/** A bare repository `demo.git` with one commit, served by git-daemon on the host's address. */
async function startGitServer(): Promise<{ child: ChildProcess; dir: string; url: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'perry-git-'));
  const gitIn = (...args: string[]) => run('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: dir });
  await gitIn('init', '-q', 'src');
  await writeFile(join(dir, 'src', 'README'), 'cloned by the phone\n');
  await gitIn('-C', 'src', 'add', 'README');
  await gitIn('-C', 'src', 'commit', '-q', '-m', 'first');
  await gitIn('clone', '-q', '--bare', 'src', 'srv/demo.git');
  const address = await hostAddress();
  const port = await freePort();
  // git-daemon itself, not `git daemon`, which would leave it running when killed.
  const execPath = (await run('git', ['--exec-path'])).stdout.trim();
  const child = spawn(
    join(execPath, 'git-daemon'),
    ['--export-all', '--reuseaddr', '--informative-errors', `--port=${port}`, `--listen=${address}`, `--base-path=${join(dir, 'srv')}`],
    { stdio: 'ignore' },
  );
  await eventually('git-daemon to listen', () => reachable(address, port).then((yes) => (yes ? true : null)), 10_000);
  return { child, dir, url: `git://${address}:${port}/demo.git` };
}

function reachable(host: string, port: number): Promise<boolean> {
  return new Promise((done) => {
    const socket = connect({ host, port }, () => {
      socket.destroy();
      done(true);
    });
    socket.on('error', () => done(false));
  });
}

describe('Perry phone app: creating from a repository, ports and the log', { timeout: 600_000 }, () => {
  before(async () => {
    ({ appUrl, server, browser, page } = await openPhoneApp());
    await mkdir(shotsDir, { recursive: true });
    agent = await startAgent({ tag: 'phonetools', allowedOrigins: [appUrl] });
    git = await startGitServer();
  });

  after(async () => {
    await browser?.close();
    await agent?.shutdown();
    await new Promise((done) => server?.close(done));
    if (git) {
      git.child.kill();
      await rm(git.dir, { recursive: true, force: true });
    }
  });

  test('a bad repository URL gets the agent’s own words and nothing is created', async () => {
    await page.goto(appUrl);
    await page.getByTestId('address').fill(`${agent.baseUrl}/?token=${agent.token}`);
    await page.getByTestId('connect').click();
    await page.getByTestId('new-workspace').first().click();
    await page.getByTestId('workspace-name').fill(workspaceName);
    const bad = 'github.com/owner/repo';
    await page.getByTestId('workspace-clone').fill(bad);
    const words = validateCloneUrl(bad);
    assert.ok(words);
    await page.getByText(words, { exact: true }).waitFor();
    assert.equal(await page.getByTestId('create').isDisabled(), true);
    await page.getByTestId('workspace-clone').press('Enter');
    await shots('new-bad-url');
    // The agent says the very same when asked, and makes nothing.
    await assert.rejects(agent.rpc('workspaces/create', { name: workspaceName, clone: bad }), (error: Error) => error.message.includes(words.replace(/"/g, '\\"')));
    assert.deepEqual(await agent.rpc<Workspace[]>('workspaces/list'), []);
  });

  test('a workspace is created from a repository, which lands where the form said', async () => {
    const url = git!.url;
    await page.getByTestId('workspace-clone').fill(url);
    assert.equal(await page.getByTestId('clone-directory').innerText(), `Cloned into ~/${cloneDirectory(url)} with the agent’s git credentials.`);
    await shots('new-clone');
    await page.getByTestId('create').click();
    const done = page.getByTestId('clone-done');
    await done.waitFor({ timeout: 180_000 });
    assert.match(await done.innerText(), /\/home\/workspace\/demo/);
    assert.match(await done.innerText(), new RegExp(url.replace(/[.]/g, '\\.')));
    assert.equal((await exec('cat ~/demo/README')).stdout, 'cloned by the phone\n');
    const [workspace] = await agent.rpc<Workspace[]>('workspaces/list');
    assert.deepEqual(workspace?.clone, { url, path: '/home/workspace/demo' });
    await shots('workspace-cloned');
  });

  test('a port is forwarded, shown listening, reaches the workspace’s server from the phone, and is removed', async () => {
    const started = await exec(
      `mkdir -p /tmp/site && echo ${PAGE} > /tmp/site/index.html && cd /tmp/site && ` +
        `setsid nohup python3 -m http.server ${SERVER_PORT} --bind 0.0.0.0 > /tmp/http.log 2>&1 < /dev/null &`,
    );
    assert.equal(started.exitCode, 0, started.stderr);
    const hostPort = await freePort();

    await page.getByText(/No forwards yet/).waitFor();
    await page.getByTestId('port-workspace').fill('70000');
    await page.getByText('The workspace port is a number from 1 to 65535, not 70000.').waitFor();
    await page.getByTestId('port-workspace').fill(String(SERVER_PORT));
    await page.getByTestId('port-host').fill(String(hostPort));
    await page.getByTestId('port-add').click();
    await page.getByTestId(`port-state-${hostPort}`).getByText('listening', { exact: true }).waitFor({ timeout: 30_000 });
    const forwards = await agent.rpc<PortForwardStatus[]>('ports/list', { workspaceName });
    assert.deepEqual(forwards, [{ hostPort, workspacePort: SERVER_PORT, active: true }]);
    await page.getByTestId('ports').scrollIntoViewIfNeeded();
    await shots('ports-listening');

    // The phone opens it in its browser: here, a new tab at the agent's host and the host port.
    const opened = page.context().waitForEvent('page');
    await page.getByTestId(`port-open-${hostPort}`).click();
    const tab = await opened;
    await tab.waitForLoadState();
    assert.equal(tab.url(), `http://127.0.0.1:${hostPort}/`);
    const body = await eventually('the workspace’s server through the forward', async () => {
      const text = await tab.locator('body').innerText();
      if (text.includes(PAGE)) return text;
      await tab.reload();
      return null;
    });
    assert.match(body, new RegExp(PAGE));
    await tab.close();

    // A host port something else holds (the agent's own) is the agent's refusal, shown as it said it.
    const busyPort = Number(new URL(agent.baseUrl).port);
    await page.getByTestId('port-workspace').fill(String(SERVER_PORT));
    await page.getByTestId('port-host').fill(String(busyPort));
    await page.getByTestId('port-add').click();
    const refusal = await agent
      .rpc('ports/forward', { workspaceName, forwards: [{ workspacePort: SERVER_PORT, hostPort: busyPort }] })
      .then(() => 'accepted')
      .catch((error: Error) => (JSON.parse(error.message.replace(/^[^{]*/, '')) as { json: { message: string } }).json.message);
    assert.notEqual(refusal, 'accepted');
    await page.getByText(refusal, { exact: true }).waitFor();
    await shots('ports-refused');
    await page.getByTestId('port-workspace').fill('');
    await page.getByTestId('port-host').fill('');

    await page.getByTestId(`port-remove-${hostPort}`).click();
    await page.getByTestId(`port-${hostPort}`).waitFor({ state: 'detached' });
    await page.getByText(/No forwards yet/).waitFor();
    assert.deepEqual(await agent.rpc('ports/list', { workspaceName }), []);
    assert.equal(await reachable('127.0.0.1', hostPort), false);
    await shots('ports-removed');
  });

  test('the container’s log is shown, stderr marked, and a new line is followed', async () => {
    await page.getByTestId('open-logs').click();
    await page.locator('[data-testid="log-stdout"], [data-testid="log-stderr"]').first().waitFor({ timeout: 30_000 });
    const before = await page.locator('[data-testid="log-stdout"], [data-testid="log-stderr"]').count();
    assert.ok(before > 0);
    await shots('log');

    // PID 1's own stdout and stderr are the container's log.
    const marker = `phone-follows-${randomBytes(4).toString('hex')}`;
    // Enough lines before them that the list must scroll to show the newest.
    const written = await exec(
      `for i in $(seq 1 120); do echo "filler line $i" > /proc/1/fd/1; done; echo ${marker}-out > /proc/1/fd/1; echo ${marker}-err > /proc/1/fd/2`,
      'root',
    );
    assert.equal(written.exitCode, 0, written.stderr);
    await page.getByTestId('log-stdout').getByText(`${marker}-out`, { exact: true }).waitFor({ timeout: 15_000 });
    await page.getByTestId('log-stderr').getByText(`${marker}-err`, { exact: true }).waitFor();
    await page.getByLabel(`stderr: ${marker}-err`).waitFor();
    const status = await page.getByTestId('log-status').innerText();
    assert.match(status, /^Following new lines · \d+ lines$/);
    // Nothing comes twice: a few more asks later, the count is the same (stdout and stderr
    // arrive in either order, so the last line is not always the newest).
    await page.waitForTimeout(5000);
    assert.equal(await page.getByTestId('log-status').innerText(), status);
    // Followed: the newest line is in view at the end of the list.
    assert.equal(await page.getByText(`${marker}-err`, { exact: true }).isVisible(), true);
    const box = await page.getByText(`${marker}-err`, { exact: true }).boundingBox();
    assert.ok(box && box.y + box.height <= PHONE.height, `the new line is at ${JSON.stringify(box)}`);
    await shots('log-followed');

    // Scrolled back to read, the view stays put and says so; the button brings the end back.
    await page.getByText('filler line 3', { exact: true }).scrollIntoViewIfNeeded();
    await page.getByTestId('log-jump').waitFor({ timeout: 10_000 });
    assert.match(await page.getByTestId('log-status').innerText(), /^Paused while you read/);
    await shots('log-paused');
    await page.getByTestId('log-jump').click({ timeout: 10_000 });
    await page.getByTestId('log-jump').waitFor({ state: 'detached', timeout: 10_000 });
    await eventually(
      'the newest line back in view',
      async () => {
        const back = await page.getByText(`${marker}-err`, { exact: true }).boundingBox();
        return back && back.y + back.height <= PHONE.height ? true : null;
      },
      10_000,
    );
    assert.match(await page.getByTestId('log-status').innerText(), /^Following new lines/);
  });
});
