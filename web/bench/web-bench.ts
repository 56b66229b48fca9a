// Figures for the web UI (issue 5):
//   1. first-load JavaScript, gzipped: the entry script and its modulepreloads from dist/index.html;
//      the lazily loaded terminal chunk separately
//   2. navigation → workspace list rendered, against a real agent holding a few workspaces
//      (state.json records without containers: they list as `error`, which renders the same)
// Run `npm run build` first. The agent serves the UI embedded in PERRY_BIN unless
// PERRY_E2E_WEB_DIR points at a dist directory (see e2e/harness.ts).

import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { launchBrowser, startAgent, webRoot } from '../e2e/harness.ts';

const GOAL_KB = 300;
const NAVIGATIONS = 11;
const WORKSPACES = 5;
const LIST_RENDERED_MARK = 'perry:workspaces-rendered';

const dist = join(webRoot, 'dist');

function gzipKb(bytes: Buffer): number {
  return gzipSync(bytes, { level: 9 }).length / 1024;
}

async function firstLoadJs(): Promise<void> {
  const html = await readFile(join(dist, 'index.html'), 'utf8');
  const entries = [...html.matchAll(/<script[^>]*type="module"[^>]*src="([^"]+)"/g)].map((m) => m[1]!);
  const preloads = [...html.matchAll(/<link[^>]*rel="modulepreload"[^>]*href="([^"]+)"/g)].map((m) => m[1]!);
  const files = [...new Set([...entries, ...preloads])];
  if (entries.length === 0) throw new Error('dist/index.html has no module script: run `npm run build`');
  let total = 0;
  for (const file of files) {
    const size = gzipKb(await readFile(join(dist, file.replace(/^\//, ''))));
    total += size;
    console.log(`  ${file}: ${size.toFixed(1)} KB gzip`);
  }
  console.log(`web first-load JS (gzip): ${total.toFixed(1)} KB (goal ≤ ${GOAL_KB} KB) ${total <= GOAL_KB ? 'ok' : 'OVER'}`);

  const assets = await readdir(join(dist, 'assets'));
  const firstLoad = new Set(files.map((file) => file.replace(/^\/assets\//, '')));
  const lazy = assets.filter((name) => name.endsWith('.js') && !firstLoad.has(name));
  for (const name of lazy) {
    const size = gzipKb(await readFile(join(dist, 'assets', name)));
    const what = name.startsWith('terminal-view') ? 'terminal (xterm.js), lazy' : 'lazy chunk';
    console.log(`web ${what} JS (gzip): ${size.toFixed(1)} KB  [${name}]`);
  }
  const css = assets.filter((name) => name.endsWith('.css'));
  for (const name of css) console.log(`web CSS ${name} (gzip): ${gzipKb(await readFile(join(dist, 'assets', name))).toFixed(1)} KB`);
}

async function timeToList(): Promise<void> {
  const created = new Date().toISOString();
  const workspaces = Object.fromEntries(
    Array.from({ length: WORKSPACES }, (_, i) => {
      const name = `bench-${i + 1}`;
      return [name, { name, status: 'running', containerId: `gone${i}`, created, image: 'workspace-base', ports: { ssh: 1 } }];
    }),
  );
  const agent = await startAgent({ tag: 'bench', state: { workspaces } });
  const browser = await launchBrowser();
  try {
    const times: number[] = [];
    for (let i = 0; i < NAVIGATIONS; i += 1) {
      // A new context is a cold start: empty cache, no storage.
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      await page.goto(`${agent.baseUrl}/?token=${agent.token}`);
      await page.locator('tbody tr[data-workspace]').nth(WORKSPACES - 1).waitFor({ timeout: 30_000 });
      const ms = await page.evaluate(
        (mark) => performance.getEntriesByName(mark)[0]?.startTime ?? Number.NaN,
        LIST_RENDERED_MARK,
      );
      await context.close();
      // The first navigation warms the agent and the browser's own caches; it does not count.
      if (i > 0) times.push(ms);
    }
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)]!;
    console.log(
      `web navigation → workspace list rendered (${WORKSPACES} workspaces, localhost, cold context): ` +
        `median ${median.toFixed(0)} ms (min ${times[0]!.toFixed(0)}, max ${times[times.length - 1]!.toFixed(0)}, n=${times.length})`,
    );
  } finally {
    await browser.close();
    await agent.shutdown();
  }
}

await firstLoadJs();
await timeToList();
