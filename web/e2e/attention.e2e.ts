// Attention in the web UI (issue #19), against a real agent and a real workspace in Chromium:
// a coding agent's hook (run in the workspace as Claude Code runs it) asks for permission; the
// page shows it at once (the workspace's count in the sidebar and the list, the session first
// with its badge and question, the tab title's count), and with the tab in the background a
// notification is shown through the service worker, carrying the session's address (headless
// Chromium cannot put a tab in the background, so the test says when the page is hidden).
// Answered, it all goes. Screenshots land in web/test-artifacts/.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { Browser, BrowserContext, Page } from 'playwright-core';

import { claudeTranscript, ensureArtifactsDir, execInContainer, launchBrowser, startAgent, type RunningAgent } from './harness.ts';

let agent: RunningAgent;
let browser: Browser;
let context: BrowserContext;
let page: Page;
let artifacts = '';
const workspaceName = 'heed';
const waitingId = '3f9a2c4e-8b1d-4e6f-a0c2-5d7e9f1b3a64';
const quietId = '8c1e4a7b-2d5f-4a9c-b3e6-1f0d2c4b6a8e';

function inWorkspace(script: string, input = ''): Promise<string> {
  return execInContainer(`${agent.prefix}${workspaceName}`, script, input);
}

/** A transcript for session `id`, and Claude Code's hook saying `payload` about it. */
async function hook(id: string, payload: Record<string, unknown>): Promise<void> {
  const transcript = claudeTranscript(id);
  await inWorkspace(`mkdir -p ${transcript.dir} && [ -f ${transcript.file} ] || cat > ${transcript.file}`, transcript.initial);
  await inWorkspace('perry-worker event claude', JSON.stringify({ session_id: id, cwd: '/home/workspace/app', ...payload }));
}

async function shot(target: Page, name: string): Promise<void> {
  await target.waitForTimeout(350);
  await target.screenshot({ path: join(artifacts, `${name}.png`) });
}

describe('a coding agent that needs the person, in the web UI', () => {
  before(async () => {
    artifacts = await ensureArtifactsDir();
    agent = await startAgent({ tag: 'attention' });
    await agent.rpc('workspaces/create', { name: workspaceName });
    await agent.rpc('workspaces/create', { name: 'calm' });
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: { width: 1280, height: 820 } });
    await context.grantPermissions(['notifications'], { origin: agent.baseUrl });
    // Headless Chromium keeps every tab "visible" whatever is in front; the test says when the
    // page is in the background instead (everything else, the notification included, is real).
    // (A string: tsx would wrap a function in helpers the page does not have.)
    await context.addInitScript({
      content: "Object.defineProperty(document, 'visibilityState', { get: () => (window.perryHidden ? 'hidden' : 'visible') });",
    });
    page = await context.newPage();
    await page.goto(`${agent.baseUrl}/?token=${agent.token}`);
    await page.getByRole('heading', { name: 'Workspaces', exact: true }).waitFor();
  });

  after(async () => {
    await browser?.close();
    await agent?.shutdown();
  });

  test('a permission asked shows at once: counts, order, badge, question, title', async () => {
    await hook(quietId, { hook_event_name: 'Stop', stop_hook_active: false });
    await hook(waitingId, { hook_event_name: 'PermissionRequest', tool_name: 'Bash', tool_input: { command: 'npm publish --access public' } });
    const sidebar = page.getByRole('navigation', { name: 'Workspaces' });
    await sidebar.getByLabel('1 session needs you').waitFor();
    // The workspace where someone waits comes first, though "calm" sorts before it by name.
    const rows = page.getByRole('table', { name: 'Workspaces' }).locator('tbody tr');
    assert.equal(await rows.first().getAttribute('data-workspace'), workspaceName);
    assert.equal(await page.title(), '(1) Perry');
    await shot(page, 'attention-workspaces');

    await page.getByRole('table', { name: 'Workspaces' }).getByRole('link', { name: workspaceName }).click();
    await page.getByRole('tab', { name: 'Sessions' }).click();
    const list = page.getByRole('list', { name: 'Sessions' });
    await list.getByText('Needs you').waitFor();
    const first = list.getByRole('listitem').first();
    await first.getByText('Bash: npm publish --access public').waitFor();
    await list.getByRole('listitem').nth(1).getByText('Done').waitFor();
    await shot(page, 'attention-sessions');
  });

  test('with the tab in the background, a notification is shown that opens the session', async () => {
    await page.evaluate(() => {
      (window as { perryHidden?: boolean }).perryHidden = true;
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await hook(quietId, { hook_event_name: 'Notification', notification_type: 'permission_prompt', message: 'Claude needs your permission to use Write' });
    type Shown = { title: string; body: string; url: string };
    const shownNotifications = () =>
      page.evaluate(async (): Promise<Shown[]> => {
        const registration = await navigator.serviceWorker.getRegistration('/');
        const notifications = (await registration?.getNotifications()) ?? [];
        return notifications.map((n) => ({ title: n.title, body: n.body, url: (n.data as { url: string }).url }));
      });
    let shown: Shown[] = [];
    for (let tries = 0; shown.length === 0 && tries < 100; tries += 1) {
      shown = await shownNotifications();
      if (shown.length === 0) await page.waitForTimeout(100);
    }
    const [notification] = shown;
    assert.ok(notification);
    assert.equal(notification.title, 'Fix the footer links needs you');
    assert.equal(notification.body, `Claude Code in ${workspaceName}: Claude needs your permission to use Write`);
    assert.equal(notification.url, `/workspaces/${workspaceName}/sessions/${quietId}`);
    await page.evaluate(() => {
      (window as { perryHidden?: boolean }).perryHidden = false;
    });
    assert.equal(await page.title(), '(2) Perry');
  });

  test('answered, the badges and the count go', async () => {
    await hook(waitingId, { hook_event_name: 'PostToolUse', tool_name: 'Bash' });
    await hook(quietId, { hook_event_name: 'PostToolUse', tool_name: 'Write' });
    await page.waitForFunction(() => document.title === 'Perry');
    await page.getByRole('navigation', { name: 'Workspaces' }).getByLabel(/needs you/).waitFor({ state: 'detached' });
    await page.getByRole('list', { name: 'Sessions' }).getByText('Working').first().waitFor();
  });
});
