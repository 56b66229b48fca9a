// The web UI against a real agent and real Docker, in Debian's Chromium. The scenarios run in
// order and share one workspace: sign in, create it, use its terminal, reload and reattach, look
// at every page at desktop and phone width, then stop and delete it. Screenshots land in
// web/test-artifacts/. Whatever happens, the workspace is deleted and the agent stopped.

import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import jsQR from 'jsqr';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { PNG } from 'pngjs';

import { claudeTranscript, ensureArtifactsDir, execInContainer, launchBrowser, PHONE, startAgent, type RunningAgent } from './harness.ts';

const DESKTOP = { width: 1280, height: 800 };
const CREATE_TIMEOUT_MS = 120_000;

let agent: RunningAgent;
let browser: Browser;
let desktop: BrowserContext;
let page: Page;
let artifacts = '';
const workspaceName = `e2e-${randomBytes(3).toString('hex')}`;

const sessionId = randomUUID();
const { dir: transcriptDir, file: transcriptFile, title: SESSION_TITLE, line: transcriptLine, initial: TRANSCRIPT, appended: APPENDED } =
  claudeTranscript(sessionId);

/** Runs a script in the test's workspace as user workspace. */
function inWorkspace(script: string, input = ''): Promise<string> {
  return execInContainer(`${agent.prefix}${workspaceName}`, script, input);
}

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

  test('a coding-agent session shows up live in the Sessions tab and follows its file', async () => {
    await page.getByRole('tab', { name: 'Sessions' }).click();
    await page.waitForURL(`**/workspaces/${workspaceName}/sessions`);
    await page.getByRole('heading', { name: 'No coding-agent sessions yet' }).waitFor({ timeout: 30_000 });
    await page.getByRole('status', { name: 'Sessions feed: Live' }).waitFor({ timeout: 30_000 });
    await shot(page, 'workspace-sessions-empty-desktop');

    // Written inside the workspace while the page is open: it must appear without a reload.
    await inWorkspace(`mkdir -p ${transcriptDir} /home/workspace/app && cat > ${transcriptFile}`, TRANSCRIPT);
    const row = page.getByRole('list', { name: 'Sessions' }).getByRole('listitem', { name: SESSION_TITLE });
    await row.waitFor({ timeout: 15_000 });
    await row.getByText('2 messages').waitFor();
    await row.getByText('Claude Code').waitFor();
    await row.getByText('/home/workspace/app').waitFor();

    await inWorkspace(`cat >> ${transcriptFile}`, APPENDED);
    await row.getByText('3 messages').waitFor({ timeout: 15_000 });
    await shot(page, 'workspace-sessions-desktop');

    // Search goes through sessions.search and shows a snippet.
    await page.getByRole('searchbox', { name: 'Search sessions' }).fill('header links');
    const results = page.getByRole('list', { name: 'Search results' });
    await results.getByRole('link', { name: SESSION_TITLE }).waitFor({ timeout: 10_000 });
    await results.locator('mark', { hasText: 'header links' }).first().waitFor();
    await shot(page, 'workspace-sessions-search-desktop');
    await page.getByRole('button', { name: 'Clear search' }).click();
  });

  test('opens the conversation at its own address, also after a reload', async () => {
    const row = page.getByRole('list', { name: 'Sessions' }).getByRole('listitem', { name: SESSION_TITLE });
    await row.getByRole('link', { name: SESSION_TITLE }).click();
    await page.waitForURL(`**/workspaces/${workspaceName}/sessions/${sessionId}`);
    const log = page.getByRole('log', { name: 'Conversation' });
    await log.getByRole('article', { name: 'User message' }).filter({ hasText: SESSION_TITLE }).waitFor();
    await log.getByRole('article', { name: 'Assistant message' }).filter({ hasText: 'Looking at footer.html.' }).waitFor();
    await log.getByTitle('Bash: grep -n href footer.html').waitFor();
    await log.getByText('Also check the header links.').waitFor();
    await shot(page, 'session-conversation-desktop');

    // A message written while the conversation is open shows up at the bottom.
    await inWorkspace(
      `cat >> ${transcriptFile}`,
      transcriptLine({
        type: 'assistant',
        uuid: 'a2',
        parentUuid: 'u2',
        timestamp: '2026-11-26T08:01:05.000Z',
        message: { id: 'msg_a2', type: 'message', role: 'assistant', content: [{ type: 'text', text: 'The header links are fine too.' }] },
      }),
    );
    await log.getByText('The header links are fine too.').waitFor({ timeout: 15_000 });

    await page.reload();
    await page.getByRole('log', { name: 'Conversation' }).getByText(SESSION_TITLE).first().waitFor({ timeout: 30_000 });
    await page.getByRole('heading', { name: SESSION_TITLE, level: 2 }).waitFor();
  });

  test('a long conversation loads older messages and keeps the reader’s place', async () => {
    const longId = randomUUID();
    const lines: string[] = [];
    let parent: string | null = null;
    for (let i = 0; i < 60; i += 1) {
      const time = (n: number) => new Date(Date.parse('2026-11-25T09:00:00.000Z') + n * 1000).toISOString();
      const base = { sessionId: longId, cwd: '/home/workspace/app' };
      lines.push(JSON.stringify({ ...base, type: 'user', uuid: `lu${i}`, parentUuid: parent, timestamp: time(2 * i), message: { role: 'user', content: `Question number ${i}` } }));
      lines.push(
        JSON.stringify({
          ...base,
          type: 'assistant',
          uuid: `la${i}`,
          parentUuid: `lu${i}`,
          timestamp: time(2 * i + 1),
          message: { id: `msg_l${i}`, type: 'message', role: 'assistant', content: [{ type: 'text', text: `Answer number ${i}` }] },
        }),
      );
      parent = `la${i}`;
    }
    await inWorkspace(`cat > ${transcriptDir}/${longId}.jsonl`, lines.join('\n') + '\n');
    await page.goto(`${agent.baseUrl}/workspaces/${workspaceName}/sessions/${longId}`);
    const log = page.getByRole('log', { name: 'Conversation' });
    await log.getByText('Answer number 59').waitFor({ timeout: 15_000 });
    assert.equal(await log.getByRole('article').count(), 50);
    // It opens at the newest message.
    const atBottom = await log.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight);
    assert.ok(atBottom < 4, `the conversation did not open at its end (${atBottom}px above it)`);

    await log.evaluate((el) => (el.scrollTop = 0));
    const oldestShown = log.getByText('Question number 35', { exact: true });
    const before = (await oldestShown.boundingBox())?.y;
    await log.getByRole('button', { name: 'Load older messages' }).click();
    await log.getByText('Question number 10', { exact: true }).waitFor();
    assert.equal(await log.getByRole('article').count(), 100);
    const after = (await oldestShown.boundingBox())?.y;
    assert.ok(before !== undefined && after !== undefined && Math.abs(after - before) < 4, `the messages moved when older ones loaded: ${before} → ${after}`);
    await shot(page, 'session-conversation-older-desktop');
    await log.getByRole('button', { name: 'Load older messages' }).click();
    await log.getByText('Start of the conversation').waitFor();
    assert.equal(await log.getByRole('article').count(), 120);
    await page.goto(`${agent.baseUrl}/workspaces/${workspaceName}/sessions/${sessionId}`);
    await page.getByRole('heading', { name: SESSION_TITLE, level: 2 }).waitFor();
  });

  test('resumes the session in a new terminal tab, in its project directory', async () => {
    await page.getByRole('region', { name: 'Session' }).getByRole('button', { name: 'Resume in terminal' }).first().click();
    await page.waitForURL(`**/workspaces/${workspaceName}/terminal`);
    const title = `Resume: ${SESSION_TITLE}`;
    const tab = page.getByRole('tab', { name: title });
    await tab.waitFor();
    assert.equal(await tab.getAttribute('aria-selected'), 'true');
    const label = `Terminal: ${title}`;
    await page.locator(`[aria-label="${label}"][data-terminal-status="open"], [aria-label="${label}"][data-terminal-status="exited"]`).first().waitFor({ timeout: 30_000 });
    // The command ran: the claude binary printed something (here it cannot reach its service and
    // ends), and the cd before it worked. While claude still runs, its directory is checked too.
    const exited = page.locator(`[aria-label="${label}"][data-terminal-status="exited"]`);
    const deadline = Date.now() + 20_000;
    let text = '';
    let cwd = '';
    while (Date.now() < deadline) {
      text = (await terminalText(page, label)).trim();
      // [c]laude: the pattern must not match this very script's command line.
      cwd = (await inWorkspace(`for p in $(pgrep -u workspace -f '[c]laude --resume ${sessionId}'); do readlink /proc/$p/cwd; done; true`)).trim();
      if (/claude/i.test(text) && (cwd.includes('/home/workspace/app') || (await exited.count()) > 0)) break;
      await page.waitForTimeout(250);
    }
    assert.match(text, /claude/i, `the resumed session's terminal shows no output of claude:\n${text}`);
    assert.doesNotMatch(text, /No such file or directory|command not found/, `the resume command failed:\n${text}`);
    if ((await exited.count()) === 0) assert.match(cwd, /\/home\/workspace\/app/, `claude does not run in the project directory (cwd ${cwd || 'unknown'})`);
    else await page.getByRole('alert').filter({ hasText: 'Command exited' }).waitFor();
    console.log(`resume terminal (claude cwd: ${cwd || 'it had exited'}):\n${text.slice(0, 600)}`);
    await shot(page, 'session-resume-terminal-desktop');
    const ids = await terminalIdsOf(page);
    assert.equal(ids.length, 2, `expected Shell 1 and the resumed session, got ${JSON.stringify(ids)}`);
    // Back to the first shell for the pages that follow; the resume tab ends its program.
    await page.getByRole('button', { name: `Close ${title}` }).click();
    await waitForTerminalOpen(page);
  });

  test('the agent page shows version, hostname, uptime, Docker and DinD mode', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Agent' }).click();
    await page.getByRole('heading', { name: 'Agent', exact: true }).waitFor();
    const info = await agent.rpc<{ version: string; hostname: string; engine?: { kind: string; version?: string } }>('agent/info');
    await page.getByText(info.version, { exact: true }).waitFor();
    await page.getByText(info.hostname, { exact: true }).first().waitFor();
    assert.equal(info.engine?.kind, 'docker');
    if (info.engine?.version) await page.getByText(`docker ${info.engine.version}`, { exact: true }).waitFor();
    // The port that answers (the test agent's is a free one, given with --port), not config.json's 7391.
    const port = new URL(agent.baseUrl).port;
    assert.notEqual(port, '7391');
    await page.locator('dt', { hasText: /^Port$/ }).locator('xpath=following-sibling::dd').getByText(port, { exact: true }).waitFor();
    for (const label of ['Uptime', 'Engine', 'Docker-in-Docker mode']) {
      await page.getByRole('heading', { name: label }).waitFor();
    }
    // The phone app's QR code, read back from the screen as a phone's camera would.
    await page.getByRole('button', { name: 'Show QR code' }).click();
    const qr = page.getByRole('img', { name: /QR code of/ });
    await qr.waitFor();
    const png = PNG.sync.read(await qr.screenshot());
    const decoded = jsQR(new Uint8ClampedArray(png.data), png.width, png.height);
    assert.equal(decoded?.data, `${agent.baseUrl}/?token=${agent.token}`);
    await page.getByText(/which a phone cannot reach/).waitFor();
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
    const row = mobile.getByRole('list', { name: 'Sessions' }).getByRole('listitem', { name: SESSION_TITLE });
    await row.waitFor({ timeout: 15_000 });
    await shot(mobile, 'workspace-sessions-phone');
    const listOverflow = await mobile.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(listOverflow <= 0, `the sessions list scrolls sideways by ${listOverflow}px at phone width`);
    await row.getByRole('link', { name: SESSION_TITLE }).click();
    await mobile.getByRole('log', { name: 'Conversation' }).getByTitle('Bash: grep -n href footer.html').waitFor();
    await shot(mobile, 'session-conversation-phone');
    const conversationOverflow = await mobile.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(conversationOverflow <= 0, `the conversation scrolls sideways by ${conversationOverflow}px at phone width`);

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
