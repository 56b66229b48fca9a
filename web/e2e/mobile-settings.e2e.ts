// The phone app's settings (issue #20) in its web export (mobile/dist) at phone size, against a
// real agent and a real running workspace: opened from the agent's workspaces; a variable and
// Claude Code's API key set (each checked as typed), shown only as "set … · fingerprint" (the
// agent's own SHA-256 prefix), never as the value: not in the page's text, its HTML, its inputs
// or its storage; applied to the running workspace, where a login shell has both; the agent's
// refusal shown as it said it (and the list asked again); the token shown after a tap and rotated after the question, the
// old one refused at once while the phone keeps working with the new one it stored; with
// several saved agents, each agent's header opens its own settings.
// Screenshots land in web/test-artifacts/mobile-settings-*.png.

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import { variableNameProblem } from '@perry/client';
import type { Browser, Page } from 'playwright-core';

import { ensureArtifactsDir, execInContainer, freePort, openPhoneApp, startAgent, type RunningAgent } from './harness.ts';

const workspaceName = `ms-${randomBytes(3).toString('hex')}`;
const ENV_NAME = 'PHONE_SECRET';
const envValue = `phone-value-${randomBytes(8).toString('hex')}`;
const claudeKey = `sk-ant-api03-${randomBytes(12).toString('hex')}`;

let agent: RunningAgent;
let browser: Browser;
let page: Page;
let server: Server;
let appUrl = '';
let artifacts = '';
/** The agent's token once the phone rotated it (the harness knows only the first one). */
let rotatedToken: string | null = null;

const fingerprint = (value: string) => createHash('sha256').update(value).digest('hex').slice(0, 8);

async function shot(name: string): Promise<void> {
  await page.waitForTimeout(300);
  await page.screenshot({ path: join(artifacts, `mobile-settings-${name}.png`) });
}

/** What a login shell in the workspace has in `name` (the settings go to /etc/profile.d). */
async function workspaceVariable(name: string): Promise<string> {
  return execInContainer(`${agent.prefix}${workspaceName}`, `bash -lc 'printf %s "$${name}"'`);
}

/** The secret is nowhere a person or a script on the page could read it. */
async function assertNeverShown(secret: string): Promise<void> {
  assert.doesNotMatch(await page.locator('body').innerText(), new RegExp(secret));
  assert.doesNotMatch(await page.content(), new RegExp(secret));
  const inputs = await page.locator('input, textarea').evaluateAll((elements) => elements.map((element) => (element as HTMLInputElement).value));
  assert.ok(!inputs.some((value) => value.includes(secret)), 'an input still holds the secret');
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }));
  assert.ok(!stored.includes(secret), 'the secret is in localStorage');
}

describe('Perry phone app: settings', { timeout: 300_000 }, () => {
  before(async () => {
    ({ appUrl, server, browser, page } = await openPhoneApp());
    artifacts = await ensureArtifactsDir();
    agent = await startAgent({ tag: 'phonesettings', allowedOrigins: [appUrl] });
    await agent.rpc('workspaces/create', { name: workspaceName });
  });

  after(async () => {
    await browser?.close();
    if (rotatedToken && agent) {
      // The harness's own calls carry the old token: delete the workspace with the new one.
      await agent
        .client({ token: rotatedToken })
        .workspaces.delete({ name: workspaceName })
        .catch((error: unknown) => console.error(`cleanup: ${String(error)}`));
      await agent.stop();
    } else {
      await agent?.shutdown();
    }
    await new Promise((done) => server?.close(done));
  });

  test('an agent’s settings open from its workspaces', async () => {
    await page.goto(appUrl);
    await page.getByTestId('address').fill(`${agent.baseUrl}/?token=${agent.token}`);
    await page.getByTestId('connect').click();
    await page.getByLabel(`Workspace ${workspaceName}`).getByText('running', { exact: true }).waitFor({ timeout: 60_000 });
    await page.getByTestId('agent-settings').click();
    await page.getByTestId('env-add').waitFor();
    await page.getByTestId('account-claudeCode-apiKey-status').getByText('not set').waitFor();
    await shot('empty');
  });

  test('a variable is checked as typed, saved, shown only by its fingerprint, and applied to the running workspace', async () => {
    await page.getByTestId('env-add').click();
    await page.getByTestId('env-form-new-name').fill('1PHONE');
    // The agent's own rule and words, shared by the phone and the web (clients/ts).
    await page.getByText(variableNameProblem('1PHONE') ?? '').waitFor();
    assert.equal(await page.getByTestId('env-form-new-save').isDisabled(), true);
    await page.getByTestId('env-form-new-name').fill(ENV_NAME);
    await page.getByTestId('env-form-new-value').fill('say "hi"');
    await page.getByText(/a newline, a NUL or a double quote/).waitFor();
    await shot('env-invalid');
    await page.getByTestId('env-form-new-value').fill(envValue);
    await page.getByText(/a newline, a NUL or a double quote/).waitFor({ state: 'detached' });
    // Typed into a password field: the page shows dots, not the value.
    assert.equal(await page.getByTestId('env-form-new-value').getAttribute('type'), 'password');
    assert.doesNotMatch(await page.locator('body').innerText(), new RegExp(envValue));
    await shot('env-typed');
    await page.getByTestId('env-form-new-save').click();

    const status = page.getByTestId(`env-${ENV_NAME}-status`);
    await status.waitFor();
    assert.equal(await status.innerText(), `set just now · ${fingerprint(envValue)}`);
    await assertNeverShown(envValue);

    await page.getByTestId('apply-changes').getByText(`Saved: ${ENV_NAME} set.`, { exact: false }).waitFor();
    await shot('env-saved');
    await page.getByTestId('apply').click();
    await page.getByLabel(`${workspaceName} applied`).waitFor({ timeout: 60_000 });
    await shot('env-applied');
    assert.equal(await workspaceVariable(ENV_NAME), envValue);
    await page.getByTestId('apply-dismiss').click();
    await assertNeverShown(envValue);
  });

  test('Claude Code’s API key is set, shown only by its fingerprint, and reaches the workspace', async () => {
    await page.getByLabel('Claude Code API key', { exact: true }).click();
    const save = page.getByTestId('account-form-claudeCode-apiKey-save');
    assert.equal(await save.isDisabled(), true);
    await page.getByTestId('account-form-claudeCode-apiKey-value').fill(claudeKey);
    await shot('account-typed');
    await save.click();
    const status = page.getByTestId('account-claudeCode-apiKey-status');
    await status.getByText(/^set /).waitFor();
    assert.equal(await status.innerText(), `set just now · ${fingerprint(claudeKey)}`);
    await assertNeverShown(claudeKey);
    // The agent itself gives clients no value either.
    assert.doesNotMatch(JSON.stringify(await agent.rpc('settings/get')), new RegExp(`${claudeKey}|${envValue}`));

    await page.getByTestId('apply').click();
    await page.getByLabel(`${workspaceName} applied`).waitFor({ timeout: 60_000 });
    await page.getByTestId('account-claudeCode-apiKey-status').scrollIntoViewIfNeeded();
    await shot('account-applied');
    assert.equal(await workspaceVariable('ANTHROPIC_API_KEY'), claudeKey);
    await page.getByTestId('apply-dismiss').click();
  });

  test('the agent’s refusal is shown as it said it', async () => {
    // Another client removes the variable; removing it from the phone too is a 404 whose message shows.
    await agent.rpc('settings/unsetEnv', { name: ENV_NAME });
    await page.getByLabel(`Variable ${ENV_NAME}`, { exact: true }).click();
    await page.getByTestId(`env-form-${ENV_NAME}-remove`).click();
    await page.getByText(`Remove ${ENV_NAME}?`).waitFor();
    await page.getByRole('button', { name: 'Remove', exact: true }).last().click();
    await page.getByText(`No environment variable ${ENV_NAME} is set`).waitFor();
    await shot('refused');
    // The list was asked again: closed, the form leaves no variable behind.
    await page.getByTestId(`env-form-${ENV_NAME}-cancel`).click();
    await page.getByText('No variables yet.').waitFor();
    assert.equal(await page.getByLabel(`Variable ${ENV_NAME}`, { exact: true }).count(), 0);
  });

  test('the token shows after a tap; rotated, the old one is refused and the phone keeps working', async () => {
    assert.doesNotMatch(await page.locator('body').innerText(), new RegExp(agent.token));
    await page.getByTestId('token-show').scrollIntoViewIfNeeded();
    await page.getByTestId('token-show').click();
    assert.equal(await page.getByTestId('token-value').innerText(), agent.token);
    await shot('token-shown');
    await page.getByTestId('token-hide').click();

    await page.getByTestId('token-rotate').click();
    await page.getByText('Rotate the token?').waitFor();
    await shot('token-question');
    await page.getByRole('button', { name: 'Rotate', exact: true }).last().click();
    await page.getByText(/Rotated: the old token is refused now/).waitFor();
    await shot('token-rotated');

    const saved = JSON.parse((await page.evaluate(() => localStorage.getItem('perry.agents'))) ?? '{}') as { agents: { url: string; token: string }[] };
    const stored = saved.agents.find((candidate) => candidate.url === agent.baseUrl)?.token;
    assert.ok(stored && stored !== agent.token, 'the phone did not store a new token');
    rotatedToken = stored;
    await assert.rejects(agent.rpc('workspaces/list'), /HTTP 401/);
    assert.deepEqual((await agent.client({ token: stored }).workspaces.list()).map((workspace) => workspace.name), [workspaceName]);

    // The phone goes on with the new token: the list answers, also after a reload.
    await page.goBack();
    await page.getByLabel(`Workspace ${workspaceName}`).getByText('running', { exact: true }).waitFor();
    await page.reload();
    await page.getByLabel(`Workspace ${workspaceName}`).getByText('running', { exact: true }).waitFor({ timeout: 20_000 });
    assert.equal(await page.getByText(/Missing or wrong token|Offline:/).count(), 0);
    await shot('after-rotation');
  });

  test('with several agents, each agent’s header opens its own settings', async () => {
    // A second saved agent that does not answer (nothing listens on its port).
    const nobody = `http://127.0.0.1:${await freePort()}`;
    await page.evaluate(
      ({ url, token, dead }) => {
        const saved = JSON.parse(localStorage.getItem('perry.agents') ?? '{}') as { agents: object[]; active: string };
        saved.agents.push({ url: dead, token, hostname: 'closet' });
        localStorage.setItem('perry.agents', JSON.stringify({ ...saved, active: url }));
      },
      { url: agent.baseUrl, token: 'any', dead: nobody },
    );
    await page.reload();
    await page.getByTestId(`agent-${nobody}-unreachable`).waitFor({ timeout: 20_000 });
    await page.getByLabel(`Workspace ${workspaceName} on`, { exact: false }).getByText('running', { exact: true }).waitFor({ timeout: 20_000 });
    await shot('fleet');
    await page.getByTestId(`agent-settings-${agent.baseUrl}`).click();
    await page.getByTestId('account-claudeCode-apiKey-status').getByText(/^set /).waitFor();
    assert.equal(await page.getByTestId('account-claudeCode-apiKey-status').innerText(), `set just now · ${fingerprint(claudeKey)}`);
  });
});
