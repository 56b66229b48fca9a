// Terminals over a slow link (issue #22): the agent runs in a network namespace of its own and
// Chromium in the root namespace; the two namespaces are joined by a link that adds 150 ms to
// every round trip and loses 1 % of them (perry-netns netem: the kernel's netem where it has it,
// else a userspace emulator with the same delay and loss; the agent reaches its workspace's
// container over the namespace's own veth, not slowed down, as a container next to its agent).
//
// A scripted corpus is typed with real key presses (a shell line with edits, a password prompt,
// vi's insert mode, less) once with local echo forced on (`?localEcho=always`) and once with it
// forced off, each in a new tab (a new shell in the same workspace, so the same prompt and host
// name, and the same terminal size): the two final screens (every row and the cursor) must be identical, and so must the
// screens inside vi and less, which the final one no longer shows (the alternate screen). The run with
// local echo must really have drawn predictions (underlined cells on screen), the run without
// none, and the terminal WebSocket must have negotiated permessage-deflate. The namespace, the
// link, the agent and its workspace are removed after, also when a test fails.

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';

import type { Browser, BrowserContext, Page } from 'playwright-core';

import {
  closeSlowLink,
  createNamespace,
  deleteNamespace,
  ensureArtifactsDir,
  gotoRetryingNetworkChange,
  launchBrowser,
  openSlowLink,
  readTerminalScreen,
  settledTerminalScreen,
  slowNamespace,
  startAgent,
  waitForRunning,
  waitForTerminalScreen,
  type Namespace,
  type RunningAgent,
  type SlowLink,
  type TerminalScreen,
} from './harness.ts';

const ROUND_TRIP_MS = 150;
const LOSS_PERCENT = 1;
const WORKSPACE = 'slow';
const LABEL = 'Terminal: Shell 1';
const VIEWPORT = { width: 1100, height: 700 };
/** Faster than the round trip: keys are in flight before their echo comes back. */
const KEY_DELAY_MS = 35;
const PROMPT = new RegExp(`workspace@${WORKSPACE}:~\\$ ?$`);

let namespace: Namespace | undefined;
let link: SlowLink | undefined;
let agent: RunningAgent | undefined;
let browser: Browser | undefined;
let context: BrowserContext | undefined;
let artifacts = '';

type EchoMode = 'always' | 'off';

interface CorpusRun {
  screen: TerminalScreen;
  /** The screens inside vi (insert mode, two lines typed) and less (its second page). */
  inside: Record<string, TerminalScreen>;
  /** Times a cell drawn underlined appeared: local echo draws its predictions underlined. */
  underlinedDraws: number;
  /** `data-local-echo` seen on the terminal while typing. */
  localEchoSeen: string[];
  /** The `sec-websocket-extensions` the agent answered on the terminal's WebSocket. */
  terminalExtensions: string | undefined;
}

/** Waits until the line the cursor is on is the shell's prompt (and the screen has settled). */
async function waitForPrompt(page: Page): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const screen = await settledTerminalScreen(page, LABEL, 600);
    const line = screen.cursor ? screen.rows[screen.cursor.row]?.trimEnd() : undefined;
    if (line !== undefined && PROMPT.test(line)) return;
    if (Date.now() > deadline) throw new Error(`no prompt at the cursor; the terminal shows:\n${screen.rows.join('\n')}`);
  }
}

async function type(page: Page, text: string): Promise<void> {
  await page.keyboard.type(text, { delay: KEY_DELAY_MS });
}

async function press(page: Page, key: string, times = 1): Promise<void> {
  for (let i = 0; i < times; i += 1) {
    await page.keyboard.press(key);
    await page.waitForTimeout(KEY_DELAY_MS);
  }
}

/**
 * The corpus, typed with real key presses; each program is waited for as a person would. Resolves
 * to the screens inside vi and less (the alternate screen, gone from the final one).
 */
async function typeCorpus(page: Page): Promise<Record<string, TerminalScreen>> {
  const inside: Record<string, TerminalScreen> = {};
  await type(page, 'seq 1 300 > numbers.txt');
  await press(page, 'Enter');
  await waitForPrompt(page);

  // A shell line with edits: typos fixed with the arrows, insertion and backspace.
  await type(page, 'echo helo wrld'); //           cursor after "wrld"
  await press(page, 'ArrowLeft', 3); //            before "rld"
  await type(page, 'o'); //                        "world"
  await press(page, 'ArrowLeft', 4); //            before the "o" of "helo"
  await type(page, 'l'); //                        "hello"
  await press(page, 'ArrowRight', 7); //           the end of the line
  await press(page, 'Backspace', 5); //            "world" gone
  await type(page, 'there.');
  await press(page, 'Enter');
  await waitForTerminalScreen(page, LABEL, /^hello there\.\s*$/m);
  await waitForPrompt(page);

  // A password prompt: nothing typed there may show.
  await type(page, `read -s -p 'Password: ' p; echo "len \${#p}"`);
  await press(page, 'Enter');
  await waitForTerminalScreen(page, LABEL, /Password: \s*$/m);
  await type(page, 'hunter22');
  await press(page, 'Enter');
  // -s turns the echo off, so the Enter does not start a new line either.
  await waitForTerminalScreen(page, LABEL, /^Password: len 8\s*$/m);
  await waitForPrompt(page);

  // vi (Debian's vim.tiny): insert mode with a typo fixed, then quit without saving.
  await type(page, 'vi notes.txt');
  await press(page, 'Enter');
  await waitForTerminalScreen(page, LABEL, /"notes\.txt"/);
  // vi's whole screen (its `~` rows after the end of the file), not only its status line: over
  // the lossy link they may come in another packet, later than the quiet of 600 ms.
  await waitForTerminalScreen(page, LABEL, /^~\s*$/m);
  await settledTerminalScreen(page, LABEL, 600);
  await press(page, 'i');
  await type(page, 'first line');
  await press(page, 'Enter');
  await type(page, 'second lien');
  await press(page, 'Backspace', 2);
  await type(page, 'ne');
  await waitForTerminalScreen(page, LABEL, /^second line\s*$/m);
  inside.vi = await settledTerminalScreen(page, LABEL, 1_000);
  await press(page, 'Escape');
  await settledTerminalScreen(page, LABEL, 600);
  await type(page, ':q!');
  await press(page, 'Enter');
  await waitForPrompt(page);

  // less: a page down, then quit.
  await type(page, 'less numbers.txt');
  await press(page, 'Enter');
  await waitForTerminalScreen(page, LABEL, /numbers\.txt/);
  await settledTerminalScreen(page, LABEL, 600);
  await press(page, ' ');
  inside.less = await settledTerminalScreen(page, LABEL, 1_000);
  await press(page, 'q');
  await waitForPrompt(page);
  return inside;
}

/**
 * Loads the app once and its terminal font, so that both runs measure the same cell size (and so
 * the same columns): over the slow link the font may otherwise come after the terminal view's
 * wait for it, and a terminal a column narrower wraps and pads differently.
 */
async function warmUp(): Promise<void> {
  const page = await context!.newPage();
  await gotoRetryingNetworkChange(page, `${agent!.baseUrl}/?token=${agent!.token}`);
  await page.evaluate(() => document.fonts.load('13px "Geist Mono Variable"'));
  await page.close();
}

/** Opens the workspace's terminal in a new tab (a new shell) with local echo `mode`, types the corpus, and reads the final screen. */
async function runCorpus(mode: EchoMode): Promise<CorpusRun> {
  const page = await context!.newPage();
  try {
    // The WebSocket handshakes, as Chromium saw them on the wire.
    const cdp = await context!.newCDPSession(page);
    await cdp.send('Network.enable');
    const socketUrls = new Map<string, string>();
    let terminalExtensions: string | undefined;
    cdp.on('Network.webSocketCreated', (event: { requestId: string; url: string }) => socketUrls.set(event.requestId, event.url));
    cdp.on('Network.webSocketHandshakeResponseReceived', (event: { requestId: string; response: { headers: Record<string, string> } }) => {
      if (!socketUrls.get(event.requestId)?.includes('/terminal/')) return;
      const headers = Object.entries(event.response.headers);
      terminalExtensions = headers.find(([name]) => name.toLowerCase() === 'sec-websocket-extensions')?.[1];
    });

    await gotoRetryingNetworkChange(page, `${agent!.baseUrl}/workspaces/${WORKSPACE}/terminal?token=${agent!.token}&localEcho=${mode}`);
    const terminal = page.locator(`[aria-label="${LABEL}"][data-terminal-status="open"]`);
    await terminal.waitFor({ timeout: 60_000 }).catch(async (error: unknown) => {
      await page.screenshot({ path: join(artifacts, `slow-link-not-open-${mode}.png`) });
      const status = await page.locator(`[aria-label="${LABEL}"]`).getAttribute('data-terminal-status').catch(() => null);
      throw new Error(`the terminal did not open (status ${status}): ${String(error)}\nthe agent's log ends:\n${agent!.log().slice(-3000)}`);
    });
    await page.evaluate((label) => {
      const host = document.querySelector(`[aria-label="${label}"]`)!;
      const probe = { underlinedDraws: 0, localEchoSeen: new Set<string>() };
      (window as unknown as { slowLinkProbe: typeof probe }).slowLinkProbe = probe;
      new MutationObserver((mutations) => {
        for (const mutation of mutations) {
          if (mutation.type === 'attributes') probe.localEchoSeen.add(host.getAttribute('data-local-echo') ?? 'none');
          for (const node of mutation.addedNodes) {
            if (!(node instanceof Element)) continue;
            const drawn = [node, ...node.querySelectorAll('span')];
            if (drawn.some((element) => [...element.classList].some((name) => name.startsWith('xterm-underline')))) probe.underlinedDraws += 1;
          }
        }
      }).observe(host, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-local-echo'] });
      probe.localEchoSeen.add(host.getAttribute('data-local-echo') ?? 'none');
    }, LABEL);
    await terminal.locator('.xterm-helper-textarea').focus();
    await waitForPrompt(page);

    const inside = await typeCorpus(page);

    const screen = await settledTerminalScreen(page, LABEL, 1_500);
    assert.deepEqual(await readTerminalScreen(page, LABEL), screen, 'the screen changed after it had settled');
    await page.screenshot({ path: join(artifacts, `slow-link-corpus-echo-${mode}.png`) });
    const probe = await page.evaluate(() => {
      const { underlinedDraws, localEchoSeen } = (window as unknown as { slowLinkProbe: { underlinedDraws: number; localEchoSeen: Set<string> } })
        .slowLinkProbe;
      return { underlinedDraws, localEchoSeen: [...localEchoSeen] };
    });
    return { screen, inside, ...probe, terminalExtensions };
  } finally {
    await page.close();
  }
}

describe('terminals over a slow link (150 ms round trip, 1 % loss)', () => {
  const runs: Partial<Record<EchoMode, CorpusRun>> = {};

  before(async () => {
    artifacts = await ensureArtifactsDir();
    namespace = await createNamespace('webslow');
    link = await openSlowLink(namespace, ROUND_TRIP_MS, LOSS_PERCENT);
    console.log(`slow link ${link.hostIp} ↔ ${link.agentIp} (${link.emulation}), ${ROUND_TRIP_MS} ms round trip, ${LOSS_PERCENT} % loss`);
    agent = await startAgent({ tag: 'slow', namespace: slowNamespace(namespace, link) });
    await agent.rpc('workspaces/create', { name: WORKSPACE });
    await waitForRunning(agent, WORKSPACE);
    browser = await launchBrowser();
    context = await browser.newContext({ viewport: VIEWPORT });
    await warmUp();
  });

  after(async () => {
    // Each step on its own: one failing does not leave the others' leftovers behind.
    await browser?.close().catch((error: unknown) => console.error(`cleanup: ${String(error)}`));
    await agent?.shutdown().catch((error: unknown) => console.error(`cleanup: ${String(error)}`));
    if (link) await closeSlowLink(link).catch((error: unknown) => console.error(`cleanup: ${String(error)}`));
    if (namespace) await deleteNamespace(namespace);
  });

  test('the corpus typed with local echo ends on the same screen as without it', async () => {
    const started = Date.now();
    runs.always = await runCorpus('always');
    const withEcho = Date.now() - started;
    runs.off = await runCorpus('off');
    console.log(`corpus typed: with local echo ${withEcho} ms, without ${Date.now() - started - withEcho} ms`);
    const text = (screen: TerminalScreen) => [...screen.rows, `cursor ${JSON.stringify(screen.cursor)}`].join('\n');
    const report = (run: CorpusRun) => [`in vi:\n${text(run.inside.vi!)}`, `in less:\n${text(run.inside.less!)}`, `final:\n${text(run.screen)}`].join('\n\n');
    await writeFile(join(artifacts, 'slow-link-corpus-screens.txt'), `WITH LOCAL ECHO\n${report(runs.always)}\n\nWITHOUT\n${report(runs.off)}\n`);
    assert.ok(runs.off.screen.cursor, 'the final screen shows a cursor');
    assert.equal(text(runs.always.inside.vi!), text(runs.off.inside.vi!), 'inside vi');
    assert.equal(text(runs.always.inside.less!), text(runs.off.inside.less!), 'inside less');
    assert.equal(text(runs.always.screen), text(runs.off.screen), 'the final screen');
  });

  test('local echo drew predictions with it on, and none with it off', () => {
    assert.ok(runs.always && runs.off, 'the corpus ran');
    assert.ok(runs.always.localEchoSeen.includes('on'), `data-local-echo was ${runs.always.localEchoSeen.join(', ')}`);
    assert.ok(runs.always.underlinedDraws > 0, 'no prediction (an underlined cell) was ever drawn with local echo on');
    assert.deepEqual(runs.off.localEchoSeen, ['off']);
    assert.equal(runs.off.underlinedDraws, 0, 'underlined cells were drawn with local echo off');
    console.log(`predictions drawn (underlined cells appearing) with local echo on: ${runs.always.underlinedDraws}`);
  });

  test('the terminal WebSocket negotiated permessage-deflate', () => {
    for (const mode of ['always', 'off'] as const) {
      const extensions = runs[mode]?.terminalExtensions;
      assert.match(extensions ?? '(no sec-websocket-extensions header)', /permessage-deflate/, `local echo ${mode}`);
    }
  });
});
