// The web UI against a real agent and real Docker, in Debian's Chromium. The scenarios run in
// order and share one workspace: sign in, create it, use its terminal, reload and reattach, look
// at every page at desktop and phone width, then stop and delete it. Screenshots land in
// web/test-artifacts/. Whatever happens, the workspace is deleted and the agent stopped.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { Browser, BrowserContext, Page } from 'playwright-core';

import { ensureArtifactsDir, launchBrowser, startAgent, type RunningAgent } from './harness.ts';

const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };
const CREATE_TIMEOUT_MS = 120_000;

let agent: RunningAgent;
let browser: Browser;
let desktop: BrowserContext;
let page: Page;
let artifacts = '';
const workspaceName = `e2e-${randomBytes(3).toString('hex')}`;

async function shot(target: Page, name: string): Promise<void> {
  // Let transitions (dialogs zooming in, toasts) settle so the picture shows the resting state.
  await target.waitForTimeout(350);
  await target.screenshot({ path: join(artifacts, `${name}.png`), fullPage: false });
}

async function newContext(viewport: { width: number; height: number }, colorScheme: 'light' | 'dark' = 'light') {
  return await browser.newContext({
    viewport,
    colorScheme,
    deviceScaleFactor: 1,
    ...(viewport.width < 600 ? { isMobile: true, hasTouch: true } : {}),
  });
}

/** Signs a fresh page in the way a person does: by opening the URL the agent printed. */
async function signedInPage(context: BrowserContext): Promise<Page> {
  const target = await context.newPage();
  await target.goto(`${agent.baseUrl}/?token=${agent.token}`);
  await target.getByRole('heading', { name: 'Workspaces', exact: true }).waitFor();
  return target;
}

/** The visible text of a terminal, from xterm's DOM renderer. */
async function terminalText(target: Page, label = 'Terminal: Shell 1'): Promise<string> {
  const text = await target.getByRole('region', { name: label }).locator('.xterm-rows').innerText();
  return text.replace(/\u00a0/g, ' ');
}

async function waitForTerminalText(target: Page, needle: string | RegExp, label = 'Terminal: Shell 1'): Promise<void> {
  const deadline = Date.now() + 20_000;
  let text = '';
  while (Date.now() < deadline) {
    text = await terminalText(target, label);
    if (typeof needle === 'string' ? text.includes(needle) : needle.test(text)) return;
    await target.waitForTimeout(100);
  }
  assert.fail(`the terminal never showed ${String(needle)}; it shows:\n${text}`);
}

async function waitForTerminalOpen(target: Page, label = 'Terminal: Shell 1'): Promise<void> {
  await target.locator(`[aria-label="${label}"][data-terminal-status="open"]`).waitFor({ timeout: 30_000 });
}

async function typeInTerminal(target: Page, line: string, label = 'Terminal: Shell 1'): Promise<void> {
  await target.getByRole('region', { name: label }).click();
  await target.keyboard.type(line, { delay: 5 });
  await target.keyboard.press('Enter');
}

function terminalIdsOf(target: Page): Promise<(string | null)[]> {
  return target.evaluate((name) => {
    const raw = sessionStorage.getItem(`perry.terminals.${name}`);
    if (!raw) return [];
    return (JSON.parse(raw) as { tabs: { terminalId: string | null }[] }).tabs.map((tab) => tab.terminalId);
  }, workspaceName);
}

before(async () => {
  artifacts = await ensureArtifactsDir();
  agent = await startAgent({ tag: 'e2e' });
  browser = await launchBrowser();
  desktop = await newContext(DESKTOP);
});

after(async () => {
  // Runs even when a scenario failed: no workspace and no agent outlive the suite.
  await browser?.close().catch(() => undefined);
  await agent?.shutdown();
});

describe('Perry web UI', { timeout: 600_000 }, () => {
  test('a wrong token is refused on the login page', async () => {
    const context = await newContext(DESKTOP);
    const login = await context.newPage();
    await login.goto(`${agent.baseUrl}/`);
    await login.getByRole('heading', { name: 'Sign in to Perry' }).waitFor();
    await shot(login, 'login-desktop');
    await login.getByLabel('Access token').fill('not-the-token');
    await login.getByRole('button', { name: 'Sign in' }).click();
    await login.getByText(/That token was refused/).waitFor();
    assert.equal(await login.evaluate(() => localStorage.getItem('perry.token')), null);
    await shot(login, 'login-refused-desktop');

    // A wrong token in the URL ends on the same page, and leaves the address bar too.
    await login.goto(`${agent.baseUrl}/?token=wrong`);
    await login.getByText(/That token was refused/).waitFor();
    assert.ok(!login.url().includes('token='), `the token stayed in the URL: ${login.url()}`);
    await context.close();
  });

  test('signs in from the URL the agent printed, and the token leaves the address bar', async () => {
    const printed = agent.printedUrl();
    assert.ok(printed, `the agent printed no "Open:" URL:\n${agent.log()}`);
    const url = new URL(printed);
    assert.equal(url.searchParams.get('token'), agent.token);
    page = await desktop.newPage();
    // The printed host is the machine's name; the browser here reaches the agent on loopback.
    await page.goto(`${agent.baseUrl}${url.pathname}${url.search}`);
    await page.getByRole('heading', { name: 'Workspaces', exact: true }).waitFor();
    assert.ok(!page.url().includes('token'), `the token stayed in the URL: ${page.url()}`);
    assert.equal(await page.evaluate(() => localStorage.getItem('perry.token')), agent.token);
    await page.getByRole('heading', { name: 'No workspaces yet' }).waitFor();
    await shot(page, 'workspaces-empty-desktop');
  });

  test('creates a workspace from the dialog and sees it running', async () => {
    await page.getByRole('button', { name: 'New workspace' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'New workspace' });
    const name = dialog.getByLabel('Name');
    await name.fill('Not_Valid');
    await dialog.getByText(/Use lowercase/).waitFor();
    assert.equal(await dialog.getByRole('button', { name: 'Create workspace' }).isDisabled(), true);
    await shot(page, 'create-dialog-invalid-desktop');
    await name.fill(workspaceName);
    await shot(page, 'create-dialog-desktop');
    await dialog.getByRole('button', { name: 'Create workspace' }).click();
    await dialog.getByRole('status').filter({ hasText: `Creating ${workspaceName}` }).waitFor();
    await shot(page, 'create-dialog-progress-desktop');
    await dialog.waitFor({ state: 'detached', timeout: CREATE_TIMEOUT_MS });
    const row = page.getByRole('row', { name: workspaceName });
    await row.getByText('Running').waitFor({ timeout: CREATE_TIMEOUT_MS });
    const listed = await agent.rpc<{ name: string; status: string }[]>('workspaces/list');
    assert.deepEqual(listed.map((w) => [w.name, w.status]), [[workspaceName, 'running']]);
    await shot(page, 'workspaces-list-desktop');
  });

  test('opens the terminal, runs a command and sees its output', async () => {
    await page.getByRole('link', { name: workspaceName, exact: true }).first().click();
    await page.waitForURL(`**/workspaces/${workspaceName}/terminal`);
    await page.getByRole('heading', { name: workspaceName }).waitFor();
    await waitForTerminalOpen(page);
    await typeInTerminal(page, 'export PERRY_E2E_MARK=kept-$((40+2))');
    await typeInTerminal(page, 'echo hello-$((6*7))');
    await waitForTerminalText(page, /^hello-42$/m);
    await shot(page, 'workspace-terminal-desktop');
  });

  test('after a reload the tab reattaches to the same shell with its history', async () => {
    const [idBefore] = await terminalIdsOf(page);
    assert.ok(idBefore, 'the tab did not remember its terminal id');
    await page.reload();
    await waitForTerminalOpen(page);
    // The replayed output, from before the reload:
    await waitForTerminalText(page, /^hello-42$/m);
    // The same shell: it still has the variable set before the reload.
    await typeInTerminal(page, 'echo "mark=$PERRY_E2E_MARK"');
    await waitForTerminalText(page, 'mark=kept-42');
    assert.deepEqual(await terminalIdsOf(page), [idBefore]);
    const terminals = await agent.rpc<{ id: string }[]>('terminals/list', { workspaceName });
    assert.deepEqual(terminals.map((t) => t.id), [idBefore]);
  });

  test('a second terminal tab is a second shell', async () => {
    await page.getByRole('button', { name: 'New shell' }).click();
    await waitForTerminalOpen(page, 'Terminal: Shell 2');
    await typeInTerminal(page, 'echo "second=${PERRY_E2E_MARK:-unset}"', 'Terminal: Shell 2');
    await waitForTerminalText(page, 'second=unset', 'Terminal: Shell 2');
    const ids = await terminalIdsOf(page);
    assert.equal(ids.length, 2);
    assert.notEqual(ids[0], ids[1]);
    await shot(page, 'workspace-terminal-tabs-desktop');
    // Closing the tab ends its shell.
    await page.getByRole('button', { name: 'Close Shell 2' }).click();
    const deadline = Date.now() + 10_000;
    let open: { id: string }[] = [];
    while (Date.now() < deadline) {
      open = await agent.rpc<{ id: string }[]>('terminals/list', { workspaceName });
      if (open.length === 1) break;
      await page.waitForTimeout(200);
    }
    assert.deepEqual(open.map((t) => t.id), [ids[0]]);
  });

  test('the sessions tab says whether sessions are available', async () => {
    await page.getByRole('tab', { name: 'Sessions' }).click();
    await page.waitForURL(`**/workspaces/${workspaceName}/sessions`);
    await page.getByText(/Sessions are not available yet|No sessions yet/).or(page.getByRole('list', { name: 'Sessions' })).first().waitFor();
    await shot(page, 'workspace-sessions-desktop');
    await page.getByRole('tab', { name: 'Terminal' }).click();
    await waitForTerminalOpen(page);
  });

  test('the agent page shows version, hostname, uptime, Docker and DinD mode', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Agent' }).click();
    await page.getByRole('heading', { name: 'Agent', exact: true }).waitFor();
    const info = await agent.rpc<{ version: string; hostname: string; dockerVersion?: string }>('agent/info');
    await page.getByText(info.version, { exact: true }).waitFor();
    await page.getByText(info.hostname, { exact: true }).first().waitFor();
    if (info.dockerVersion) await page.getByText(info.dockerVersion, { exact: true }).waitFor();
    for (const label of ['Uptime', 'Docker version', 'Docker-in-Docker mode']) {
      await page.getByRole('heading', { name: label }).waitFor();
    }
    await shot(page, 'agent-desktop');
  });

  test('every page at phone width, in the dark theme', async () => {
    const phone = await newContext(PHONE, 'dark');
    const login = await phone.newPage();
    await login.goto(`${agent.baseUrl}/`);
    await login.getByRole('heading', { name: 'Sign in to Perry' }).waitFor();
    await shot(login, 'login-phone');
    await login.close();

    const mobile = await signedInPage(phone);
    await mobile.getByRole('row', { name: workspaceName }).getByText('Running').waitFor();
    await shot(mobile, 'workspaces-list-phone');
    // Nothing may stick out sideways at 390 px.
    const overflow = await mobile.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `the list page scrolls sideways by ${overflow}px at phone width`);

    await mobile.getByRole('button', { name: 'Open navigation' }).click();
    await mobile.getByRole('dialog').getByRole('link', { name: 'Agent' }).waitFor();
    await shot(mobile, 'navigation-phone');
    await mobile.keyboard.press('Escape');

    await mobile.getByRole('button', { name: 'New workspace' }).first().click();
    await mobile.getByRole('dialog', { name: 'New workspace' }).getByLabel('Name').fill('phone-check');
    await shot(mobile, 'create-dialog-phone');
    await mobile.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();

    await mobile.getByRole('link', { name: workspaceName, exact: true }).first().click();
    // A new browser window has its own tabs, so this opens a second shell next to the desktop's.
    await waitForTerminalOpen(mobile);
    await typeInTerminal(mobile, 'echo phone-$((2*21))');
    await waitForTerminalText(mobile, /^phone-42$/m);
    await shot(mobile, 'workspace-terminal-phone');

    await mobile.getByRole('tab', { name: 'Sessions' }).click();
    await mobile.getByText(/Sessions are not available yet|No sessions yet/).or(mobile.getByRole('list', { name: 'Sessions' })).first().waitFor();
    await shot(mobile, 'workspace-sessions-phone');

    await mobile.goto(`${agent.baseUrl}/agent`);
    await mobile.getByRole('heading', { name: 'Agent', exact: true }).waitFor();
    await mobile.getByRole('heading', { name: 'Uptime' }).waitFor();
    await shot(mobile, 'agent-phone');
    await phone.close();

    // The desktop list in the dark theme too.
    const dark = await newContext(DESKTOP, 'dark');
    const darkPage = await signedInPage(dark);
    await darkPage.getByRole('row', { name: workspaceName }).getByText('Running').waitFor();
    await shot(darkPage, 'workspaces-list-dark-desktop');
    await darkPage.getByRole('link', { name: workspaceName, exact: true }).first().click();
    await waitForTerminalOpen(darkPage);
    await shot(darkPage, 'workspace-terminal-dark-desktop');
    await dark.close();
  });

  test('stops and deletes the workspace from the UI', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Workspaces' }).click();
    const row = page.getByRole('row', { name: workspaceName });
    await row.getByRole('button', { name: `Stop ${workspaceName}` }).click();
    await row.getByText('Stopped').waitFor({ timeout: 60_000 });
    await shot(page, 'workspaces-stopped-desktop');

    await row.getByRole('button', { name: `More actions for ${workspaceName}` }).click();
    await page.getByRole('menuitem', { name: 'Delete…' }).click();
    const dialog = page.getByRole('alertdialog');
    await dialog.getByText(`Delete ${workspaceName}?`).waitFor();
    const confirm = dialog.getByRole('button', { name: 'Delete workspace' });
    assert.equal(await confirm.isDisabled(), true, 'delete must wait for the name to be typed');
    await dialog.getByLabel(/Type .* to confirm/).fill(workspaceName);
    await shot(page, 'delete-dialog-desktop');
    await confirm.click();
    await row.waitFor({ state: 'detached', timeout: 60_000 });
    await page.getByRole('heading', { name: 'No workspaces yet' }).waitFor();
    assert.deepEqual(await agent.rpc('workspaces/list'), []);
  });
});
