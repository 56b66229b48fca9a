// Figure of issue #20: a setting saved in the web UI → applied in 10 running workspaces.
// A real agent with 10 real workspaces; in Chromium, each sample types a new value of an
// environment variable into Settings → Environment, saves it, presses "Apply to running
// workspaces" and waits until all 10 are listed with ✓. The time printed is from the Save click
// to the tenth ✓; the value is then read back in every workspace (checked, not assumed).
// Run by `bench/run.sh settings-web` after `make build`.

import { execInContainer, launchBrowser, startAgent } from '../e2e/harness.ts';

const WORKSPACES = 10;
const SAMPLES = 5;

const agent = await startAgent({ tag: 'settings-bench' });
const browser = await launchBrowser();
try {
  const names = Array.from({ length: WORKSPACES }, (_, i) => `ws${i + 1}`);
  // Two at a time: each workspace starts its own dockerd.
  for (let i = 0; i < names.length; i += 2) {
    await Promise.all(names.slice(i, i + 2).map((name) => agent.rpc('workspaces/create', { name })));
  }
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  const page = await context.newPage();
  await page.goto(`${agent.baseUrl}/settings/environment?token=${agent.token}`);
  const times: number[] = [];
  for (let sample = 0; sample < SAMPLES; sample += 1) {
    const value = `bench-value-${sample}`;
    const form = page.getByRole('form', { name: 'Set an environment variable' });
    await form.getByLabel('Name', { exact: true }).fill('PERRY_BENCH_SETTING');
    await form.getByLabel('Value').fill(value);
    const started = performance.now();
    // The first save sets it; the later ones replace its value.
    await form.getByRole('button', { name: /^(Set variable|Replace value)$/ }).click();
    await page.getByRole('button', { name: 'Apply to running workspaces' }).click();
    const applied = page.getByRole('list', { name: 'Applied to' });
    await applied.getByLabel('applied').nth(WORKSPACES - 1).waitFor({ timeout: 120_000 });
    times.push(performance.now() - started);
    if ((await applied.getByLabel('failed').count()) > 0) throw new Error(`a workspace did not take it: ${await applied.innerText()}`);
    for (const name of names) {
      const seen = await execInContainer(`${agent.prefix}${name}`, 'bash -lc \'printf %s "$PERRY_BENCH_SETTING"\'');
      if (seen !== value) throw new Error(`${name} has ${JSON.stringify(seen)}, not ${value}`);
    }
    await page.getByRole('button', { name: 'Dismiss' }).click();
  }
  times.sort((a, b) => a - b);
  console.log(
    `settings (web UI): Save → applied in ${WORKSPACES} running workspaces (✓ shown for each): ` +
      `median ${times[Math.floor(times.length / 2)]!.toFixed(0)} ms (min ${times[0]!.toFixed(0)}, max ${times[times.length - 1]!.toFixed(0)}, n=${times.length}); the value then read back in each`,
  );
} finally {
  await browser.close();
  await agent.shutdown();
}
