// Managing sessions and workspaces against a real agent and one real workspace (plus its clone),
// in Chromium: a Claude Code transcript written into the workspace shows in its Sessions tab; it
// is renamed (a 1,000-character name is refused in the agent's own words and changes nothing),
// opened (then it leads Home's recent sessions and the workspace shows when it was last used),
// the workspace is cloned from the UI (its progress shows, the clone runs with the same
// transcript and name), a clone onto a taken name is refused in the agent's words, and the
// session is deleted (gone from the list, its file gone from the workspace, still in the clone).
// Screenshots at desktop and phone widths, dark and light, land in PERRY_E2E_SHOTS (default
// /tmp/shots2). Whatever happens, both workspaces are deleted and the agent stopped.

import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { Browser, BrowserContext, Page } from 'playwright-core';

import { launchBrowser, PHONE, startAgent, type RunningAgent } from './harness.ts';

const DESKTOP = { width: 1280, height: 860 };
const CREATE_TIMEOUT_MS = 240_000;
const WORKSPACE = 'alpha';
const CLONE = 'beta';
const SESSION_ID = '6f1c2a4e-3b5d-4c7e-9a8b-0d1e2f3a4b5c';
const TITLE = 'Fix the login bug';
const NAME = 'Login fix';
const DIR = '/home/workspace/.claude/projects/-home-workspace-app';
const FILE = `${DIR}/${SESSION_ID}.jsonl`;

let agent: RunningAgent;
let browser: Browser;
let desktop: BrowserContext;
let page: Page;
const shots = process.env.PERRY_E2E_SHOTS ?? '/tmp/shots2';

/** A screenshot of `target` in both colour schemes, as `<name>-<scheme>.png`. */
async function shot(target: Page, name: string): Promise<void> {
  for (const colorScheme of ['dark', 'light'] as const) {
    await target.emulateMedia({ colorScheme });
    // Let transitions (toasts, dialogs) settle so the picture shows the resting state.
    await target.waitForTimeout(350);
    await target.screenshot({ path: join(shots, `${name}-${colorScheme}.png`) });
  }
}

/** Runs a shell script in a workspace as user `workspace`, through the agent. */
async function exec(workspace: string, script: string): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  return await agent.rpc('workspaces/exec', { name: workspace, user: 'workspace', command: ['bash', '-c', script] });
}

/** What the agent says when it refuses `input` at `path` (its error message), failing if it takes it. */
async function refusal(path: string, input: unknown): Promise<string> {
  const response = await fetch(`${agent.baseUrl}/rpc/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${agent.token}` },
    body: JSON.stringify({ json: input }),
  });
  const body = (await response.json()) as { json?: { message?: string } };
  assert.ok(!response.ok, `the agent took ${path} ${JSON.stringify(input).slice(0, 80)}`);
  assert.ok(body.json?.message, `a message with the refusal: ${JSON.stringify(body)}`);
  return body.json.message;
}

interface Listed {
  name: string;
  status: string;
  lastUsed?: string;
}

async function workspace(name: string): Promise<Listed | undefined> {
  return (await agent.rpc<Listed[]>('workspaces/list')).find((item) => item.name === name);
}

function sessionRow(target: Page, label: string) {
  return target.getByRole('list', { name: 'Sessions' }).getByRole('listitem', { name: label, exact: true });
}

async function openSessionMenu(target: Page, label: string, item: 'Rename…' | 'Delete…'): Promise<void> {
  await sessionRow(target, label).getByRole('button', { name: `More actions for ${label}` }).click();
  await target.getByRole('menuitem', { name: item }).click();
}

before(async () => {
  await mkdir(shots, { recursive: true });
  console.log(`# screenshots in ${shots}`);
  agent = await startAgent({ tag: 'sessions' });
  await agent.rpc('workspaces/create', { name: WORKSPACE });
  // A Claude Code transcript, as the tool writes it.
  const line = JSON.stringify({
    parentUuid: null,
    isSidechain: false,
    type: 'user',
    sessionId: SESSION_ID,
    cwd: '/home/workspace/app',
    uuid: 'u1',
    timestamp: '2026-12-05T10:00:00.000Z',
    message: { role: 'user', content: TITLE },
  });
  const written = await exec(WORKSPACE, `mkdir -p ${DIR} && echo ${Buffer.from(line + '\n').toString('base64')} | base64 -d > ${FILE}`);
  assert.equal(written.exitCode, 0, written.stderr);
  browser = await launchBrowser();
  desktop = await browser.newContext({ viewport: DESKTOP, deviceScaleFactor: 1 });
  page = await desktop.newPage();
  await page.goto(`${agent.baseUrl}/?token=${agent.token}`);
  await page.getByRole('heading', { name: 'Workspaces', exact: true }).waitFor();
});

after(async () => {
  await browser?.close().catch(() => undefined);
  await agent?.shutdown();
});

describe('managing sessions and workspaces', { timeout: 900_000 }, () => {
  test('a workspace never opened says so, and Home lists the session for its activity', async () => {
    const row = page.getByRole('row', { name: WORKSPACE });
    await row.locator('[data-column="last-used"] [data-last-used="never"]').waitFor();
    assert.equal((await workspace(WORKSPACE))?.lastUsed, undefined);
    const recent = page.getByRole('region', { name: 'Recent sessions' });
    // The transcript counts as activity: it is listed even before anyone opened it.
    await recent.getByRole('listitem', { name: TITLE }).waitFor({ timeout: 30_000 });
    await shot(page, 'home-before-desktop');
  });

  test('a session is renamed; a 1,000-character name is refused in the agent’s words and changes nothing', async () => {
    await page.goto(`${agent.baseUrl}/workspaces/${WORKSPACE}/sessions`);
    await sessionRow(page, TITLE).waitFor({ timeout: 60_000 });
    const long = 'x'.repeat(1000);
    const said = await refusal('sessions/rename', { workspaceName: WORKSPACE, sessionId: SESSION_ID, name: long });

    await openSessionMenu(page, TITLE, 'Rename…');
    const dialog = page.getByRole('dialog', { name: 'Rename session' });
    await dialog.getByLabel('Name').fill(long);
    await dialog.getByRole('button', { name: 'Save' }).click();
    const alert = dialog.getByRole('alert');
    await alert.waitFor();
    assert.ok(((await alert.textContent()) ?? '').includes(said), `the page says ${await alert.textContent()}; the agent says ${said}`);
    await shot(page, 'rename-refused-desktop');
    const unchanged = await agent.rpc<{ name?: string; title: string }>('sessions/get', { workspaceName: WORKSPACE, sessionId: SESSION_ID });
    assert.equal(unchanged.name, undefined);

    await dialog.getByLabel('Name').fill(NAME);
    await dialog.getByRole('button', { name: 'Save' }).click();
    await dialog.waitFor({ state: 'detached' });
    const row = sessionRow(page, NAME);
    await row.waitFor();
    // The tool's title stays in sight under the name.
    assert.equal(await row.locator('[data-session-title]').textContent(), TITLE);
    const renamed = await agent.rpc<{ name?: string }>('sessions/get', { workspaceName: WORKSPACE, sessionId: SESSION_ID });
    assert.equal(renamed.name, NAME);
    await shot(page, 'sessions-renamed-desktop');
  });

  test('an opened session leads Home’s recent sessions, and the workspace shows when it was used', async () => {
    await sessionRow(page, NAME).getByRole('link', { name: NAME }).click();
    const conversation = page.getByRole('region', { name: 'Session' });
    await conversation.getByRole('heading', { name: NAME }).waitFor();
    await conversation.getByText(TITLE).first().waitFor();
    await shot(page, 'conversation-renamed-desktop');

    await page.getByRole('link', { name: 'Workspaces' }).first().click();
    await page.getByRole('heading', { name: 'Workspaces', exact: true }).waitFor();
    const recent = page.getByRole('region', { name: 'Recent sessions' }).getByRole('list', { name: 'Recent sessions' });
    const first = recent.getByRole('listitem').first();
    await first.getByRole('link', { name: NAME }).waitFor({ timeout: 15_000 });
    assert.match((await first.textContent()) ?? '', new RegExp(WORKSPACE));
    const listed = await agent.rpc<{ workspace: string; session: { sessionId: string }; openedAt?: string }[]>('sessions/recent', {});
    assert.equal(listed[0]?.session.sessionId, SESSION_ID);
    assert.ok(listed[0]?.openedAt, 'opening it was recorded');

    const used = (await workspace(WORKSPACE))?.lastUsed;
    assert.ok(used, 'the workspace has a last-used time');
    const row = page.getByRole('row', { name: WORKSPACE });
    await row.locator(`[data-column="last-used"] [data-last-used="${used}"]`).waitFor({ timeout: 10_000 });
    // Sorted by last used, and remembered.
    await page.getByRole('button', { name: /^Sort workspaces/ }).click();
    await page.getByRole('menuitemradio', { name: 'Last used' }).click();
    await page.getByRole('button', { name: 'Sort workspaces: Last used' }).waitFor();
    await shot(page, 'home-recent-desktop');

    await first.getByRole('link', { name: NAME }).click();
    await page.waitForURL(`**/workspaces/${WORKSPACE}/sessions/${SESSION_ID}`);
    await page.getByRole('region', { name: 'Session' }).getByRole('heading', { name: NAME }).waitFor();
    await page.locator('dl').getByText('Last used').waitFor({ state: 'attached' });
  });

  test('the workspace is cloned from the UI: progress shows, and the clone runs with the same session', async () => {
    await page.goto(`${agent.baseUrl}/workspaces/${WORKSPACE}/run`);
    await page.getByRole('heading', { name: WORKSPACE }).waitFor();
    // Every step the page shows while the clone runs, wherever it shows one.
    await page.evaluate(() => {
      const seen = new Set<string>();
      (window as unknown as { perrySteps: Set<string> }).perrySteps = seen;
      new MutationObserver(() => {
        for (const element of document.querySelectorAll('[data-progress-step]')) seen.add(element.getAttribute('data-progress-step') ?? '');
      }).observe(document.body, { subtree: true, childList: true, attributes: true });
    });
    await page.getByRole('button', { name: `More actions for ${WORKSPACE}` }).click();
    await page.getByRole('menuitem', { name: 'Clone…' }).click();
    const dialog = page.getByRole('dialog', { name: `Clone ${WORKSPACE}` });
    const name = dialog.getByLabel('Name of the copy');
    assert.equal(await name.inputValue(), `${WORKSPACE}-copy`);
    await name.fill('Beta');
    await dialog.getByText('Use lowercase letters').waitFor();
    assert.equal(await dialog.getByRole('button', { name: 'Clone workspace' }).isDisabled(), true);
    await name.fill(CLONE);
    await dialog.getByRole('button', { name: 'Clone workspace' }).click();
    await dialog.getByRole('progressbar').first().waitFor({ timeout: 60_000 });
    await shot(page, 'clone-progress-desktop');
    await dialog.getByRole('button', { name: `Open ${CLONE}` }).waitFor({ timeout: CREATE_TIMEOUT_MS });
    const steps = await page.evaluate(() => [...(window as unknown as { perrySteps: Set<string> }).perrySteps]);
    assert.ok(steps.length > 0, 'a step of the clone showed');
    console.log(`# clone steps seen: ${steps.join(', ')}`);
    await shot(page, 'clone-done-desktop');
    await dialog.getByRole('button', { name: `Open ${CLONE}` }).click();
    await page.waitForURL(`**/workspaces/${CLONE}/terminal`);
    await page.getByRole('heading', { name: CLONE }).waitFor();
    assert.equal((await workspace(CLONE))?.status, 'running');
    const copied = await exec(CLONE, `cat ${FILE}`);
    assert.equal(copied.exitCode, 0, copied.stderr);
    assert.match(copied.stdout, new RegExp(TITLE));
    // The name given in the original came along.
    await page.getByRole('tab', { name: 'Sessions' }).click();
    await sessionRow(page, NAME).waitFor({ timeout: 60_000 });
  });

  test('a clone onto a taken name is refused in the agent’s words', async () => {
    const said = await refusal('workspaces/clone', { source: WORKSPACE, name: CLONE });
    await page.goto(`${agent.baseUrl}/workspaces/${WORKSPACE}/sessions`);
    await page.getByRole('heading', { name: WORKSPACE }).waitFor();
    await page.getByRole('button', { name: `More actions for ${WORKSPACE}` }).click();
    await page.getByRole('menuitem', { name: 'Clone…' }).click();
    const dialog = page.getByRole('dialog', { name: `Clone ${WORKSPACE}` });
    await dialog.getByLabel('Name of the copy').fill(CLONE);
    await dialog.getByRole('button', { name: 'Clone workspace' }).click();
    await dialog.getByText(said).waitFor();
    await shot(page, 'clone-taken-desktop');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    assert.equal((await agent.rpc<Listed[]>('workspaces/list')).length, 2);
  });

  test('a session is deleted: gone from the list and from the workspace, kept in the clone', async () => {
    await openSessionMenu(page, NAME, 'Delete…');
    const dialog = page.getByRole('alertdialog');
    await dialog.getByText('for good').waitFor();
    await shot(page, 'session-delete-desktop');
    await dialog.getByRole('button', { name: 'Delete session' }).click();
    await sessionRow(page, NAME).waitFor({ state: 'detached' });
    await page.getByText('No coding-agent sessions yet').waitFor({ timeout: 15_000 });
    const gone = await exec(WORKSPACE, `test -e ${FILE}; echo $?`);
    assert.equal(gone.stdout.trim(), '1');
    const kept = await exec(CLONE, `test -e ${FILE}; echo $?`);
    assert.equal(kept.stdout.trim(), '0');
  });

  test('on a phone, Home, the sessions list and the dialogs fit', async () => {
    const phone = await browser.newContext({ viewport: PHONE, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    const mobile = await phone.newPage();
    await mobile.goto(`${agent.baseUrl}/?token=${agent.token}`);
    await mobile.getByRole('heading', { name: 'Workspaces', exact: true }).waitFor();
    await mobile.getByRole('region', { name: 'Recent sessions' }).getByRole('link', { name: NAME }).waitFor({ timeout: 15_000 });
    await shot(mobile, 'home-phone');
    await mobile.getByRole('region', { name: 'Recent sessions' }).scrollIntoViewIfNeeded();
    await shot(mobile, 'home-recent-phone');
    const overflow = () => mobile.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok((await overflow()) <= 0, 'Home fits');
    await mobile.goto(`${agent.baseUrl}/workspaces/${CLONE}/sessions`);
    await sessionRow(mobile, NAME).waitFor({ timeout: 60_000 });
    await shot(mobile, 'sessions-phone');
    assert.ok((await overflow()) <= 0, 'the sessions list fits');
    await openSessionMenu(mobile, NAME, 'Rename…');
    await mobile.getByRole('dialog', { name: 'Rename session' }).getByRole('button', { name: 'Clear name' }).waitFor();
    await shot(mobile, 'rename-phone');
    await mobile.getByRole('dialog', { name: 'Rename session' }).getByRole('button', { name: 'Clear name' }).click();
    // Cleared: the tool's title shows again.
    await sessionRow(mobile, TITLE).waitFor();
    await openSessionMenu(mobile, TITLE, 'Delete…');
    await mobile.getByRole('alertdialog').getByText('for good').waitFor();
    await shot(mobile, 'session-delete-phone');
    await mobile.getByRole('alertdialog').getByRole('button', { name: 'Cancel' }).click();
    await mobile.getByRole('button', { name: `More actions for ${CLONE}` }).click();
    await mobile.getByRole('menuitem', { name: 'Clone…' }).click();
    await mobile.getByRole('dialog', { name: `Clone ${CLONE}` }).getByLabel('Name of the copy').waitFor();
    await shot(mobile, 'clone-phone');
    await phone.close();
  });
});
