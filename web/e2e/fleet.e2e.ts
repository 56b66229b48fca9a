// Many agents, one page (issue #18): two real agents on real Docker, "closet" in a network
// namespace of its own as on another machine. The page of "home" adds closet as a peer from its
// Agent page (a wrong token is refused first and nothing is saved), shows closet's workspaces
// under its name, opens a terminal in one through home's relay, and marks closet unreachable
// when its link is cut (`ip link set … down`) while home's own list keeps working; with the
// link back, closet's workspaces come back without a reload. Screenshots land in
// web/test-artifacts/.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { Browser, Page } from 'playwright-core';

import {
  createNamespace,
  cutLink,
  deleteNamespace,
  ensureArtifactsDir,
  launchBrowser,
  restoreLink,
  startAgent,
  type Namespace,
  type RunningAgent,
} from './harness.ts';

let home: RunningAgent;
let closet: RunningAgent;
let browser: Browser;
let page: Page;
let artifacts = '';
let namespace: Namespace | undefined;

async function shot(name: string): Promise<void> {
  await page.waitForTimeout(350);
  await page.screenshot({ path: join(artifacts, `${name}.png`) });
}

function closetSection() {
  return page.getByRole('region', { name: 'Agent closet' });
}

describe('many agents in one web UI', () => {
  before(async () => {
    artifacts = await ensureArtifactsDir();
    namespace = await createNamespace('webcloset');
    [home, closet] = await Promise.all([startAgent({ tag: 'home' }), startAgent({ tag: 'closet', namespace })]);
    await closet.rpc('workspaces/create', { name: 'far' });
    browser = await launchBrowser();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
    await page.goto(`${home.baseUrl}/?token=${home.token}`);
    await page.getByRole('heading', { name: 'Workspaces', exact: true }).waitFor();
  });

  after(async () => {
    if (namespace) await restoreLink(namespace).catch(() => {});
    await browser?.close();
    await Promise.all([home?.shutdown(), closet?.shutdown()]);
    if (namespace) await deleteNamespace(namespace);
  });

  test('a peer is added from the Agent page, and a wrong token saves nothing', async () => {
    await page.getByRole('link', { name: 'Agent' }).click();
    const form = page.getByRole('form', { name: 'Add an agent' });
    await form.getByLabel('Name').fill('closet');
    await form.getByLabel('Address or sign-in URL').fill(closet.baseUrl);
    await form.getByLabel('Token').fill('not-the-token');
    await form.getByRole('button', { name: 'Add agent' }).click();
    await form.getByRole('alert').filter({ hasText: 'refused the token' }).waitFor();
    assert.deepEqual(await home.rpc('peers/list'), []);

    await form.getByLabel('Token').fill('');
    await form.getByLabel('Address or sign-in URL').fill(`${closet.baseUrl}/?token=${closet.token}`);
    await form.getByRole('button', { name: 'Add agent' }).click();
    const row = page.getByRole('list', { name: 'Other agents' }).locator('[data-peer="closet"]');
    await row.getByText('Up').waitFor();
    await shot('fleet-agent-page');
  });

  test("the workspaces page shows each agent's workspaces under its name, with its health", async () => {
    await page.getByRole('link', { name: 'Workspaces', exact: true }).first().click();
    const section = closetSection();
    await section.locator('[data-workspace="far"]').waitFor();
    assert.equal(await section.getAttribute('data-health'), 'up');
    await page.getByRole('region', { name: 'Agent This agent' }).getByText('No workspaces yet').waitFor();
    await shot('fleet-workspaces');
  });

  test("a peer's workspace opens its terminal through this agent", async () => {
    await closetSection().getByRole('link', { name: 'far' }).click();
    await page.waitForURL(/\/agents\/closet\/workspaces\/far\/terminal$/);
    const terminal = page.locator('[aria-label="Terminal: Shell 1"][data-terminal-status="open"]');
    await terminal.waitFor({ timeout: 30_000 });
    await terminal.locator('.xterm-helper-textarea').focus();
    await page.keyboard.type('echo fleet-$((6*7)) $(hostname)\n');
    await page.waitForFunction(
      () => document.querySelector('[aria-label="Terminal: Shell 1"] .xterm-rows')?.textContent?.includes('fleet-42 far'),
      undefined,
      { timeout: 20_000 },
    );
    await shot('fleet-peer-terminal');
  });

  test('a peer whose link is cut is marked unreachable, the rest keeps working, and it comes back', async () => {
    await page.getByRole('link', { name: 'Workspaces', exact: true }).first().click();
    await closetSection().locator('[data-workspace="far"]').waitFor();
    const cut = Date.now();
    await cutLink(namespace!);
    await page.locator('[data-agent="closet"][data-health="unreachable"]').waitFor({ timeout: 15_000 });
    console.log(`closet's link cut → marked unreachable: ${Date.now() - cut} ms`);
    await closetSection().getByText('closet is unreachable').waitFor();
    // Home still answers: a workspace made now shows in its section.
    await home.rpc('workspaces/create', { name: 'near' });
    await page.getByRole('region', { name: 'Agent This agent' }).locator('[data-workspace="near"]').waitFor({ timeout: 15_000 });
    await shot('fleet-unreachable');

    const restored = Date.now();
    await restoreLink(namespace!);
    await closetSection().locator('[data-workspace="far"]').waitFor({ timeout: 15_000 });
    console.log(`closet's link back → its workspaces shown again: ${Date.now() - restored} ms`);
    assert.equal(await closetSection().getAttribute('data-health'), 'up');
  });
});
