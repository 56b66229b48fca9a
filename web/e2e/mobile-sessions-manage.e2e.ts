// The phone app's session management (issue #21) in its web export (mobile/dist) at phone size,
// against a real agent and one real workspace (2 CPUs) holding two Claude Code transcripts written
// through `workspaces.exec`: the home screen's recent sessions across workspaces; a session
// renamed from the sessions list (a 1,000-character name refused in the agent's own words); the
// session opened, after which it leads the recent sessions and its workspace's row says when it
// was used; its name cleared from its own screen; the other session deleted after the question.
// Screenshots land in $PERRY_SHOTS or /tmp/shots-mobile2/.

import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { RecentSession, SessionInfo, Workspace } from '@perry/client';
import type { Browser, Page } from 'playwright-core';

import { openPhoneApp, startAgent, type RunningAgent } from './harness.ts';

const workspaceName = `ms-${randomBytes(3).toString('hex')}`;
const shotsDir = process.env.PERRY_SHOTS ?? '/tmp/shots-mobile2';
const PROJECTS = '/home/workspace/.claude/projects/-home-workspace-app';
const HOUR = 3_600_000;

/** The session the test renames and opens, and one with newer activity that leads at first. */
const login = { id: randomUUID(), title: 'Fix the login bug', at: new Date(Date.now() - 2 * HOUR).toISOString() };
const readme = { id: randomUUID(), title: 'Update the README', at: new Date(Date.now() - HOUR).toISOString() };
const NAME = 'Login bug (prod)';

let agent: RunningAgent;
let browser: Browser;
let page: Page;
let server: Server;
let appUrl = '';

async function shot(name: string): Promise<void> {
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(shotsDir, `${name}.png`) });
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

/** Runs `script` in the workspace through the agent's `workspaces.exec`, as user workspace. */
async function exec(script: string): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  return agent.rpc('workspaces/exec', { name: workspaceName, command: ['bash', '-c', script], user: 'workspace' });
}

/** A one-message Claude Code transcript, as the tool writes it, put into the workspace. */
async function writeTranscript(session: { id: string; title: string; at: string }): Promise<void> {
  const line = JSON.stringify({
    parentUuid: null,
    isSidechain: false,
    type: 'user',
    sessionId: session.id,
    cwd: '/home/workspace/app',
    uuid: 'u1',
    timestamp: session.at,
    message: { role: 'user', content: session.title },
  });
  const encoded = Buffer.from(`${line}\n`).toString('base64');
  const written = await exec(`mkdir -p ${PROJECTS} /home/workspace/app && echo ${encoded} | base64 -d > ${PROJECTS}/${session.id}.jsonl`);
  assert.equal(written.exitCode, 0, written.stderr);
}

/** What the agent says when it refuses a call: the oRPC error's message. */
async function refusal(path: string, input: unknown): Promise<string> {
  return agent
    .rpc(path, input)
    .then(() => 'accepted')
    .catch((error: Error) => (JSON.parse(error.message.replace(/^[^{]*/, '')) as { json: { message: string } }).json.message);
}

/** The accessible names of the recent sessions on the home screen, top to bottom. */
async function recentShown(): Promise<string[]> {
  return page.getByTestId('recent-session').evaluateAll((rows) => rows.map((row) => row.getAttribute('aria-label') ?? ''));
}

const recentLabel = (title: string) => `Recent session ${title} in ${workspaceName}`;

describe('Perry phone app: recent sessions, renaming and last used', { timeout: 600_000 }, () => {
  before(async () => {
    ({ appUrl, server, browser, page } = await openPhoneApp());
    await mkdir(shotsDir, { recursive: true });
    agent = await startAgent({ tag: 'phonesessions', allowedOrigins: [appUrl] });
    await agent.rpc('workspaces/create', { name: workspaceName, limits: { cpus: 2 } });
    await writeTranscript(login);
    await writeTranscript(readme);
  });

  after(async () => {
    await browser?.close();
    await agent?.shutdown();
    await new Promise((done) => server?.close(done));
  });

  test('the home screen lists the sessions written into the workspace, newest first', async () => {
    await page.goto(appUrl);
    await page.getByTestId('address').fill(`${agent.baseUrl}/?token=${agent.token}`);
    await page.getByTestId('connect').click();
    const row = page.getByLabel(recentLabel(login.title));
    await row.waitFor({ timeout: 60_000 });
    assert.deepEqual(await recentShown(), [recentLabel(readme.title), recentLabel(login.title)]);
    assert.match(await row.innerText(), new RegExp(`^${login.title}\\n${workspaceName} · Claude Code · active 2 h ago$`));
    // Nothing was opened in it yet.
    const workspaceRow = page.getByLabel(`Workspace ${workspaceName}`);
    await workspaceRow.getByText('running', { exact: true }).waitFor();
    assert.equal(await page.getByTestId(`last-used-${workspaceName}`).count(), 0);
    const [listed] = await agent.rpc<Workspace[]>('workspaces/list');
    assert.equal(listed?.lastUsed, undefined);
    assert.deepEqual(listed?.limits?.cpus, 2);
    await shot('home-recent');
  });

  test('a session held down in the list is renamed; a 1,000-character name is refused in the agent’s words', async () => {
    await page.getByLabel(`Workspace ${workspaceName}`).click();
    await page.getByTestId('open-sessions').click();
    const row = page.getByLabel(`Session ${login.title}`, { exact: true });
    await row.waitFor({ timeout: 30_000 });
    await page.getByText('Live', { exact: true }).waitFor();
    // Touch and hold (RN's long press: half a second).
    await row.click({ delay: 1000 });
    const field = page.getByTestId('session-name');
    await field.waitFor();

    const long = 'x'.repeat(1000);
    const words = await refusal('sessions/rename', { workspaceName, sessionId: login.id, name: long });
    assert.match(words, /at most 200 characters/);
    await field.fill(long);
    await page.getByTestId('save-name').click();
    await page.getByText(words, { exact: true }).waitFor();
    await shot('rename-refused');
    // Refused: the agent kept no name.
    assert.equal((await agent.rpc<SessionInfo>('sessions/get', { workspaceName, sessionId: login.id })).name, undefined);

    await field.fill(NAME);
    await page.getByTestId('save-name').click();
    await page.getByTestId('rename-dialog').waitFor({ state: 'detached' });
    const renamed = page.getByLabel(`Session ${NAME}`, { exact: true });
    await renamed.waitFor();
    assert.match(await renamed.innerText(), new RegExp(`^${NAME.replace(/[()]/g, '\\$&')}\\n${login.title}\\n`));
    assert.equal((await agent.rpc<SessionInfo>('sessions/get', { workspaceName, sessionId: login.id })).name, NAME);
    // Held down, not tapped: it was not opened, so it does not lead yet.
    assert.equal((await agent.rpc<RecentSession[]>('sessions/recent', {}))[0]?.session.sessionId, readme.id);
    await shot('sessions-renamed');

    await page.goBack();
    await page.goBack();
    await page.getByLabel(recentLabel(NAME)).waitFor({ timeout: 15_000 });
    assert.deepEqual(await recentShown(), [recentLabel(readme.title), recentLabel(NAME)]);
  });

  test('opened, it leads the recent sessions and its workspace says when it was used', async () => {
    await page.getByLabel(recentLabel(NAME)).click();
    await page.getByTestId('session-title').getByText(NAME, { exact: true }).waitFor();
    assert.equal(await page.getByTestId('session-original-title').innerText(), login.title);
    await page.getByTestId('message-user').getByText(login.title).waitFor();
    await shot('session-named');

    await page.goBack();
    await eventually('the opened session to lead', async () => ((await recentShown())[0] === recentLabel(NAME) ? true : null), 15_000);
    assert.match(await page.getByLabel(recentLabel(NAME)).innerText(), / · opened just now$/);
    await page.getByTestId(`last-used-${workspaceName}`).getByText('Used just now', { exact: true }).waitFor({ timeout: 15_000 });
    const [recent] = await agent.rpc<RecentSession[]>('sessions/recent', {});
    assert.equal(recent?.session.sessionId, login.id);
    assert.ok(recent?.openedAt, 'the agent noted the opening');
    const [listed] = await agent.rpc<Workspace[]>('workspaces/list');
    assert.ok(listed?.lastUsed && Date.now() - Date.parse(listed.lastUsed) < 120_000, `lastUsed ${listed?.lastUsed}`);
    await shot('home-opened');
  });

  test('its name is cleared from its own screen, and the title is back everywhere', async () => {
    await page.getByLabel(recentLabel(NAME)).click();
    await page.getByTestId('rename').click();
    assert.equal(await page.getByTestId('session-name').inputValue(), NAME);
    await shot('rename-dialog');
    await page.getByTestId('clear-name').click();
    await page.getByTestId('rename-dialog').waitFor({ state: 'detached' });
    await page.getByTestId('session-title').getByText(login.title, { exact: true }).waitFor();
    assert.equal(await page.getByTestId('session-original-title').count(), 0);
    assert.equal((await agent.rpc<SessionInfo>('sessions/get', { workspaceName, sessionId: login.id })).name, undefined);
    await page.goBack();
    await page.getByLabel(recentLabel(login.title)).waitFor({ timeout: 15_000 });
  });

  test('the other session is deleted only after the question, and leaves the recent sessions', async () => {
    await page.getByLabel(recentLabel(readme.title)).click();
    await page.getByTestId('delete-session').click();
    await page.getByText(`Delete “${readme.title}”?`).waitFor();
    await shot('delete-session-question');
    assert.equal((await agent.rpc<{ sessions: SessionInfo[] }>('sessions/list', { workspaceName })).sessions.length, 2);
    await page.getByRole('button', { name: 'Delete' }).last().click();
    await page.getByLabel(recentLabel(login.title)).waitFor({ timeout: 15_000 });
    await page.getByLabel(recentLabel(readme.title)).waitFor({ state: 'detached', timeout: 15_000 });
    const left = await agent.rpc<{ sessions: SessionInfo[] }>('sessions/list', { workspaceName });
    assert.deepEqual(left.sessions.map((session) => session.sessionId), [login.id]);
    assert.equal((await exec(`test -e ${PROJECTS}/${readme.id}.jsonl`)).exitCode, 1);
    await shot('home-after-delete');
  });
});
