// The phone app's web export (mobile/dist, from `npm run export:web` in mobile/) at phone size in
// Debian's Chromium, against a real agent and real Docker: a wrong token, connecting with the
// sign-in URL, the workspace list, stop and start (checked through Docker), a terminal (a command
// Docker sees, the key bar, rotation, reattaching), sessions (live list, conversation, resume), the
// network gone and back, delete after the question. The export is served from its own origin, which the agent lists in allowedOrigins,
// as a phone app's requests come from outside the agent's origin. Screenshots land in
// web/test-artifacts/mobile-*.png.

import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { Browser, FrameLocator, Page } from 'playwright-core';

import { claudeTranscript, ensureArtifactsDir, execInContainer, openPhoneApp, PHONE, startAgent, type RunningAgent } from './harness.ts';

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

/** Runs a script in the test's workspace as user workspace. */
function inWorkspace(script: string, input = ''): Promise<string> {
  return execInContainer(`${agent.prefix}${workspaceName}`, script, input);
}

/** Polls `check` until it returns a value, or fails with `what` after `ms`. */
async function eventually<T>(what: string, check: () => Promise<T | null>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check().catch(() => null);
    if (value !== null) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 250));
  }
}

/** The xterm page inside the terminal screen (an iframe in the web build, a WebView on phones). */
function terminalFrame(): FrameLocator {
  return page.frameLocator('iframe[title="Terminal"]');
}

/** What the terminal shows, its rows joined: a phone's narrow lines wrap words anywhere. */
async function terminalText(): Promise<string> {
  return (await terminalFrame().locator('.xterm-rows').innerText()).replace(/\n/g, '');
}

/** Types into the terminal as a person would: the page's keyboard, with the terminal focused. */
async function typeInTerminal(text: string): Promise<void> {
  await terminalFrame().locator('.xterm-screen').click();
  await page.keyboard.type(text);
}

/** After a key bar press: the page gives the keyboard back to the terminal (a message away). */
async function terminalFocused(): Promise<void> {
  await eventually('the terminal to take the keyboard again', async () =>
    (await terminalFrame().locator('.xterm-helper-textarea').evaluate((element) => element === element.ownerDocument.activeElement)) ? true : null,
  );
}

/** Touch events of a finger dragged 600 px down the terminal page, run inside it. */
const DRAG_DOWN = `
  const host = screen.ownerDocument.getElementById('terminal');
  const view = screen.ownerDocument.defaultView;
  const touch = (y) => new view.Touch({ identifier: 1, target: host, clientX: 100, clientY: y });
  const fire = (type, y) => host.dispatchEvent(new view.TouchEvent(type, {
    touches: y === null ? [] : [touch(y)], changedTouches: [touch(y === null ? 700 : y)], bubbles: true, cancelable: true,
  }));
  fire('touchstart', 100);
  for (let y = 120; y <= 700; y += 20) fire('touchmove', y);
  fire('touchend', null);
`;

interface OpenTerminal {
  id: string;
  cols: number;
  rows: number;
  clients: number;
}

async function openTerminals(): Promise<OpenTerminal[]> {
  return agent.rpc<OpenTerminal[]>('terminals/list', { workspaceName });
}

// A Claude Code transcript, for the sessions screens.
const sessionId = '5f0c7a1e-2b7d-4c39-9d59-6f1f6f0a9b11';
const transcript = claudeTranscript(sessionId);
const SESSION_TITLE = transcript.title;

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(artifacts, `mobile-${name}.png`) });
}

describe('Perry phone app (web export)', { timeout: 600_000 }, () => {
  before(async () => {
    ({ appUrl, server, browser, page } = await openPhoneApp());
    artifacts = await ensureArtifactsDir();
    agent = await startAgent({ tag: 'mobile', allowedOrigins: [appUrl] });
    await agent.rpc('workspaces/create', { name: workspaceName });
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

  test('a terminal runs a command that Docker sees, the key bar sends Ctrl-C and arrows, and it follows rotation', async () => {
    await page.getByTestId('open-terminal').click();
    await terminalFrame().locator('.xterm-rows').waitFor();
    await eventually('the shell prompt', async () => ((await terminalText()).includes('$') ? true : null));
    await typeInTerminal('PHONE_VAR=kept; echo perry-from-phone > /tmp/phone-mark\n');
    const mark = await eventually('the file the terminal wrote', async () => {
      const text = (await inWorkspace('cat /tmp/phone-mark 2>/dev/null || true')).trim();
      return text === 'perry-from-phone' ? text : null;
    });
    assert.equal(mark, 'perry-from-phone');

    // Ctrl from the key bar applies to the next key: Ctrl-C ends the sleep, and the next command runs.
    await typeInTerminal('sleep 600\n');
    await page.getByTestId('key-ctrl').click();
    await terminalFocused();
    await page.keyboard.type('c');
    await typeInTerminal('echo after-ctrl-c > /tmp/ctrl-mark\n');
    await eventually('Ctrl-C from the key bar', async () =>
      (await inWorkspace('cat /tmp/ctrl-mark 2>/dev/null || true')).trim() === 'after-ctrl-c' ? true : null,
    );
    // Up arrow from the key bar recalls the last command; Enter runs it again.
    await typeInTerminal('echo $((6*7)) >> /tmp/up-mark\n');
    await eventually('the first run', async () => ((await inWorkspace('cat /tmp/up-mark 2>/dev/null || true')).trim() === '42' ? true : null));
    await page.getByTestId('key-up').click();
    await terminalFocused();
    await page.keyboard.press('Enter');
    await eventually('the command the up arrow recalled', async () =>
      (await inWorkspace('cat /tmp/up-mark')).trim().split('\n').length === 2 ? true : null,
    );
    await shot('terminal');

    // Rotated, the terminal gets wider and the shell is told.
    const [before] = await openTerminals();
    assert.ok(before, 'the agent lists no terminal for the workspace');
    await page.setViewportSize({ width: PHONE.height, height: PHONE.width });
    const wider = await eventually('the resize after rotating', async () => {
      const [now] = await openTerminals();
      return now && now.cols > before.cols ? now : null;
    });
    assert.ok(wider.rows < before.rows, `rotated, the terminal has ${wider.rows} rows, upright ${before.rows}`);
    await shot('terminal-landscape');
    await page.setViewportSize(PHONE);
  });

  test('a finger dragged down the terminal scrolls back through its output', async () => {
    await typeInTerminal('seq 1 400\n');
    const firstLine = async () => Number((await terminalFrame().locator('.xterm-rows').innerText()).trim().split('\n')[0]);
    const before = await eventually('the end of seq on screen', async () => {
      const text = await terminalFrame().locator('.xterm-rows').innerText();
      return /\b400\b/.test(text) ? await firstLine() : null;
    });
    // A drag of 600 px downwards, in small steps, as a finger does. (The page script is a string:
    // tsx would wrap named functions in a helper that does not exist in the page.)
    await terminalFrame().locator('.xterm-screen').evaluate((screen, script) => new Function('screen', script)(screen), DRAG_DOWN);
    const after = await eventually('the scrollback after the drag', async () => {
      const first = await firstLine();
      return first < before ? first : null;
    });
    assert.ok(before - after >= 20, `a 600 px drag scrolled back ${before - after} lines (first line ${before} → ${after})`);
    await shot('terminal-scrolled');
  });

  test('a running shell is reattached from the workspace screen, its output replayed', async () => {
    await page.goBack();
    await page.getByTestId('open-terminal').waitFor();
    const [shell] = await eventually('the shell left running', async () => {
      const open = await openTerminals();
      return open.length === 1 && open[0]?.clients === 0 ? open : null;
    });
    assert.ok(shell);
    await page.getByTestId(`reattach-${shell.id}`).click();
    // The end of the last output (seq 1 400) is on screen again: replayed, as the page is new.
    await eventually('the replayed output', async () => (/\b400\b/.test(await terminalFrame().locator('.xterm-rows').innerText()) ? true : null));
    // Still the same shell: the variable set before is there.
    await typeInTerminal('echo "var=$PHONE_VAR" > /tmp/var-mark\n');
    await eventually('the same shell', async () => ((await inWorkspace('cat /tmp/var-mark 2>/dev/null || true')).trim() === 'var=kept' ? true : null));
    assert.deepEqual((await openTerminals()).map((terminal) => terminal.id), [shell.id]);
    await shot('terminal-reattached');
    await page.goBack();
  });

  test('sessions: the live list, the conversation, and resuming in a terminal', async () => {
    await inWorkspace(`mkdir -p ${transcript.dir} /home/workspace/app && cat > ${transcript.file}`, transcript.initial);
    await page.getByTestId('open-sessions').click();
    const row = page.getByLabel(`Session ${SESSION_TITLE}`);
    await row.waitFor({ timeout: 60_000 });
    await row.getByText('2 messages').waitFor();
    await page.getByText('Live').waitFor();
    // A new message in the transcript reaches the list over /sessions, without a reload.
    await inWorkspace(`cat >> ${transcript.file}`, transcript.appended);
    await row.getByText('3 messages').waitFor({ timeout: 30_000 });
    await shot('sessions');

    await row.click();
    await page.getByText('Looking at footer.html.').waitFor();
    await page.getByText('Also check the header links.').waitFor();
    await page.getByText('Bash: grep -n href footer.html').waitFor();
    await shot('session');

    const shellsBefore = (await openTerminals()).length;
    await page.getByTestId('resume').click();
    await terminalFrame().locator('.xterm-rows').waitFor();
    const terminals = await eventually('the resume terminal', async () => {
      const open = await openTerminals();
      return open.length > shellsBefore ? open : null;
    });
    assert.ok(terminals.length > shellsBefore);
    // claude itself starts (here it cannot reach its service and says so), not "command not found".
    const text = await eventually('claude in the resume terminal', async () => {
      const shown = await terminalText();
      return /Claude Code/.test(shown) ? shown : null;
    }, 60_000);
    assert.doesNotMatch(text, /command not found|No such file/);
    await shot('session-resumed');
    await page.goBack();
    await page.goBack();
    await page.goBack();
    await page.getByTestId('open-sessions').waitFor();
  });

  test('offline, the last list stays with its time and the actions are disabled; online again, it is live', async () => {
    await page.context().setOffline(true);
    // The next poll (every 5 s) fails.
    await page.getByText(/Offline: this is how the workspace was at \d\d:\d\d/).waitFor({ timeout: 20_000 });
    assert.equal(await page.getByTestId('stop').isDisabled(), true);
    assert.equal(await page.getByTestId('delete').isDisabled(), true);
    await shot('workspace-offline');
    // The sessions, from the device's copy.
    await page.getByTestId('open-sessions').click();
    await page.getByText(/Offline: the sessions as of \d\d:\d\d/).waitFor({ timeout: 20_000 });
    await page.getByLabel(`Session ${SESSION_TITLE}`).waitFor();
    await shot('sessions-offline');
    await page.goBack();
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
