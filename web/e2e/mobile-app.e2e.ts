// The phone app's web export (mobile/dist, from `npm run export:web` in mobile/) at phone size in
// Debian's Chromium, against a real agent and real Docker: a wrong token, connecting with the
// sign-in URL, the workspace list, stop and start (checked through Docker), the network gone and
// back, delete after the question. The export is served from its own origin, which the agent lists in allowedOrigins,
// as a phone app's requests come from outside the agent's origin. Screenshots land in
// web/test-artifacts/mobile-*.png.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { Browser, Page } from 'playwright-core';

import { ensureArtifactsDir, freePort, launchBrowser, mobileDist, serveDirectory, startAgent, type RunningAgent } from './harness.ts';

const PHONE = { width: 390, height: 844 };
const workspaceName = `m-${randomBytes(3).toString('hex')}`;

let agent: RunningAgent;
let browser: Browser;
let page: Page;
let server: Server;
let appUrl = '';
let artifacts = '';

async function containerRunning(name: string): Promise<boolean> {
  const { execFileSync } = await import('node:child_process');
  return execFileSync('docker', ['inspect', '-f', '{{.State.Running}}', `${agent.prefix}${name}`]).toString().trim() === 'true';
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(artifacts, `mobile-${name}.png`) });
}

describe('Perry phone app (web export)', { timeout: 600_000 }, () => {
  before(async () => {
    if (!existsSync(join(mobileDist, 'index.html'))) throw new Error(`no ${mobileDist}: run npm run export:web in mobile/`);
    artifacts = await ensureArtifactsDir();
    const port = await freePort();
    appUrl = `http://127.0.0.1:${port}`;
    server = await serveDirectory(mobileDist, port);
    agent = await startAgent({ tag: 'mobile', allowedOrigins: [appUrl] });
    await agent.rpc('workspaces/create', { name: workspaceName });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: PHONE, deviceScaleFactor: 2, hasTouch: true, isMobile: true });
  });

  after(async () => {
    await browser?.close();
    await agent?.shutdown();
    await new Promise((done) => server?.close(done));
  });

  test('a wrong token gets a message that says so, and nothing is saved', async () => {
    await page.goto(appUrl);
    await page.getByTestId('address').fill(agent.baseUrl);
    await page.getByTestId('token').fill('not-the-token');
    await page.getByTestId('connect').click();
    await page.getByText(/The agent refused this token/).waitFor();
    await shot('connect-wrong-token');
    assert.equal(await page.evaluate(() => localStorage.getItem('perry.agents')), null);
  });

  test('connects with the sign-in URL and lists the workspace as running', async () => {
    await page.getByTestId('address').fill(`${agent.baseUrl}/?token=${agent.token}`);
    await page.getByTestId('token').fill('');
    await page.getByTestId('connect').click();
    const row = page.getByLabel(`Workspace ${workspaceName}`);
    await row.waitFor();
    await row.getByText('running').waitFor();
    await shot('workspaces');
    // Saved: a reload goes straight to the list.
    await page.reload();
    await page.getByLabel(`Workspace ${workspaceName}`).waitFor();
  });

  test('stops and starts the workspace, as Docker sees it', async () => {
    await page.getByLabel(`Workspace ${workspaceName}`).click();
    await page.getByTestId('ssh-command').waitFor();
    assert.match(await page.getByTestId('ssh-command').innerText(), /^ssh -p \d+ workspace@127\.0\.0\.1$/);
    await shot('workspace');
    await page.getByTestId('stop').click();
    await page.getByTestId('start').waitFor({ timeout: 60_000 });
    assert.equal(await containerRunning(workspaceName), false);
    await shot('workspace-stopped');
    await page.getByTestId('start').click();
    await page.getByTestId('stop').waitFor({ timeout: 120_000 });
    assert.equal(await containerRunning(workspaceName), true);
  });

  test('offline, the last list stays with its time and the actions are disabled; online again, it is live', async () => {
    await page.context().setOffline(true);
    // The next poll (every 5 s) fails.
    await page.getByText(/Offline: this is how the workspace was at \d\d:\d\d/).waitFor({ timeout: 20_000 });
    assert.equal(await page.getByTestId('stop').isDisabled(), true);
    assert.equal(await page.getByTestId('delete').isDisabled(), true);
    await shot('workspace-offline');
    await page.goBack();
    await page.getByText(/Offline: the list as of/).waitFor();
    await page.getByLabel(`Workspace ${workspaceName}`).getByText('running?').waitFor();
    await shot('workspaces-offline');
    await page.context().setOffline(false);
    await page.getByLabel(`Workspace ${workspaceName}`).getByText('running', { exact: true }).waitFor({ timeout: 20_000 });
    assert.equal(await page.getByText(/Offline:/).count(), 0);
    await page.getByLabel(`Workspace ${workspaceName}`).click();
    await page.getByTestId('delete').waitFor();
  });

  test('deletes the workspace only after the question is answered', async () => {
    await page.getByTestId('delete').click();
    await page.getByText(`Delete ${workspaceName}?`).waitFor();
    await shot('delete-question');
    await page.getByRole('button', { name: 'Delete' }).last().click();
    await page.getByText(/No workspaces yet/).waitFor({ timeout: 60_000 });
    const listed = await agent.rpc<{ name: string }[]>('workspaces/list');
    assert.deepEqual(listed.map((workspace) => workspace.name), []);
    await shot('workspaces-empty');
  });
});
