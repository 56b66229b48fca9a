// The web UI over HTTPS from the agent itself (`perry agent run --tls-cert/--tls-key`), in
// Debian's Chromium: the page is a secure context, its terminal WebSocket is wss:// on the page's
// own origin (an https page may not open ws://), and the shell answers. Chromium trusts exactly
// the test's server certificate (`--ignore-certificate-errors-spki-list` with its key's hash);
// without that flag the same page is refused, so the trust is that pin and nothing wider.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { Browser } from 'playwright-core';

import { launchBrowser, makeTestCertificates, startAgent, type RunningAgent, type TestCertificates } from './harness.ts';

const CREATE_TIMEOUT_MS = 120_000;

let certificatesDir = '';
let certificates: TestCertificates;
let agent: RunningAgent;
let browser: Browser;
const workspaceName = `tls-${randomBytes(3).toString('hex')}`;

before(async () => {
  certificatesDir = await mkdtemp(join(tmpdir(), 'perry-e2e-tls-'));
  certificates = await makeTestCertificates(certificatesDir);
  agent = await startAgent({ tag: 'https', tls: certificates });
  browser = await launchBrowser([`--ignore-certificate-errors-spki-list=${certificates.spki}`]);
});

after(async () => {
  await browser?.close().catch(() => undefined);
  await agent?.shutdown();
  if (certificatesDir) await rm(certificatesDir, { recursive: true, force: true });
});

describe('Perry web UI over HTTPS', { timeout: 300_000 }, () => {
  test('the agent prints an https sign-in URL', () => {
    const printed = agent.printedUrl();
    assert.ok(printed, `the agent printed no "Open:" URL:\n${agent.log()}`);
    assert.match(printed, /^https:\/\/localhost:\d+\/\?token=/);
  });

  test('a browser that does not trust the certificate is refused', async () => {
    const untrusting = await launchBrowser();
    try {
      const page = await untrusting.newPage();
      await assert.rejects(page.goto(`${agent.baseUrl}/`), /ERR_CERT_AUTHORITY_INVALID/);
    } finally {
      await untrusting.close();
    }
  });

  test('signs in, and the terminal runs over wss on the page origin', async () => {
    await agent.rpc('workspaces/create', { name: workspaceName });
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const page = await context.newPage();
    const sockets: string[] = [];
    page.on('websocket', (socket) => sockets.push(socket.url()));

    await page.goto(`${agent.baseUrl}/?token=${agent.token}`);
    await page.getByRole('heading', { name: 'Workspaces', exact: true }).waitFor();
    assert.deepEqual(await page.evaluate(() => [location.protocol, window.isSecureContext]), ['https:', true]);
    await page.getByRole('row', { name: workspaceName }).getByText('Running').waitFor({ timeout: CREATE_TIMEOUT_MS });

    await page.getByRole('link', { name: workspaceName, exact: true }).first().click();
    await page.waitForURL(`**/workspaces/${workspaceName}/terminal`);
    const terminal = page.getByRole('region', { name: 'Terminal: Shell 1' });
    await page.locator('[aria-label="Terminal: Shell 1"][data-terminal-status="open"]').waitFor({ timeout: 30_000 });
    await terminal.click();
    await page.keyboard.type('echo tls-$((6*7))', { delay: 5 });
    await page.keyboard.press('Enter');
    const deadline = Date.now() + 20_000;
    let text = '';
    while (Date.now() < deadline && !text.includes('tls-42')) {
      text = (await terminal.locator('.xterm-rows').innerText()).replace(/\u00a0/g, ' ');
      await page.waitForTimeout(100);
    }
    assert.ok(text.includes('tls-42'), `the terminal never showed tls-42; it shows:\n${text}`);

    const origin = new URL(agent.baseUrl).host;
    assert.ok(
      sockets.some((url) => url.startsWith(`wss://${origin}/terminal/${workspaceName}?`)),
      `no wss terminal socket on the page's origin: ${JSON.stringify(sockets)}`,
    );
    assert.ok(!sockets.some((url) => url.startsWith('ws:')), `a plain ws socket was opened: ${JSON.stringify(sockets)}`);
    await context.close();
  });
});
