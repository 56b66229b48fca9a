// The phone app's saved agents as one list (issue #18), in its web export at phone size against
// two real agents: both connected, every workspace under its agent with the agent's health; one
// agent frozen (connections open, nothing answers) is marked unreachable while the other's list
// stays, and comes back without a reload; a workspace opens on its own agent. Screenshots land
// in web/test-artifacts/mobile-fleet-*.png.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { Browser, Page } from 'playwright-core';

import { ensureArtifactsDir, freePort, launchBrowser, mobileDist, serveDirectory, startAgent, type RunningAgent } from './harness.ts';

let home: RunningAgent;
let closet: RunningAgent;
let browser: Browser;
let page: Page;
let server: Server;
let appUrl = '';
let artifacts = '';

// expo-router's web build keeps earlier screens of the stack in the page, hidden: every lookup
// below is of what shows.

async function shot(name: string): Promise<void> {
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(artifacts, `mobile-fleet-${name}.png`) });
}

async function connect(agent: RunningAgent): Promise<void> {
  await page.getByTestId('address').fill(`${agent.baseUrl}/?token=${agent.token}`);
  await page.getByTestId('token').fill('');
  await page.getByTestId('connect').click();
}

describe('Perry phone app: several agents as one list', { timeout: 300_000 }, () => {
  before(async () => {
    if (!existsSync(join(mobileDist, 'index.html'))) throw new Error(`no ${mobileDist}: run npm run export:web in mobile/`);
    artifacts = await ensureArtifactsDir();
    const port = await freePort();
    appUrl = `http://127.0.0.1:${port}`;
    server = await serveDirectory(mobileDist, port);
    [home, closet] = await Promise.all([
      startAgent({ tag: 'phonehome', allowedOrigins: [appUrl] }),
      startAgent({ tag: 'phonecloset', allowedOrigins: [appUrl] }),
    ]);
    await Promise.all([home.rpc('workspaces/create', { name: 'near' }), closet.rpc('workspaces/create', { name: 'far' })]);
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, hasTouch: true, isMobile: true });
  });

  after(async () => {
    closet?.child.kill('SIGCONT');
    await browser?.close();
    await Promise.all([home?.shutdown(), closet?.shutdown()]);
    await new Promise((done) => server?.close(done));
  });

  test('two saved agents show as one list, each workspace under its agent with its health', async () => {
    await page.goto(appUrl);
    await connect(home);
    await page.getByLabel('Workspace near').waitFor();
    await page.getByText('Agents', { exact: true }).click();
    await connect(closet);
    await page.getByTestId(`agent-${home.baseUrl}-up`).filter({ visible: true }).waitFor();
    await page.getByTestId(`agent-${closet.baseUrl}-up`).filter({ visible: true }).waitFor();
    await page.getByLabel(/^Workspace near on /).filter({ visible: true }).waitFor();
    await page.getByLabel(/^Workspace far on /).filter({ visible: true }).waitFor();
    await shot('list');
  });

  test('an agent that stops answering is marked unreachable, the other stays, and it comes back', async () => {
    const frozen = Date.now();
    closet.child.kill('SIGSTOP');
    await page.getByTestId(`agent-${closet.baseUrl}-unreachable`).filter({ visible: true }).waitFor({ timeout: 15_000 });
    console.log(`closet frozen → marked unreachable on the phone: ${Date.now() - frozen} ms`);
    assert.equal(await page.getByLabel(/^Workspace far on /).filter({ visible: true }).count(), 0);
    await page.getByLabel(/^Workspace near on /).filter({ visible: true }).waitFor();
    await shot('unreachable');
    const thawed = Date.now();
    closet.child.kill('SIGCONT');
    await page.getByLabel(/^Workspace far on /).filter({ visible: true }).waitFor({ timeout: 15_000 });
    console.log(`closet thawed → its workspaces shown again on the phone: ${Date.now() - thawed} ms`);
  });

  test("a workspace opens on its own agent", async () => {
    await page.getByLabel(/^Workspace far on /).filter({ visible: true }).click();
    await page.getByTestId('ssh-command').waitFor();
    const ssh = await page.getByTestId('ssh-command').innerText();
    const closetWorkspace = (await closet.rpc<{ ports: { ssh: number } }>('workspaces/get', { name: 'far' })).ports.ssh;
    assert.equal(ssh, `ssh -p ${closetWorkspace} workspace@127.0.0.1`);
  });
});
