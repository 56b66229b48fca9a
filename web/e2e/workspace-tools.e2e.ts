// The workspace tools of issue #21 against a real agent and one real workspace, in Chromium: the
// create dialog refuses a bad repository URL with the agent's own words and creates nothing, then
// creates a workspace that clones a repository from a git daemon on this machine, with limits of
// its own, and the page shows both; a command runs with its output and exit code; a server
// started in the workspace is forwarded and its link reaches it; the container's log is shown,
// followed and searched; a sync lists what it copied. Screenshots (desktop and phone) land in
// PERRY_E2E_SHOTS, or a temp dir the run prints. Whatever happens, the workspace is deleted, the
// agent stopped and the git daemon killed.

import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { Browser, BrowserContext, Page } from 'playwright-core';

import { freePort, launchBrowser, PHONE, startAgent, type RunningAgent } from './harness.ts';

const DESKTOP = { width: 1280, height: 860 };
const CREATE_TIMEOUT_MS = 180_000;
const WORKSPACE = 'tools';

let agent: RunningAgent;
let browser: Browser;
let desktop: BrowserContext;
let page: Page;
let shots = '';
let gitDir = '';
let gitDaemon: ChildProcess | undefined;
let repositoryUrl = '';

async function shot(target: Page, name: string): Promise<void> {
  // Let transitions (toasts, dialogs) settle so the picture shows the resting state.
  await target.waitForTimeout(350);
  await target.screenshot({ path: join(shots, `${name}.png`), fullPage: false });
}

/** A bare repository served by git-daemon on this machine's own address (inside a workspace,
 * 172.17.0.1 is the inner dockerd's bridge), as the agent's clone tests do. */
async function startGitServer(): Promise<string> {
  gitDir = await mkdtemp(join(tmpdir(), 'perry-tools-git-'));
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: gitDir, stdio: 'pipe' });
  git('init', '-q', 'src');
  await writeFile(join(gitDir, 'src', 'README'), 'cloned by perry\n');
  git('-C', 'src', 'add', 'README');
  git('-C', 'src', 'commit', '-q', '-m', 'first');
  await mkdir(join(gitDir, 'srv'));
  git('clone', '-q', '--bare', 'src', 'srv/demo.git');
  const address = execFileSync('hostname', ['-I'], { encoding: 'utf8' })
    .split(/\s+/u)
    .find((candidate) => /^\d+\.\d+\.\d+\.\d+$/u.test(candidate));
  assert.ok(address, 'this machine has an IPv4 address');
  const port = await freePort();
  // git-daemon itself, not `git daemon`, which would leave it running when killed.
  const daemon = join(execFileSync('git', ['--exec-path'], { encoding: 'utf8' }).trim(), 'git-daemon');
  gitDaemon = spawn(daemon, ['--export-all', '--reuseaddr', '--informative-errors', `--port=${port}`, `--listen=${address}`, `--base-path=${join(gitDir, 'srv')}`], {
    stdio: 'ignore',
  });
  const deadline = Date.now() + 10_000;
  for (;;) {
    const listening = await new Promise<boolean>((done) => {
      const socket = connect(port, address, () => {
        socket.destroy();
        done(true);
      });
      socket.once('error', () => done(false));
    });
    if (listening) break;
    if (Date.now() > deadline) throw new Error('git daemon did not listen');
    await new Promise((done) => setTimeout(done, 50));
  }
  return `git://${address}:${port}/demo.git`;
}

async function openTab(target: Page, label: string, path: string): Promise<void> {
  await target.getByRole('tab', { name: label }).click();
  await target.waitForURL(`**/workspaces/${WORKSPACE}/${path}`);
}

/** Runs a command line from the Run tab; resolves when its result shows. */
async function runCommand(target: Page, line: string): Promise<void> {
  const runner = target.getByRole('region', { name: 'Run a command' });
  await runner.getByRole('textbox', { name: 'Command' }).fill(line);
  const answered = target.waitForResponse((response) => response.url().endsWith('/rpc/workspaces/exec'));
  await runner.getByRole('button', { name: 'Run', exact: true }).click();
  await answered;
  await runner.getByRole('region', { name: 'Command result' }).getByText(`$ ${line}`).waitFor();
}

before(async () => {
  shots = process.env.PERRY_E2E_SHOTS ?? (await mkdtemp(join(tmpdir(), 'perry-tools-shots-')));
  await mkdir(shots, { recursive: true });
  console.log(`# screenshots in ${shots}`);
  repositoryUrl = await startGitServer();
  agent = await startAgent({ tag: 'tools' });
  browser = await launchBrowser();
  desktop = await browser.newContext({ viewport: DESKTOP, deviceScaleFactor: 1 });
  page = await desktop.newPage();
  await page.goto(`${agent.baseUrl}/?token=${agent.token}`);
  await page.getByRole('heading', { name: 'Workspaces', exact: true }).waitFor();
});

after(async () => {
  await browser?.close().catch(() => undefined);
  await agent?.shutdown();
  gitDaemon?.kill();
  if (gitDir) await rm(gitDir, { recursive: true, force: true });
});

describe('the workspace tools', { timeout: 900_000 }, () => {
  test('a bad repository URL is refused in the agent’s own words, and nothing is created', async () => {
    const bad = '--upload-pack=touch /tmp/x';
    // What the agent says about it, asked directly: the dialog must say the same.
    const refusal = await agent.rpc('workspaces/create', { name: WORKSPACE, clone: bad }).then(
      () => assert.fail('the agent took a bad URL'),
      (error: Error) => error.message,
    );
    assert.deepEqual(await agent.rpc('workspaces/list'), []);
    await page.getByRole('button', { name: 'New workspace' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'New workspace' });
    await dialog.getByLabel('Name').fill(WORKSPACE);
    await dialog.getByLabel('Repository (optional)').fill(bad);
    const said = await dialog.getByRole('alert').filter({ hasText: 'Cannot clone' }).textContent();
    assert.ok(said && refusal.includes(JSON.stringify(said).slice(1, -1)), `the page says ${said}; the agent says ${refusal}`);
    assert.equal(await dialog.getByRole('button', { name: 'Create workspace' }).isDisabled(), true);
    await shot(page, 'create-bad-url-desktop');
    assert.deepEqual(await agent.rpc('workspaces/list'), []);
  });

  test('a workspace is created with a repository and limits, and its page shows both', async () => {
    const dialog = page.getByRole('dialog', { name: 'New workspace' });
    await dialog.getByLabel('Repository (optional)').fill(repositoryUrl);
    await dialog.getByText('Cloned into /home/workspace/demo').waitFor();
    await dialog.getByText('Image and limits').click();
    await dialog.getByPlaceholder('workspace-base').waitFor();
    await dialog.getByText('Default: 8192').waitFor();
    await dialog.getByLabel('CPUs').fill('1');
    await dialog.getByLabel('Memory (MiB)').fill('1024');
    await dialog.getByLabel('Processes').fill('2048');
    await shot(page, 'create-options-desktop');
    const created = page.waitForResponse((response) => response.url().endsWith('/rpc/workspaces/create'));
    await dialog.getByRole('button', { name: 'Create workspace' }).click();
    const request = (await created).request().postDataJSON() as { json: unknown };
    assert.deepEqual(request.json, { name: WORKSPACE, clone: repositoryUrl, limits: { cpus: 1, memoryMb: 1024, pids: 2048 } });
    await dialog.waitFor({ state: 'detached', timeout: CREATE_TIMEOUT_MS });
    await page.getByRole('row', { name: WORKSPACE }).getByText('Running').waitFor({ timeout: CREATE_TIMEOUT_MS });

    await page.goto(`${agent.baseUrl}/workspaces/${WORKSPACE}/run`);
    await page.getByRole('heading', { name: WORKSPACE }).waitFor();
    assert.equal(await page.getByTestId('limits').textContent(), 'CPU: 1 CPU · Memory: 1024 MiB · Processes: 2048');
    await page.getByText('/home/workspace/demo', { exact: true }).waitFor();
    assert.equal(await page.locator('[data-clone="failed"]').count(), 0, 'a clone that worked is no warning');
    const [listed] = await agent.rpc<{ limits?: unknown; clone?: { path: string; error?: string } }[]>('workspaces/list');
    assert.deepEqual(listed?.limits, { cpus: 1, memoryMb: 1024, pids: 2048 });
    assert.deepEqual(listed?.clone, { url: repositoryUrl, path: '/home/workspace/demo' });
  });

  test('a command runs: its stdout, stderr and exit code show', async () => {
    await runCommand(page, 'cat ~/demo/README; echo to-stderr >&2; exit 3');
    const result = page.getByRole('region', { name: 'Command result' });
    assert.equal(await result.locator('[data-exit-code]').textContent(), 'exit 3');
    assert.equal(await result.locator('pre[aria-label="stdout"]').textContent(), 'cloned by perry\n');
    assert.equal(await result.locator('pre[aria-label="stderr"]').textContent(), 'to-stderr\n');
    await shot(page, 'run-failed-desktop');
    await runCommand(page, 'nproc; whoami');
    assert.equal(await result.locator('[data-exit-code]').textContent(), 'exit 0');
    assert.equal(await result.locator('pre[aria-label="stderr"]').count(), 0);
    assert.match((await result.locator('pre[aria-label="stdout"]').textContent()) ?? '', /workspace/);
    // A timeout is the agent's error, said as such.
    const runner = page.getByRole('region', { name: 'Run a command' });
    await runner.getByText('Options').click();
    await runner.getByLabel('Timeout (seconds)').fill('1');
    await runner.getByRole('textbox', { name: 'Command' }).fill('sleep 5');
    await runner.getByRole('button', { name: 'Run', exact: true }).click();
    await runner.getByRole('alert').getByText('The command ran out of time').waitFor({ timeout: 15_000 });
    await runner.getByRole('alert').getByText('TIMEOUT', { exact: true }).waitFor();
    await shot(page, 'run-timeout-desktop');
    await runner.getByLabel('Timeout (seconds)').fill('');
  });

  test('a sync lists each item with its outcome', async () => {
    const sync = page.getByRole('region', { name: 'Sync' });
    await sync.getByRole('button', { name: 'Sync now' }).click();
    const items = sync.getByRole('list', { name: 'Sync results' }).getByRole('listitem');
    await items.first().waitFor({ timeout: 30_000 });
    assert.ok((await items.count()) > 0);
    assert.equal(await sync.locator('[data-sync-ok="false"]').count(), 0, await sync.textContent() ?? '');
    await shot(page, 'run-sync-desktop');
  });

  test('a port is forwarded, its link reaches a server in the workspace, and it is removed', async () => {
    // A server in the workspace, started from the Run tab, detached so the command returns.
    await runCommand(page, 'mkdir -p /tmp/site && echo hello-from-the-workspace > /tmp/site/index.html && (setsid python3 -m http.server 8765 --directory /tmp/site >/dev/null 2>&1 < /dev/null &) ; echo started');
    const hostPort = await freePort();
    await openTab(page, 'Ports', 'ports');
    const form = page.getByRole('form', { name: 'Forward a port' });
    // A port out of range is refused as typed.
    await form.getByLabel('Workspace port').fill('70000');
    await form.getByText('A port is a whole number from 1 to 65535.').waitFor();
    assert.equal(await form.getByRole('button', { name: 'Forward' }).isDisabled(), true);
    // A host port that is taken (the agent's own) is refused by the agent, in its words.
    await form.getByLabel('Workspace port').fill('8765');
    await form.getByLabel('Host port').fill(String(agent.port));
    await form.getByRole('button', { name: 'Forward' }).click();
    const refusal = form.getByRole('alert').filter({ hasText: 'Could not forward the port' });
    await refusal.waitFor();
    assert.match((await refusal.textContent()) ?? '', new RegExp(String(agent.port)));
    await shot(page, 'ports-refused-desktop');

    await form.getByLabel('Host port').fill(String(hostPort));
    await form.getByRole('button', { name: 'Forward' }).click();
    const row = page.locator(`[data-host-port="${hostPort}"]`);
    await row.getByText('listening').waitFor();
    const link = row.getByRole('link', { name: `Open port ${hostPort}` });
    assert.equal(await link.getAttribute('href'), `http://127.0.0.1:${hostPort}/`);
    assert.equal(await link.getAttribute('target'), '_blank');
    const [opened] = await Promise.all([desktop.waitForEvent('page'), link.click()]);
    await opened.waitForLoadState();
    await opened.getByText('hello-from-the-workspace').waitFor({ timeout: 15_000 });
    await opened.close();
    await shot(page, 'ports-desktop');

    await row.getByRole('button', { name: `Remove forward ${hostPort}` }).click();
    await row.waitFor({ state: 'detached' });
    assert.deepEqual(await agent.rpc('ports/list', { workspaceName: WORKSPACE }), []);
  });

  test('the log shows, follows new lines, marks stderr, and is searched', async () => {
    await openTab(page, 'Logs', 'logs');
    const log = page.getByRole('log', { name: 'Workspace log' });
    await log.locator('[data-stream]').first().waitFor({ timeout: 15_000 });
    // Lines written to the container's own stdout and stderr while the page follows.
    await agent.rpc('workspaces/exec', {
      name: WORKSPACE,
      user: 'root',
      command: ['bash', '-c', 'echo perry-follow-out > /proc/1/fd/1; echo perry-follow-err > /proc/1/fd/2'],
    });
    await log.locator('[data-stream="stdout"]', { hasText: 'perry-follow-out' }).waitFor({ timeout: 10_000 });
    await log.locator('[data-stream="stderr"]', { hasText: 'perry-follow-err' }).waitFor({ timeout: 10_000 });
    // Followed: the view is at its bottom.
    const atBottom = () => log.evaluate((element) => element.scrollHeight - element.scrollTop - element.clientHeight < 4);
    assert.equal(await atBottom(), true);
    await shot(page, 'logs-desktop');

    await page.getByLabel('Search the log').fill('PERRY-FOLLOW');
    await log.locator('mark', { hasText: 'perry-follow' }).first().waitFor();
    assert.equal(await log.locator('[data-stream]').count(), 2);
    await shot(page, 'logs-search-desktop');
    await page.getByLabel('Search the log').fill('');

    // Paused, new lines wait until it follows again.
    await page.getByRole('button', { name: 'Following' }).click();
    await page.getByRole('button', { name: 'Follow', exact: true }).waitFor();
    await agent.rpc('workspaces/exec', { name: WORKSPACE, user: 'root', command: ['bash', '-c', 'echo perry-after-pause > /proc/1/fd/1'] });
    await page.waitForTimeout(3_000);
    assert.equal(await log.getByText('perry-after-pause').count(), 0);
    await page.getByRole('button', { name: 'Follow', exact: true }).click();
    await log.getByText('perry-after-pause').waitFor({ timeout: 10_000 });
  });

  test('on a phone, every tab fits', async () => {
    // A forward to show in its row at phone width.
    const hostPort = await freePort();
    await agent.rpc('ports/forward', { workspaceName: WORKSPACE, forwards: [{ hostPort, workspacePort: 8765 }] });
    const phone = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const mobile = await phone.newPage();
    await mobile.goto(`${agent.baseUrl}/?token=${agent.token}`);
    await mobile.getByRole('heading', { name: 'Workspaces', exact: true }).waitFor();
    await mobile.goto(`${agent.baseUrl}/workspaces/${WORKSPACE}/ports`);
    await mobile.locator(`[data-host-port="${hostPort}"]`).getByText('listening').waitFor();
    await shot(mobile, 'ports-phone');
    await mobile.getByRole('tab', { name: 'Logs' }).click();
    await mobile.getByRole('log', { name: 'Workspace log' }).locator('[data-stream]').first().waitFor({ timeout: 15_000 });
    await shot(mobile, 'logs-phone');
    await mobile.getByRole('tab', { name: 'Run' }).click();
    await runCommand(mobile, 'ls ~/demo; exit 1');
    await shot(mobile, 'run-phone');
    const overflow = await mobile.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `the page is ${overflow}px wider than the phone`);
    // The create dialog with its options open.
    await mobile.goto(`${agent.baseUrl}/workspaces`);
    await mobile.getByRole('button', { name: 'New workspace' }).first().click();
    const dialog = mobile.getByRole('dialog', { name: 'New workspace' });
    await dialog.getByLabel('Repository (optional)').fill(repositoryUrl);
    await dialog.getByText('Image and limits').click();
    await dialog.getByText('Default: 8192').waitFor();
    await shot(mobile, 'create-options-phone');
    await phone.close();
  });
});
