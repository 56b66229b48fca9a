// Figures for the phone app (issue 9), from its web export (mobile/dist, `npm run export:web`):
//   1. the JavaScript bundle, raw and gzipped: what the first screen loads, and the terminal page
//      (xterm.js) that loads when a terminal first opens
//   2. connect → workspace list rendered: from the press on Connect (sign-in URL pasted) until
//      the last of 5 workspaces is on screen, against a real agent on localhost, each time in a
//      fresh browser context (no storage, empty cache) at 390×844. Measured in Node around the
//      page's work, so a few milliseconds of Playwright are included.
//   3. open a terminal → shell prompt on screen: from the press on "Open a terminal" on a real
//      running workspace until the prompt is drawn by xterm.js in its iframe (fresh context each
//      time, so the terminal page's chunk is fetched and parsed every time).

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { freePort, launchBrowser, mobileDist, serveDirectory, startAgent } from '../e2e/harness.ts';

const RUNS = 11;
const WORKSPACES = 5;

async function bundleSize(): Promise<void> {
  const dir = join(mobileDist, '_expo', 'static', 'js', 'web');
  const sizes = { initial: { raw: 0, gzip: 0 }, terminal: { raw: 0, gzip: 0 } };
  for (const name of await readdir(dir)) {
    if (!name.endsWith('.js')) continue;
    const bytes = await readFile(join(dir, name));
    const part = name.startsWith('page-html-') ? sizes.terminal : sizes.initial;
    part.raw += bytes.length / 1024;
    part.gzip += gzipSync(bytes, { level: 9 }).length / 1024;
  }
  const kb = ({ raw, gzip }: { raw: number; gzip: number }) => `${raw.toFixed(0)} KB, ${gzip.toFixed(0)} KB gzip`;
  console.log(`phone app web export JS: first screen ${kb(sizes.initial)}; terminal page, loaded on first use, ${kb(sizes.terminal)}`);
}

async function connectToList(): Promise<void> {
  const created = new Date().toISOString();
  const workspaces = Object.fromEntries(
    Array.from({ length: WORKSPACES }, (_, i) => {
      const name = `bench-${i + 1}`;
      return [name, { name, status: 'running', containerId: `gone${i}`, created, image: 'workspace-base', ports: { ssh: 1 } }];
    }),
  );
  const port = await freePort();
  const appUrl = `http://127.0.0.1:${port}`;
  const server = await serveDirectory(mobileDist, port);
  const agent = await startAgent({ tag: 'mbench', state: { workspaces }, allowedOrigins: [appUrl] });
  const browser = await launchBrowser();
  try {
    const times: number[] = [];
    for (let i = 0; i < RUNS; i += 1) {
      const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
      const page = await context.newPage();
      await page.goto(appUrl);
      await page.getByTestId('address').fill(`${agent.baseUrl}/?token=${agent.token}`);
      const started = performance.now();
      await page.getByTestId('connect').click();
      await page.getByLabel(`Workspace bench-${WORKSPACES}`).waitFor({ timeout: 30_000 });
      const ms = performance.now() - started;
      await context.close();
      // The first run warms the agent and the browser; it does not count.
      if (i > 0) times.push(ms);
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)]!;
    console.log(
      `phone app connect → workspace list (${WORKSPACES} workspaces, localhost, fresh context): ` +
        `median ${median.toFixed(0)} ms (min ${times[0]!.toFixed(0)}, max ${times[times.length - 1]!.toFixed(0)}, n=${times.length})`,
    );
  } finally {
    await browser.close();
    await agent.shutdown();
    await new Promise((done) => server.close(done));
  }
}

async function terminalPrompt(): Promise<void> {
  const port = await freePort();
  const appUrl = `http://127.0.0.1:${port}`;
  const server = await serveDirectory(mobileDist, port);
  const agent = await startAgent({ tag: 'mbench-term', allowedOrigins: [appUrl] });
  const browser = await launchBrowser();
  try {
    await agent.rpc('workspaces/create', { name: 'bench-term' });
    const times: number[] = [];
    for (let i = 0; i < RUNS; i += 1) {
      const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
      const page = await context.newPage();
      await page.goto(appUrl);
      await page.getByTestId('address').fill(`${agent.baseUrl}/?token=${agent.token}`);
      await page.getByTestId('connect').click();
      await page.getByLabel('Workspace bench-term').click();
      await page.getByTestId('open-terminal').waitFor();
      const started = performance.now();
      await page.getByTestId('open-terminal').click();
      await page.frameLocator('iframe[title="Terminal"]').getByText('workspace@bench-term').first().waitFor({ timeout: 30_000 });
      const ms = performance.now() - started;
      await context.close();
      if (i > 0) times.push(ms);
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)]!;
    console.log(
      `phone app open terminal → shell prompt (real workspace, localhost, fresh context): ` +
        `median ${median.toFixed(0)} ms (min ${times[0]!.toFixed(0)}, max ${times[times.length - 1]!.toFixed(0)}, n=${times.length})`,
    );
  } finally {
    await browser.close();
    await agent.shutdown();
    await new Promise((done) => server.close(done));
  }
}

await bundleSize();
await connectToList();
await terminalPrompt();
