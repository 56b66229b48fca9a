// The phone app's saved agents as one list (issue #18), in its web export at phone size against
// two real agents, "closet" in a network namespace of its own as on another machine: both
// connected, every workspace under its agent with the agent's health; closet's link cut
// (`ip link set … down`), it is marked unreachable while the other's list stays, and it comes
// back without a reload; a workspace opens on its own agent. Screenshots land in
// web/test-artifacts/mobile-fleet-*.png.

import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { Browser, Page } from 'playwright-core';

import { createNamespace, cutLink, deleteNamespace, ensureArtifactsDir, openPhoneApp, restoreLink, startAgent, type Namespace, type RunningAgent } from './harness.ts';

let home: RunningAgent;
let closet: RunningAgent;
let browser: Browser;
let page: Page;
let server: Server;
let appUrl = '';
let artifacts = '';
let namespace: Namespace | undefined;

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
    ({ appUrl, server, browser, page } = await openPhoneApp());
    artifacts = await ensureArtifactsDir();
    namespace = await createNamespace('phonecloset');
    [home, closet] = await Promise.all([
      startAgent({ tag: 'phonehome', allowedOrigins: [appUrl] }),
      startAgent({ tag: 'phonecloset', allowedOrigins: [appUrl], namespace }),
    ]);
    await Promise.all([home.rpc('workspaces/create', { name: 'near' }), closet.rpc('workspaces/create', { name: 'far' })]);
  });

  after(async () => {
    if (namespace) await restoreLink(namespace).catch(() => {});
    await browser?.close();
    await Promise.all([home?.shutdown(), closet?.shutdown()]);
    if (namespace) await deleteNamespace(namespace);
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

  test('an agent whose link is cut is marked unreachable, the other stays, and it comes back', async () => {
    const cut = Date.now();
    await cutLink(namespace!);
    await page.getByTestId(`agent-${closet.baseUrl}-unreachable`).filter({ visible: true }).waitFor({ timeout: 15_000 });
    console.log(`closet's link cut → marked unreachable on the phone: ${Date.now() - cut} ms`);
    assert.equal(await page.getByLabel(/^Workspace far on /).filter({ visible: true }).count(), 0);
    await page.getByLabel(/^Workspace near on /).filter({ visible: true }).waitFor();
    await shot('unreachable');
    const restored = Date.now();
    await restoreLink(namespace!);
    await page.getByLabel(/^Workspace far on /).filter({ visible: true }).waitFor({ timeout: 15_000 });
    console.log(`closet's link back → its workspaces shown again on the phone: ${Date.now() - restored} ms`);
  });

  test("a workspace opens on its own agent", async () => {
    await page.getByLabel(/^Workspace far on /).filter({ visible: true }).click();
    await page.getByTestId('ssh-command').waitFor();
    const ssh = await page.getByTestId('ssh-command').innerText();
    const closetWorkspace = (await closet.rpc<{ ports: { ssh: number } }>('workspaces/get', { name: 'far' })).ports.ssh;
    assert.equal(ssh, `ssh -p ${closetWorkspace} workspace@${namespace!.agentIp}`);
  });
});
