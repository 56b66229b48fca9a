// Figures for terminals over a slow link (issue #22). The agent runs in a network namespace and
// Chromium in the root namespace, joined by a link that adds 150 ms to each round trip and loses
// 1 % of them (perry-netns netem: the kernel's netem where it has it, else a userspace emulator
// with the same delay and loss; see crates/perry-test-support/src/slow_link.rs):
//   1. keypress → glyph in xterm's buffer, p50/p90, with local echo forced on and off (40 keys
//      each, one at a time at a prompt): timed in the page, from the keydown's timestamp to the
//      `data-cursor-line` the terminal view sets from xterm's buffer once a write is parsed;
//   2. `cat` of a 10 MB source file (the repository's own *.rs and *.ts, repeated): bytes on the
//      wire (the link's interface counters, both directions) and Enter → the final prompt, with
//      compression on (the default) and off (a second agent, config.json terminalCompression false);
//   3. Ctrl-C during a flood (`cat` of that file in a loop) → the prompt back, against the round trip.
// Needs root (namespaces), Docker and the workspace image, and target/release/perry-netns.

import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';

import type { Browser, Page } from 'playwright-core';

import {
  closeSlowLink,
  createNamespace,
  deleteNamespace,
  execInContainer,
  gotoRetryingNetworkChange,
  launchBrowser,
  openSlowLink,
  repoRoot,
  slowLinkBytes,
  slowNamespace,
  startAgent,
  waitForRunning,
  workspaceContainer,
  type Namespace,
  type RunningAgent,
  type SlowLink,
} from '../e2e/harness.ts';

const ROUND_TRIP_MS = 150;
const LOSS_PERCENT = 1;
const KEYS = 40;
const BIG_FILE_BYTES = 10 * 1024 * 1024;
const WORKSPACE = 'bench';
const LABEL = 'Terminal: Shell 1';
const VIEWPORT = { width: 1280, height: 800 };

interface BenchWindow {
  keyBench: { typed: string; pending: { text: string; at: number } | null; samples: number[] };
  promptBench: { prompt: string; armedAt: number | null; doneMs: number | null };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** One TCP round trip to the agent over the link (SYN → SYN-ACK), the shortest of five. */
async function tcpRoundTrip(host: string, port: number): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 5; i += 1) {
    times.push(
      await new Promise<number>((done, fail) => {
        const started = performance.now();
        const socket = connect({ host, port }, () => {
          done(performance.now() - started);
          socket.destroy();
        });
        socket.once('error', fail);
      }),
    );
  }
  return Math.min(...times);
}

/** The repository's own source (*.rs, *.ts), repeated up to `bytes`, cut at a line's end. */
async function bigSourceFile(bytes: number): Promise<string> {
  const listed = await new Promise<string>((done, fail) =>
    execFile('git', ['-C', repoRoot, 'ls-files', '*.rs', '*.ts'], { maxBuffer: 16 * 1024 * 1024 }, (error, stdout) => (error ? fail(error) : done(stdout))),
  );
  const files = listed.split('\n').filter((name) => name !== '');
  let source = '';
  for (const file of files) source += await readFile(join(repoRoot, file), 'utf8').catch(() => '');
  let text = '';
  while (Buffer.byteLength(text) < bytes) text += source;
  const cut = Buffer.from(text).subarray(0, bytes).toString('utf8');
  return cut.slice(0, cut.lastIndexOf('\n') + 1);
}

/** A fresh browser context on the workspace's terminal with local echo `mode`, at its prompt. */
async function openTerminal(browser: Browser, agent: RunningAgent, mode: 'always' | 'off'): Promise<Page> {
  const context = await browser.newContext({ viewport: VIEWPORT });
  const page = await context.newPage();
  await gotoRetryingNetworkChange(page, `${agent.baseUrl}/workspaces/${WORKSPACE}/terminal?token=${agent.token}&localEcho=${mode}`);
  const terminal = page.locator(`[aria-label="${LABEL}"][data-terminal-status="open"]`);
  await terminal.waitFor({ timeout: 60_000 });
  await terminal.locator('.xterm-helper-textarea').focus();
  await page
    .waitForFunction((label) => /\$ ?$/.test(document.querySelector<HTMLElement>(`[aria-label="${label}"]`)?.dataset.cursorLine ?? ''), LABEL, {
      timeout: 30_000,
    })
    .catch(async (error: unknown) => {
      throw new Error(`no prompt at the cursor (data-cursor-line ${JSON.stringify(await cursorLine(page))}): ${String(error)}`);
    });
  // The round trip estimate settles over a few pings.
  await page.waitForTimeout(3_000);
  return page;
}

/** Keypress → glyph in the buffer, for `KEYS` letters typed one at a time. */
async function keyToGlyph(page: Page): Promise<number[]> {
  await page.evaluate((label) => {
    const host = document.querySelector<HTMLElement>(`[aria-label="${label}"]`)!;
    const state: BenchWindow['keyBench'] = { typed: '', pending: null, samples: [] };
    (window as unknown as BenchWindow).keyBench = state;
    document.addEventListener(
      'keydown',
      (event) => {
        if (event.key.length === 1 && !event.ctrlKey) state.pending = { text: state.typed + event.key, at: event.timeStamp };
      },
      true,
    );
    new MutationObserver(() => {
      const pending = state.pending;
      if (pending && (host.dataset.cursorLine ?? '').endsWith(pending.text)) {
        state.samples.push(performance.now() - pending.at);
        state.typed = pending.text;
        state.pending = null;
      }
    }).observe(host, { attributes: true, attributeFilter: ['data-cursor-line'] });
  }, LABEL);
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  for (let i = 0; i < KEYS; i += 1) {
    await page.keyboard.press(letters[i % letters.length]!);
    await page.waitForFunction(() => (window as unknown as BenchWindow).keyBench.pending === null, undefined, { timeout: 30_000, polling: 5 });
    // A person's pace between keys, and never in step with the pings.
    await page.waitForTimeout(40 + Math.random() * 60);
  }
  const samples = await page.evaluate(() => (window as unknown as BenchWindow).keyBench.samples);
  // Leave the line empty for what comes next.
  await page.keyboard.press('Control+c');
  return samples;
}

/**
 * Arms a timer that stops when the cursor's line in the buffer is the prompt again; started at the
 * keydown of `key` (e.g. Enter, or c with Ctrl).
 */
async function armPromptTimer(page: Page, prompt: string, key: string, ctrl: boolean): Promise<void> {
  await page.evaluate(
    ({ label, prompt, key, ctrl }) => {
      const host = document.querySelector<HTMLElement>(`[aria-label="${label}"]`)!;
      const state: BenchWindow['promptBench'] = { prompt, armedAt: null, doneMs: null };
      (window as unknown as BenchWindow).promptBench = state;
      // (No named functions in here: tsx's helper for their names does not exist in the page.)
      document.addEventListener(
        'keydown',
        (event) => {
          if (state.armedAt === null && event.key.toLowerCase() === key && event.ctrlKey === ctrl) state.armedAt = event.timeStamp;
        },
        true,
      );
      new MutationObserver((_, observer) => {
        if (state.armedAt === null || state.doneMs !== null) return;
        if ((host.dataset.cursorLine ?? '') === state.prompt) {
          state.doneMs = performance.now() - state.armedAt;
          observer.disconnect();
        }
      }).observe(host, { attributes: true, attributeFilter: ['data-cursor-line'] });
    },
    { label: LABEL, prompt, key, ctrl },
  );
}

async function waitForPromptTimer(page: Page, timeoutMs: number): Promise<number> {
  await page
    .waitForFunction(() => (window as unknown as BenchWindow).promptBench.doneMs !== null, undefined, { timeout: timeoutMs, polling: 100 })
    .catch(async (error: unknown) => {
      const state = await page.evaluate(() => (window as unknown as BenchWindow).promptBench);
      throw new Error(`the prompt did not come back (${JSON.stringify(state)}, cursor line ${JSON.stringify(await cursorLine(page))}): ${String(error)}`);
    });
  return await page.evaluate(() => (window as unknown as BenchWindow).promptBench.doneMs!);
}

async function cursorLine(page: Page): Promise<string> {
  return await page.evaluate((label) => document.querySelector<HTMLElement>(`[aria-label="${label}"]`)?.dataset.cursorLine ?? '', LABEL);
}

/** `cat big.rs` → the final prompt: milliseconds and bytes on the wire. */
async function catToPrompt(page: Page, link: SlowLink): Promise<{ ms: number; bytes: number }> {
  const prompt = await cursorLine(page);
  await page.keyboard.type('cat big.rs', { delay: 30 });
  await page.waitForTimeout(1_500);
  await armPromptTimer(page, prompt, 'enter', false);
  const before = await slowLinkBytes(link);
  await page.keyboard.press('Enter');
  const ms = await waitForPromptTimer(page, 15 * 60_000);
  // The last acknowledgements and pings after the prompt are part of the same transfer.
  await page.waitForTimeout(1_000);
  return { ms, bytes: (await slowLinkBytes(link)) - before };
}

/** Ctrl-C while a loop floods the terminal → the prompt back, in milliseconds. */
async function interruptFlood(page: Page): Promise<number> {
  const prompt = await cursorLine(page);
  await page.keyboard.type('while :; do cat big.rs; done', { delay: 30 });
  await page.keyboard.press('Enter');
  await page.waitForTimeout(4_000);
  await armPromptTimer(page, prompt, 'c', true);
  await page.keyboard.press('Control+c');
  return await waitForPromptTimer(page, 5 * 60_000);
}

/** An agent in the namespace, on the slow link, with a workspace holding big.rs. */
async function agentWithBigFile(namespace: Namespace, link: SlowLink, tag: string, config: Record<string, unknown>, big: string): Promise<RunningAgent> {
  const agent = await startAgent({ tag, namespace: slowNamespace(namespace, link), config });
  await agent.rpc('workspaces/create', { name: WORKSPACE });
  await waitForRunning(agent, WORKSPACE);
  await execInContainer(await workspaceContainer(agent, WORKSPACE), 'cat > big.rs', big);
  return agent;
}

const mb = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;

async function main(): Promise<void> {
  const big = await bigSourceFile(BIG_FILE_BYTES);
  const namespace = await createNamespace('bslow');
  let link: SlowLink | undefined;
  let agent: RunningAgent | undefined;
  let browser: Browser | undefined;
  try {
    link = await openSlowLink(namespace, ROUND_TRIP_MS, LOSS_PERCENT);
    browser = await launchBrowser();
    agent = await agentWithBigFile(namespace, link, 'bslow', {}, big);
    const rtt = await tcpRoundTrip(link.agentIp, agent.port);
    console.log(
      `slow link (${link.emulation}, ${ROUND_TRIP_MS} ms added per round trip, ${LOSS_PERCENT} % loss): TCP round trip ${rtt.toFixed(0)} ms`,
    );

    for (const mode of ['always', 'off'] as const) {
      const page = await openTerminal(browser, agent, mode);
      const indicated = await page.locator(`[aria-label="${LABEL}"]`).getAttribute('data-rtt-ms');
      const samples = (await keyToGlyph(page)).sort((a, b) => a - b);
      const p50 = percentile(samples, 50);
      const goal = mode === 'always' ? ` (goal ≤ 16 ms) ${p50 <= 16 ? 'ok' : 'OVER'}` : ` (≈ the round trip, ${rtt.toFixed(0)} ms)`;
      console.log(
        `keypress → glyph in xterm's buffer, local echo ${mode === 'always' ? 'on ' : 'off'}: p50 ${p50.toFixed(1)} ms, ` +
          `p90 ${percentile(samples, 90).toFixed(1)} ms (min ${samples[0]!.toFixed(1)}, max ${samples[samples.length - 1]!.toFixed(1)}, n=${samples.length}; ` +
          `round trip shown ${indicated ?? '-'} ms)${goal}`,
      );
      await page.context().close();
    }

    const page = await openTerminal(browser, agent, 'off');
    const compressed = await catToPrompt(page, link);
    console.log(
      `cat of a ${mb(Buffer.byteLength(big))} source file, compression on:  ${mb(compressed.bytes)} on the wire, Enter → final prompt ${(compressed.ms / 1000).toFixed(1)} s`,
    );
    const interrupt = await interruptFlood(page);
    console.log(
      `Ctrl-C during a flood (cat in a loop) → prompt: ${interrupt.toFixed(0)} ms = ${(interrupt / rtt).toFixed(1)} round trips (goal ≤ 2) ${interrupt <= 2 * rtt ? 'ok' : 'OVER'}`,
    );
    await page.context().close();
    await agent.shutdown();
    agent = undefined;

    // The same agent with compression off: the namespace's port is one, so one after the other.
    agent = await agentWithBigFile(namespace, link, 'bslowraw', { terminalCompression: false }, big);
    const rawPage = await openTerminal(browser, agent, 'off');
    const raw = await catToPrompt(rawPage, link);
    console.log(
      `cat of a ${mb(Buffer.byteLength(big))} source file, compression off: ${mb(raw.bytes)} on the wire, Enter → final prompt ${(raw.ms / 1000).toFixed(1)} s`,
    );
    const ratio = (100 * compressed.bytes) / raw.bytes;
    console.log(`bytes on the wire with compression / without: ${ratio.toFixed(1)} % (goal ≤ 35 %) ${ratio <= 35 ? 'ok' : 'OVER'}`);
    await rawPage.context().close();
  } finally {
    await browser?.close().catch(() => {});
    await agent?.shutdown().catch((error: unknown) => console.error(`cleanup: ${String(error)}`));
    if (link) await closeSlowLink(link).catch((error: unknown) => console.error(`cleanup: ${String(error)}`));
    await deleteNamespace(namespace);
  }
}

await main();
