// The Settings area (issue #20) against a real agent in Chromium: secrets are set and shown only
// as "set" with their fingerprint (never the value, anywhere in the page); a refused input shows
// the agent's own words; scripts, MCP servers, skills and SSH keys are added, edited and removed;
// a saved change is applied to a real running workspace (✓, and there it is); the token is
// shown, rotated (another browser signed in with the old one is sent to sign in again by its
// socket's 4001) and this page goes on with the new one. The agent gets a HOME of its own, so the
// host's ~/.ssh and files it lists are the test's. Screenshots (desktop, phone, dark) land in
// PERRY_E2E_SHOTS, or a temp dir the run prints.

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';

import { execInContainer, launchBrowser, PHONE, startAgent, type RunningAgent } from './harness.ts';

const DESKTOP = { width: 1280, height: 860 };
const AUTHORIZED_KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBZ0VEPqHSH/vyzmIzbQ6WSwXw0/DvzGjpJxO1XKxqhW laptop@e2e';

let agent: RunningAgent;
let browser: Browser;
let desktop: BrowserContext;
let page: Page;
let home = '';
let shots = '';
/** After the rotation the harness's token is dead: cleanup then goes by the Docker prefix alone. */
let rotated = false;

interface SettingsReply {
  env: { name: string; fingerprint: string; setAt?: string }[];
  files: { host: string; workspace: string }[];
  accounts: { account: string; name: string; fingerprint: string }[];
  scripts: { name: string; script: string; timeoutSeconds?: number }[];
  mcpServers: { name: string; command?: string[]; envNames: string[]; url?: string }[];
  skills: { name: string; description: string }[];
  ssh: { copy: { key: string; workspaces?: string[] }[]; authorized: { key: string; workspaces?: string[] }[] };
}

const settingsNow = () => agent.rpc<SettingsReply>('settings/get');
const fingerprint = (value: string) => createHash('sha256').update(value).digest('hex').slice(0, 8);

async function shot(target: Page, name: string): Promise<void> {
  // Let transitions (toasts, dialogs) settle so the picture shows the resting state.
  await target.waitForTimeout(350);
  // From the top: a full-page picture of a scrolled page draws the sticky bars where they stuck.
  await target.evaluate(() => window.scrollTo(0, 0));
  await target.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

async function newContext(viewport: { width: number; height: number }, colorScheme: 'light' | 'dark' = 'light') {
  return await browser.newContext({
    viewport,
    colorScheme,
    deviceScaleFactor: 1,
    ...(viewport.width < 600 ? { isMobile: true, hasTouch: true } : {}),
  });
}

async function signedInPage(context: BrowserContext, token: string, path = '/'): Promise<Page> {
  const target = await context.newPage();
  await target.goto(`${agent.baseUrl}${path}?token=${token}`);
  return target;
}

async function openSection(target: Page, label: string): Promise<void> {
  await target.getByRole('navigation', { name: 'Settings' }).getByRole('link', { name: label, exact: true }).click();
}

/** Whether the page's DOM holds `text` anywhere (attributes, input values, hidden nodes). */
async function pageHolds(target: Page, text: string): Promise<boolean> {
  const html = await target.content();
  const values = await target.evaluate(() => Array.from(document.querySelectorAll('input, textarea'), (field) => (field as HTMLInputElement).value).join('\n'));
  return html.includes(text) || values.includes(text);
}

/** The texts of a list's rows, in order, by a data attribute. */
async function rowKeys(list: Locator, attribute: string): Promise<string[]> {
  return await list.locator(`[${attribute}]`).evaluateAll((rows, name) => rows.map((row) => row.getAttribute(name) ?? ''), attribute);
}

before(async () => {
  home = await mkdtemp(join(tmpdir(), 'perry-settings-home-'));
  await mkdir(join(home, '.ssh'), { mode: 0o700 });
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'agent@e2e', '-f', join(home, '.ssh', 'id_ed25519')]);
  await writeFile(join(home, '.npmrc'), 'registry=https://registry.example.com/\n');
  shots = process.env.PERRY_E2E_SHOTS ?? (await mkdtemp(join(tmpdir(), 'perry-settings-shots-')));
  await mkdir(shots, { recursive: true });
  console.log(`# screenshots in ${shots}`);
  agent = await startAgent({ tag: 'settings', env: { HOME: home } });
  browser = await launchBrowser();
  desktop = await newContext(DESKTOP);
  page = await signedInPage(desktop, agent.token);
  await page.getByRole('heading', { name: 'Workspaces', exact: true }).waitFor();
});

after(async () => {
  await browser?.close().catch(() => undefined);
  if (rotated) await agent?.stop();
  else await agent?.shutdown();
  if (home) await rm(home, { recursive: true, force: true });
});

describe('the Settings area', { timeout: 600_000 }, () => {
  test('an environment variable is set, and the page shows it set with its fingerprint, never its value', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Settings' }).click();
    await page.waitForURL('**/settings/environment');
    await page.getByRole('heading', { name: 'Settings', exact: true }).waitFor();
    const form = page.getByRole('form', { name: 'Set an environment variable' });
    const value = 'npm-secret-value-4711';
    await form.getByLabel('Name', { exact: true }).fill('NPM_TOKEN');
    await form.getByLabel('Value').fill(value);
    await form.getByRole('button', { name: 'Set variable' }).click();
    const row = page.getByRole('list', { name: 'Environment variables' }).locator('[data-env="NPM_TOKEN"]');
    await row.getByText('Set', { exact: true }).waitFor();
    await row.getByText(`fingerprint ${fingerprint(value)}`).waitFor();
    await row.getByText(/set just now|seconds? ago/).waitFor();
    assert.equal(await form.getByLabel('Value').inputValue(), '', 'the value left the form');
    assert.equal(await pageHolds(page, value), false, 'the value is nowhere in the page');
    const saved = await settingsNow();
    assert.deepEqual(saved.env.map((v) => [v.name, v.fingerprint]), [['NPM_TOKEN', fingerprint(value)]]);
    // Saved: the offer to apply it to running workspaces is there.
    await page.getByRole('region', { name: 'Apply to running workspaces' }).getByRole('button', { name: 'Apply to running workspaces' }).waitFor();
    await shot(page, 'settings-environment-desktop');
  });

  test('a bad variable name is answered with the agent’s own error, and nothing is saved', async () => {
    const form = page.getByRole('form', { name: 'Set an environment variable' });
    await form.getByLabel('Name', { exact: true }).fill('1BAD-NAME');
    // Said while typing, by the same rule the agent has…
    await form.getByRole('alert').filter({ hasText: 'is not a variable name' }).waitFor();
    await form.getByLabel('Value').fill('x');
    // …and sent anyway: the agent is the one that decides, and its words are shown.
    const answer = page.waitForResponse((response) => response.url().endsWith('/rpc/settings/setEnv'));
    await form.getByRole('button', { name: 'Set variable' }).click();
    const response = await answer;
    assert.equal(response.status(), 400);
    const body = (await response.json()) as { json: { message: string; data: { issues: { path: string[] }[] } } };
    assert.deepEqual(body.json.data.issues[0]?.path, ['name']);
    await form.getByRole('alert').filter({ hasText: body.json.message }).waitFor();
    assert.deepEqual((await settingsNow()).env.map((v) => v.name), ['NPM_TOKEN']);
    await shot(page, 'settings-environment-refused-desktop');
    await form.getByLabel('Name', { exact: true }).fill('');
    await form.getByLabel('Value').fill('');
  });

  test('coding-agent keys are set write-only: "Set" and the fingerprint, then removed', async () => {
    await openSection(page, 'Coding agents');
    const apiKey = page.getByRole('form', { name: 'Claude Code API key' });
    await apiKey.locator('[data-secret="unset"]').waitFor();
    const value = 'sk-ant-e2e-secret-0042';
    await apiKey.getByLabel('API key', { exact: true }).fill(value);
    await apiKey.getByRole('button', { name: 'Save' }).click();
    await apiKey.locator(`[data-secret="set"][data-fingerprint="${fingerprint(value)}"]`).waitFor();
    await apiKey.getByText(`fingerprint ${fingerprint(value)}`).waitFor();
    assert.equal(await pageHolds(page, value), false, 'the key is nowhere in the page');

    // A git host's token, by host.
    const github = page.getByRole('form', { name: 'Add a GitHub key' });
    await github.getByLabel('Host').fill('github.com');
    await github.getByLabel('Token').fill('ghp-e2e-token-value');
    await github.getByRole('button', { name: 'Add' }).click();
    const hostRow = page.getByRole('form', { name: 'GitHub github.com' });
    await hostRow.locator(`[data-fingerprint="${fingerprint('ghp-e2e-token-value')}"]`).waitFor();
    assert.equal(await pageHolds(page, 'ghp-e2e-token-value'), false);
    const saved = await settingsNow();
    assert.deepEqual(saved.accounts.map((a) => [a.account, a.name, a.fingerprint]).sort(), [
      ['claudeCode', 'apiKey', fingerprint(value)],
      ['github', 'github.com', fingerprint('ghp-e2e-token-value')],
    ]);
    await shot(page, 'settings-agents-desktop');

    await hostRow.getByRole('button', { name: 'Remove the GitHub github.com' }).click();
    await hostRow.waitFor({ state: 'detached' });
    assert.deepEqual((await settingsNow()).accounts.map((a) => a.account), ['claudeCode']);
  });

  test('post-start scripts are added, reordered, edited and removed', async () => {
    await openSection(page, 'Scripts');
    const form = page.getByRole('form', { name: 'Add a post-start script' });
    const list = page.getByRole('list', { name: 'Post-start scripts' });
    for (const [name, script] of [
      ['greet', 'echo hello > ~/greeted'],
      ['tools', 'npm install -g pnpm'],
    ] as const) {
      await form.getByLabel('Name', { exact: true }).fill(name);
      await form.getByLabel('Script', { exact: true }).fill(script);
      await form.getByRole('button', { name: 'Add script' }).click();
      await list.locator(`[data-script="${name}"]`).waitFor();
    }
    assert.deepEqual(await rowKeys(list, 'data-script'), ['greet', 'tools']);

    // A time limit the agent would refuse is said at once.
    await form.getByLabel('Name', { exact: true }).fill('slow');
    await form.getByLabel('Time limit (s)').fill('4000');
    await form.getByRole('alert').filter({ hasText: 'must be from 1 to 3600 seconds' }).waitFor();
    await form.getByLabel('Name', { exact: true }).fill('');
    await form.getByLabel('Time limit (s)').fill('');

    await list.getByRole('button', { name: 'Move tools up' }).click();
    await page.waitForFunction(() => document.querySelector('[data-script]')?.getAttribute('data-script') === 'tools');
    assert.deepEqual((await settingsNow()).scripts.map((s) => s.name), ['tools', 'greet']);

    await list.getByRole('button', { name: 'Edit greet' }).click();
    const edit = page.getByRole('form', { name: 'Edit greet' });
    await edit.getByLabel('Script', { exact: true }).fill('echo hello again > ~/greeted');
    await edit.getByLabel('Time limit (s)').fill('60');
    await shot(page, 'settings-scripts-edit-desktop');
    await edit.getByRole('button', { name: 'Save script' }).click();
    await edit.waitFor({ state: 'detached' });
    await list.locator('[data-script="greet"]').getByText('At most 60 s').waitFor();
    const greet = (await settingsNow()).scripts.find((s) => s.name === 'greet');
    assert.deepEqual(greet, { name: 'greet', script: 'echo hello again > ~/greeted', timeoutSeconds: 60 });
    assert.deepEqual(await rowKeys(list, 'data-script'), ['tools', 'greet'], 'an edit keeps the script where it was');

    await list.getByRole('button', { name: 'Remove tools' }).click();
    await list.locator('[data-script="tools"]').waitFor({ state: 'detached' });
    assert.deepEqual((await settingsNow()).scripts.map((s) => s.name), ['greet']);
    await shot(page, 'settings-scripts-desktop');
  });

  test('an MCP server is added with a secret environment, edited keeping it, and removed', async () => {
    await openSection(page, 'MCP servers');
    const form = page.getByRole('form', { name: 'Add an MCP server' });
    await form.getByLabel('Name', { exact: true }).fill('memory');
    await form.getByLabel('Command', { exact: true }).fill('npx -y @modelcontextprotocol/server-memory');
    await form.getByRole('button', { name: 'Add variable' }).click();
    await form.getByLabel('Variable name').fill('MEMORY_FILE_PATH');
    await form.getByLabel('Value of MEMORY_FILE_PATH').fill('/secret/memory-e2e.json');
    await form.getByRole('button', { name: 'Add server' }).click();
    const row = page.getByRole('list', { name: 'MCP servers' }).locator('[data-mcp="memory"]');
    await row.getByText('npx -y @modelcontextprotocol/server-memory').waitFor();
    await row.getByText('MEMORY_FILE_PATH').waitFor();
    assert.equal(await pageHolds(page, '/secret/memory-e2e.json'), false, 'the environment value is nowhere in the page');

    // The same name again is the agent's 409, shown as it says it.
    await form.getByLabel('Name', { exact: true }).fill('memory');
    await form.getByLabel('Command', { exact: true }).fill('true');
    await form.getByRole('button', { name: 'Add server' }).click();
    await form.getByRole('alert').filter({ hasText: 'exists already' }).waitFor();
    await form.getByLabel('Name', { exact: true }).fill('');
    await form.getByLabel('Command', { exact: true }).fill('');

    await row.getByRole('button', { name: 'Edit memory' }).click();
    const edit = page.getByRole('form', { name: 'Edit memory' });
    await edit.getByText('Keeps MEMORY_FILE_PATH').waitFor();
    await edit.getByLabel('Command', { exact: true }).fill('npx -y "@modelcontextprotocol/server-memory@latest" --verbose');
    await edit.getByRole('button', { name: 'Save server' }).click();
    await edit.waitFor({ state: 'detached' });
    await row.getByText('npx -y @modelcontextprotocol/server-memory@latest --verbose').waitFor();
    const server = (await settingsNow()).mcpServers.find((s) => s.name === 'memory');
    assert.deepEqual(server?.command, ['npx', '-y', '@modelcontextprotocol/server-memory@latest', '--verbose']);
    assert.deepEqual(server?.envNames, ['MEMORY_FILE_PATH'], 'an edit that leaves the environment out keeps it');
    await shot(page, 'settings-mcp-desktop');

    await row.getByRole('button', { name: 'Remove memory' }).click();
    await row.waitFor({ state: 'detached' });
    assert.deepEqual((await settingsNow()).mcpServers, []);
  });

  test('a skill is added, edited and removed', async () => {
    await openSection(page, 'Skills');
    const form = page.getByRole('form', { name: 'Add a skill' });
    await form.getByLabel('Name', { exact: true }).fill('Release Notes');
    await form.getByRole('alert').filter({ hasText: 'is not a skill name' }).waitFor();
    await form.getByLabel('Name', { exact: true }).fill('release-notes');
    await form.getByLabel('When to use it').fill('Writing release notes from the git log');
    await form.getByLabel('Instructions').fill('# Release notes\n\nGroup the commits by area.');
    await form.getByRole('checkbox', { name: 'Claude Code' }).check();
    await form.getByRole('button', { name: 'Add skill' }).click();
    const row = page.getByRole('list', { name: 'Skills' }).locator('[data-skill="release-notes"]');
    await row.getByText('For Claude Code').waitFor();

    await row.getByRole('button', { name: 'Edit release-notes' }).click();
    const edit = page.getByRole('form', { name: 'Edit release-notes' });
    await edit.getByLabel('When to use it').fill('Writing the release notes of a version');
    await edit.getByRole('button', { name: 'Save skill' }).click();
    await row.getByText('Writing the release notes of a version').waitFor();
    assert.deepEqual(
      (await settingsNow()).skills.map((s) => [s.name, s.description]),
      [['release-notes', 'Writing the release notes of a version']],
    );
    await shot(page, 'settings-skills-desktop');

    await row.getByRole('button', { name: 'Remove release-notes' }).click();
    await row.waitFor({ state: 'detached' });
    assert.deepEqual((await settingsNow()).skills, []);
  });

  test('SSH: the host’s keys are listed with their fingerprints; an authorized key is added, scoped and removed', async () => {
    await openSection(page, 'SSH keys');
    const hostKey = page.getByRole('list', { name: 'This machine’s SSH keys' }).locator('[data-host-key="id_ed25519"]');
    const expected = execFileSync('ssh-keygen', ['-lf', join(home, '.ssh', 'id_ed25519.pub')]).toString().split(/\s+/)[1] ?? '';
    await hostKey.getByText(expected, { exact: true }).waitFor();
    // A click, not check(): the box shows the agent's answer, a moment after the click.
    await hostKey.getByLabel('id_ed25519').click();
    await page.waitForFunction(() => document.querySelector('[data-host-key="id_ed25519"]')?.textContent?.includes('Copied to'));
    assert.equal(await hostKey.getByLabel('id_ed25519').isChecked(), true);
    assert.deepEqual((await settingsNow()).ssh.copy, [{ key: 'id_ed25519' }]);

    const form = page.getByRole('form', { name: 'Authorize a public key' });
    await form.getByLabel('Public key').fill('not a key');
    await form.getByRole('alert').filter({ hasText: 'Not an SSH public key' }).waitFor();
    await form.getByLabel('Public key').fill(AUTHORIZED_KEY);
    await form.getByRole('button', { name: 'Authorize key' }).click();
    const row = page.getByRole('list', { name: 'Authorized keys' }).locator('[data-authorized-key="laptop@e2e"]');
    await row.getByText('May log in to every workspace').waitFor();

    await row.getByRole('button', { name: 'Edit laptop@e2e' }).click();
    await row.getByLabel('Only in workspaces').fill('alpha, beta');
    await row.getByRole('button', { name: 'Save' }).click();
    await row.getByText('May log in to only alpha, beta').waitFor();
    assert.deepEqual((await settingsNow()).ssh.authorized, [{ key: AUTHORIZED_KEY, workspaces: ['alpha', 'beta'] }]);
    await shot(page, 'settings-ssh-desktop');

    await row.getByRole('button', { name: 'Remove laptop@e2e' }).click();
    await row.waitFor({ state: 'detached' });
    assert.deepEqual((await settingsNow()).ssh.authorized, []);
  });

  test('a saved change is applied to a running workspace: ✓, and it is there', async () => {
    const name = 'settings-apply';
    await agent.rpc('workspaces/create', { name });
    await openSection(page, 'Files');
    const files = page.getByRole('form', { name: 'Copy a file into workspaces' });
    await files.getByLabel('On this machine').fill('~/.npmrc');
    assert.equal(await files.getByLabel('In the workspace').inputValue(), '~/.npmrc');
    await files.getByRole('button', { name: 'Copy file' }).click();
    await page.getByRole('list', { name: 'Copied files' }).locator('[data-file="~/.npmrc"]').waitFor();
    await shot(page, 'settings-files-desktop');

    await openSection(page, 'Environment');
    const form = page.getByRole('form', { name: 'Set an environment variable' });
    await form.getByLabel('Name', { exact: true }).fill('APPLY_MARK');
    await form.getByLabel('Value').fill('applied-by-e2e');
    await form.getByRole('button', { name: 'Set variable' }).click();
    await page.getByRole('list', { name: 'Environment variables' }).locator('[data-env="APPLY_MARK"]').waitFor();

    const panel = page.getByRole('region', { name: 'Apply to running workspaces' });
    await panel.getByRole('button', { name: 'Apply to running workspaces' }).click();
    const result = panel.getByRole('list', { name: 'Applied to' }).locator(`[data-workspace="${name}"]`);
    await result.waitFor({ timeout: 60_000 });
    const failures = await result.locator('ul').allInnerTexts();
    assert.equal(await result.getAttribute('data-result'), 'ok', `applying failed: ${failures.join('\n')}`);
    await result.getByLabel('applied').waitFor();
    await shot(page, 'settings-applied-desktop');

    const container = `${agent.prefix}${name}`;
    const environment = await execInContainer(container, 'cat /etc/environment');
    assert.match(environment, /APPLY_MARK="?applied-by-e2e"?/);
    assert.equal(await execInContainer(container, 'cat ~/.npmrc'), 'registry=https://registry.example.com/\n');
    await agent.rpc('workspaces/delete', { name });
  });

  test('the token is shown on request, rotated behind a confirmation, and this page goes on with the new one', async () => {
    // Another browser signed in with the same token, on a page with no calls of its own: the
    // rotation reaches it through its /events socket (4001) alone. Its list polls are held back so
    // that nothing else can tell it first.
    const other = await newContext(DESKTOP);
    const otherPage = await signedInPage(other, agent.token, '/settings/security');
    await otherPage.getByRole('heading', { name: 'Settings', exact: true }).waitFor();
    await otherPage.route(/\/rpc\/(workspaces\/list|peers\/list)$/, (route) => route.abort());

    await openSection(page, 'Security');
    await page.getByRole('button', { name: 'Show token' }).click();
    const shown = page.getByLabel('Token', { exact: true });
    assert.equal(await shown.inputValue(), agent.token);
    await shot(page, 'settings-security-desktop');

    await page.getByRole('button', { name: 'Rotate token…' }).click();
    const dialog = page.getByRole('alertdialog', { name: 'Rotate the token?' });
    await shot(page, 'settings-rotate-confirm-desktop');
    // Cancelling changes nothing.
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'detached' });
    assert.equal((await agent.client().agent.info()).hostname.length > 0, true);

    await page.getByRole('button', { name: 'Rotate token…' }).click();
    await dialog.getByRole('button', { name: 'Rotate token' }).click();
    await dialog.waitFor({ state: 'detached' });
    rotated = true;
    await page.waitForFunction((old) => {
      const field = document.querySelector<HTMLInputElement>('input[readonly]');
      return field !== null && field.value !== '' && field.value !== old;
    }, agent.token);
    const token = await shown.inputValue();
    assert.notEqual(token, agent.token);
    assert.equal(await page.evaluate(() => localStorage.getItem('perry.token')), token, 'the page keeps the new token');

    // The agent refuses the old token now, and takes the new one.
    const oldInfo = await fetch(`${agent.baseUrl}/rpc/agent/info`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${agent.token}` },
      body: '{}',
    });
    assert.equal(oldInfo.status, 401);
    assert.ok((await agent.client({ token }).agent.info()).version);

    // The other browser is at the sign-in page, told why, and keeps no dead token.
    await otherPage.getByRole('heading', { name: 'Sign in to Perry' }).waitFor();
    await otherPage.getByText('The agent’s token was changed (rotated)').waitFor();
    assert.equal(await otherPage.evaluate(() => localStorage.getItem('perry.token')), null);
    await shot(otherPage, 'settings-rotated-elsewhere-desktop');
    await other.close();

    // This page is still signed in and saves with the new token.
    await openSection(page, 'Environment');
    const form = page.getByRole('form', { name: 'Set an environment variable' });
    await form.getByLabel('Name', { exact: true }).fill('AFTER_ROTATION');
    await form.getByLabel('Value').fill('still-works');
    await form.getByRole('button', { name: 'Set variable' }).click();
    await page.getByRole('list', { name: 'Environment variables' }).locator('[data-env="AFTER_ROTATION"]').waitFor();
    const names = (await agent.client({ token }).settings.get()).env.map((v) => v.name);
    assert.ok(names.includes('AFTER_ROTATION'), names.join(', '));
    assert.equal(await page.getByRole('heading', { name: 'Sign in to Perry' }).count(), 0);

    // Every section at phone width and in the dark, signed in with the new token.
    const phone = await newContext(PHONE, 'dark');
    const mobile = await signedInPage(phone, token, '/settings/environment');
    await mobile.getByRole('list', { name: 'Environment variables' }).locator('[data-env="AFTER_ROTATION"]').waitFor();
    for (const [section, title] of [
      ['environment', 'Environment variables'],
      ['agents', 'Coding agents'],
      ['scripts', 'Post-start scripts'],
      ['mcp', 'MCP servers'],
      ['ssh', 'Keys copied into workspaces'],
      ['security', 'Access token'],
    ] as const) {
      await mobile.getByLabel('Settings section').selectOption(section);
      await mobile.waitForURL(`**/settings/${section}`);
      await mobile.getByRole('heading', { name: title, exact: true }).waitFor();
      await shot(mobile, `settings-${section}-phone-dark`);
      const overflow = await mobile.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      assert.ok(overflow <= 0, `${section} scrolls sideways by ${overflow}px at phone width`);
    }
    await phone.close();

    const dark = await newContext(DESKTOP, 'dark');
    const darkPage = await signedInPage(dark, token, '/settings/agents');
    await darkPage.getByRole('form', { name: 'Claude Code API key' }).locator('[data-secret="set"]').waitFor();
    await shot(darkPage, 'settings-agents-dark-desktop');
    await darkPage.goto(`${agent.baseUrl}/settings/ssh`);
    await darkPage.getByRole('list', { name: 'This machine’s SSH keys' }).waitFor();
    await shot(darkPage, 'settings-ssh-dark-desktop');
    await dark.close();
  });
});
