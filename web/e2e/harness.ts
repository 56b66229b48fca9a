// Shared by the e2e suite and the benchmark: a real `perry agent run` (from @perry/client/testing,
// which clients/ts's tests use too: its own temp config dir, port, token, workspace prefix and SSH
// port range) with what only the browser tests need, and Debian's Chromium driven by playwright-core.
//
// PERRY_BIN           the perry binary (default <repo>/target/release/perry)
// PERRY_TEST_IMAGE    the workspace image (default workspace-base)
// PERRY_E2E_WEB_DIR   serve the UI from this directory (PERRY_WEB_DIR) instead of the copy
//                     embedded in the binary; for iterating on web/ without rebuilding the agent
// CHROMIUM            the browser (default /usr/bin/chromium)

import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createServer as createHttpServer, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createHash, X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { dirname, extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { dockerApi, freePort, prefixFilter, startTestAgent, type HarnessFetch, type TestAgent } from '@perry/client/testing';
import { chromium, type Browser, type Page } from 'playwright-core';

export { freePort };

const here = dirname(fileURLToPath(import.meta.url));
export const webRoot = resolve(here, '..');
export const repoRoot = resolve(webRoot, '..');
export const artifactsDir = join(webRoot, 'test-artifacts');
/** The phone app's web export (`npm run export:web` in mobile/). */
export const mobileDist = join(repoRoot, 'mobile', 'dist');

export const perryBin = process.env.PERRY_BIN ? resolve(process.env.PERRY_BIN) : join(repoRoot, 'target', 'release', 'perry');
export const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';

export interface AgentOptions {
  tag: string;
  /** state.json to start from (records whose containers do not exist show as `error`). */
  state?: unknown;
  /** config.json's allowedOrigins: pages served from these may call the agent. */
  allowedOrigins?: string[];
  /** Runs the agent with `--no-auth`. */
  noAuth?: boolean;
  /** Serves HTTPS with this certificate (`--tls-cert/--tls-key`); the harness trusts its CA. */
  tls?: TestCertificates;
  /** Runs in this network namespace, as on another machine ({@link createNamespace}). */
  namespace?: Namespace;
  /** More environment for the agent (e.g. a HOME of the test's own, whose ~/.ssh it lists). */
  env?: Record<string, string>;
  /** More keys for config.json (e.g. `terminalCompression: false`). */
  config?: Record<string, unknown>;
}

/** PEM files of a test CA and a server certificate it signed for 127.0.0.1 and localhost. */
export interface TestCertificates {
  ca: string;
  cert: string;
  key: string;
  /** base64 SHA-256 of the server certificate's public key, as Chromium's
   * `--ignore-certificate-errors-spki-list` takes it: that one certificate is trusted, no other. */
  spki: string;
}

/** A test agent, with the `Open: http://…/?token=…` line it printed. */
export type RunningAgent = TestAgent & { printedUrl: () => string | undefined };

export async function startAgent(options: AgentOptions): Promise<RunningAgent> {
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  delete env.PERRY_WEB_DIR;
  if (process.env.PERRY_E2E_WEB_DIR) env.PERRY_WEB_DIR = resolve(process.env.PERRY_E2E_WEB_DIR);
  const agent = await startTestAgent({
    tag: `web${options.tag}`,
    bin: perryBin,
    config: { ...(options.allowedOrigins ? { allowedOrigins: options.allowedOrigins } : {}), ...options.config },
    state: options.state,
    args: [
      ...(options.noAuth ? ['--no-auth'] : []),
      ...(options.tls ? ['--tls-cert', options.tls.cert, '--tls-key', options.tls.key] : []),
    ],
    env,
    https: options.tls !== undefined,
    ...(options.namespace ? { namespace: options.namespace } : {}),
    ...(options.tls ? { fetch: fetchTrusting(await readFile(options.tls.ca)) } : {}),
  });
  return { ...agent, printedUrl: () => /Open:\s+(\S+)/.exec(agent.log())?.[1] };
}

/** A fetch for an https agent whose certificate `ca` signed: Node's own fetch takes no CA. */
function fetchTrusting(ca: Buffer): HarnessFetch {
  return (url, init = {}) =>
    new Promise((resolveFetch, reject) => {
      const call = httpsRequest(url, { method: init.method ?? 'GET', headers: init.headers ?? {}, ca }, (response) => {
        let body = '';
        response.on('data', (chunk: Buffer) => (body += chunk.toString()));
        response.on('end', () => {
          const status = response.statusCode ?? 0;
          resolveFetch({ ok: status >= 200 && status < 300, status, json: async () => JSON.parse(body) as unknown });
        });
      });
      call.on('error', reject);
      call.end(init.body);
    });
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((done, reject) => {
    execFile(command, args, (error, _stdout, stderr) => (error ? reject(new Error(`${command} ${args.join(' ')}: ${stderr}`)) : done()));
  });
}

/** A CA and a server certificate it signed for 127.0.0.1 and localhost, made with openssl in `dir`. */
export async function makeTestCertificates(dir: string): Promise<TestCertificates> {
  const file = (name: string) => join(dir, name);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  await run('openssl', ['req', '-x509', ...ec, '-keyout', file('ca.key'), '-out', file('ca.pem'), '-days', '2', '-subj', '/CN=Perry e2e CA']);
  await run('openssl', ['req', ...ec, '-keyout', file('key.pem'), '-out', file('cert.csr'), '-subj', '/CN=localhost']);
  await writeFile(file('ext.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  await run('openssl', [
    'x509', '-req', '-in', file('cert.csr'), '-CA', file('ca.pem'), '-CAkey', file('ca.key'), '-CAcreateserial',
    '-out', file('cert.pem'), '-days', '2', '-extfile', file('ext.cnf'),
  ]);
  const spkiDer = new X509Certificate(await readFile(file('cert.pem'))).publicKey.export({ type: 'spki', format: 'der' });
  return { ca: file('ca.pem'), cert: file('cert.pem'), key: file('key.pem'), spki: createHash('sha256').update(spkiDer).digest('base64') };
}

/**
 * Runs `script` with bash inside a container as user `workspace` (so files it writes belong to
 * that user), `input` on its stdin; resolves to its stdout, rejects when it fails.
 */
export async function execInContainer(container: string, script: string, input = ''): Promise<string> {
  return await new Promise((resolveRun, reject) => {
    const child = spawn('docker', ['exec', '-i', '-u', 'workspace', '-w', '/home/workspace', container, 'bash', '-c', script], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolveRun(stdout) : reject(new Error(`docker exec ${container} failed (${code}): ${stderr}`))));
    child.stdin.end(input);
  });
}

/** Docker's events (type, action and name, e.g. `container create web-…-alpha`) of the objects labelled with `prefix`, between two Unix times. */
export async function dockerEvents(prefix: string, since: number, until: number): Promise<string[]> {
  const { body } = await dockerApi('GET', `/events?since=${since}&until=${until}&filters=${prefixFilter(prefix)}`);
  return body
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const event = JSON.parse(line) as { Type: string; Action: string; Actor?: { Attributes?: { name?: string } } };
      return `${event.Type} ${event.Action} ${event.Actor?.Attributes?.name ?? ''}`.trim();
    });
}

/** Chromium; `extraArgs` adds switches such as `--host-resolver-rules`. */
export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  if (!existsSync(chromiumPath)) throw new Error(`no Chromium at ${chromiumPath}: apt-get install -y chromium`);
  return await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      ...extraArgs,
    ],
  });
}

export async function ensureArtifactsDir(): Promise<string> {
  await mkdir(artifactsDir, { recursive: true });
  return artifactsDir;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.ttf': 'font/ttf',
};

/**
 * Serves `dir` on 127.0.0.1:`port` from an origin of its own, as a phone app's requests come
 * from outside the agent's; unknown paths get index.html, as a single-page router expects.
 */
export async function serveDirectory(dir: string, port: number): Promise<Server> {
  const server = createHttpServer(async (incoming, response) => {
    const path = normalize(decodeURIComponent(new URL(incoming.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    let file = join(dir, path);
    if (!existsSync(file) || path.endsWith('/')) file = join(dir, 'index.html');
    try {
      const body = await readFile(file);
      response.writeHead(200, { 'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream' });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((done) => server.listen(port, '127.0.0.1', done));
  return server;
}

/** A phone's screen, as the phone app's tests use it. */
export const PHONE = { width: 390, height: 844 };

/** The phone app's web export served from an origin of its own, and a phone-sized page to open it in. */
export interface PhoneApp {
  appUrl: string;
  server: Server;
  browser: Browser;
  page: Page;
}

/** Serves the phone app's web export (`npm run export:web` in mobile/) and opens Chromium as a phone. */
export async function openPhoneApp(): Promise<PhoneApp> {
  if (!existsSync(join(mobileDist, 'index.html'))) throw new Error(`no ${mobileDist}: run npm run export:web in mobile/`);
  const port = await freePort();
  const server = await serveDirectory(mobileDist, port);
  const browser = await launchBrowser();
  const page = await browser.newPage({ viewport: PHONE, deviceScaleFactor: 2, hasTouch: true, isMobile: true });
  return { appUrl: `http://127.0.0.1:${port}`, server, browser, page };
}

/**
 * A Claude Code transcript, as the tool writes it: one JSON record per line under
 * ~/.claude/projects/<cwd with / as ->/<session id>.jsonl, for a project in /home/workspace/app.
 * `initial` holds two messages (the user's, which is the title, and the agent's reply with a Bash
 * call); `appended` is a third, for the tests that watch the session move on.
 */
export function claudeTranscript(sessionId: string) {
  const dir = '/home/workspace/.claude/projects/-home-workspace-app';
  const title = 'Fix the footer links';
  const line = (record: Record<string, unknown>): string => JSON.stringify({ sessionId, cwd: '/home/workspace/app', ...record }) + '\n';
  const initial = [
    line({ type: 'user', uuid: 'u1', parentUuid: null, timestamp: '2026-11-26T08:00:00.000Z', message: { role: 'user', content: title } }),
    line({
      type: 'assistant',
      uuid: 'a1',
      parentUuid: 'u1',
      timestamp: '2026-11-26T08:00:04.000Z',
      message: {
        id: 'msg_a1',
        type: 'message',
        role: 'assistant',
        content: [
          { type: 'text', text: 'Looking at footer.html.' },
          { type: 'tool_use', id: 't1', name: 'Bash', input: { command: 'grep -n href footer.html' } },
        ],
      },
    }),
  ].join('');
  const appended = line({
    type: 'user',
    uuid: 'u2',
    parentUuid: 'a1',
    timestamp: '2026-11-26T08:01:00.000Z',
    message: { role: 'user', content: 'Also check the header links.' },
  });
  return { dir, file: `${dir}/${sessionId}.jsonl`, title, line, initial, appended };
}

/** A network namespace made by perry-netns (the Rust tests' own code): an agent in it is on
 * another machine as far as clients in this namespace can tell. */
export interface Namespace {
  name: string;
  agentIp: string;
  hostIp: string;
}

/** The perry-netns binary (`cargo build --release -p perry-test-support --bin perry-netns`). */
const netnsBin = process.env.PERRY_NETNS_BIN ? resolve(process.env.PERRY_NETNS_BIN) : join(repoRoot, 'target', 'release', 'perry-netns');

function netns(args: string[]): Promise<string> {
  return new Promise((done, fail) =>
    execFile(netnsBin, args, (error, stdout, stderr) => (error ? fail(new Error(`perry-netns ${args.join(' ')}: ${stderr || error.message}`)) : done(stdout))),
  );
}

export async function createNamespace(tag: string): Promise<Namespace> {
  return JSON.parse(await netns(['create', tag])) as Namespace;
}

/** Cuts the namespace's link (`ip link set … down`). */
export async function cutLink(namespace: Namespace): Promise<void> {
  await netns(['cut', namespace.name]);
}

export async function restoreLink(namespace: Namespace): Promise<void> {
  await netns(['up', namespace.name]);
}

export async function deleteNamespace(namespace: Namespace): Promise<void> {
  await netns(['delete', namespace.name]);
}

/**
 * A slow link to a namespace (`perry-netns netem`, crates/perry-test-support/src/slow_link.rs): a
 * link of its own between this (root) namespace and the namespace, delaying every packet by half
 * the round trip each way and dropping some (netem where the kernel has it, else a userspace
 * emulator over TUN devices). An agent started with `namespace: slowNamespace(namespace, link)`
 * listens on the link's far end, so a browser here reaches it only over the slow link, while the
 * agent reaches its workspaces' containers over the namespace's own (fast) veth pair.
 */
export interface SlowLink {
  /** The agent's end, in the namespace. */
  agentIp: string;
  /** This namespace's end. */
  hostIp: string;
  /** This namespace's interface of the link, whose counters are the bytes on the wire. */
  interface: string;
  /** `netem` (the kernel's) or `userspace` (where the kernel has no netem). */
  emulation: 'netem' | 'userspace';
  process: ChildProcess;
}

/** Opens a slow link to `namespace`: `roundTripMs` added to each round trip, `lossPercent` of them losing a packet. */
export async function openSlowLink(namespace: Namespace, roundTripMs: number, lossPercent: number): Promise<SlowLink> {
  const child = spawn(netnsBin, ['netem', namespace.name, String(roundTripMs), String(lossPercent)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise<string>((done, fail) => {
    lines.once('line', done);
    child.once('exit', (code) => fail(new Error(`perry-netns netem ${namespace.name} exited (${code}): ${stderr}`)));
  });
  lines.close();
  const link = JSON.parse(first) as Omit<SlowLink, 'process'>;
  return { ...link, process: child };
}

/** Removes the slow link (its process ends when its stdin closes). */
export async function closeSlowLink(link: SlowLink): Promise<void> {
  const child = link.process;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  child.stdin?.end();
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

/** The namespace as `startAgent` takes it, with the agent listening on the slow link's end. */
export function slowNamespace(namespace: Namespace, link: SlowLink): Namespace {
  return { ...namespace, agentIp: link.agentIp };
}

/** Bytes through the slow link so far, both directions (its interface's rx_bytes + tx_bytes). */
export async function slowLinkBytes(link: SlowLink): Promise<number> {
  const counter = async (name: string) => Number((await readFile(`/sys/class/net/${link.interface}/statistics/${name}`, 'utf8')).trim());
  return (await counter('rx_bytes')) + (await counter('tx_bytes'));
}

/** What a terminal shows: each row of xterm's screen (DOM renderer) and where the cursor is, if shown. */
export interface TerminalScreen {
  rows: string[];
  cursor: { row: number; col: number } | null;
}

/** The screen of the terminal labelled `label` (e.g. "Terminal: Shell 1"), as drawn from xterm's buffer. */
export async function readTerminalScreen(page: Page, label: string): Promise<TerminalScreen> {
  return await page.evaluate((name) => {
    const rows = [...document.querySelectorAll(`[aria-label="${name}"] .xterm-rows > div`)];
    let cursor: { row: number; col: number } | null = null;
    const text = rows.map((row, index) => {
      const cell = row.querySelector('.xterm-cursor');
      if (cell) {
        const before = document.createRange();
        before.setStart(row, 0);
        before.setEndBefore(cell);
        cursor = { row: index, col: before.toString().length };
      }
      return (row.textContent ?? '').replace(/\u00a0/g, ' ');
    });
    return { rows: text, cursor };
  }, label);
}

/**
 * Waits until the terminal's screen has not changed for `quietMs` (the shell and the link have
 * settled), at most `timeoutMs`; resolves to that screen.
 */
export async function settledTerminalScreen(page: Page, label: string, quietMs = 1_000, timeoutMs = 30_000): Promise<TerminalScreen> {
  const deadline = Date.now() + timeoutMs;
  let last = await readTerminalScreen(page, label);
  let since = Date.now();
  while (Date.now() < deadline) {
    await page.waitForTimeout(100);
    const now = await readTerminalScreen(page, label);
    if (JSON.stringify(now) !== JSON.stringify(last)) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) {
      return now;
    }
  }
  throw new Error(`the terminal never settled; it shows:\n${last.rows.join('\n')}`);
}

/** Waits until the terminal's screen (all rows, as text) matches `pattern`. */
export async function waitForTerminalScreen(page: Page, label: string, pattern: RegExp, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let screen = await readTerminalScreen(page, label);
  while (!pattern.test(screen.rows.join('\n'))) {
    if (Date.now() > deadline) throw new Error(`the terminal never showed ${String(pattern)}; it shows:\n${screen.rows.join('\n')}`);
    await page.waitForTimeout(50);
    screen = await readTerminalScreen(page, label);
  }
}

/** The Docker container of workspace `name` of `agent` (found by the agent's prefix label). */
export async function workspaceContainer(agent: TestAgent, name: string): Promise<string> {
  const { body } = await dockerApi('GET', `/containers/json?filters=${prefixFilter(agent.prefix)}`);
  const containers = JSON.parse(body) as { Names: string[] }[];
  const names = containers.flatMap((container) => container.Names.map((containerName) => containerName.replace(/^\//, '')));
  const found = names.find((containerName) => containerName.endsWith(name));
  if (!found) throw new Error(`no container of workspace ${name} among ${names.join(', ')}`);
  return found;
}

/**
 * Chromium fails a navigation under way with ERR_NETWORK_CHANGED (or shows its error page in its
 * place) when an interface of the machine comes or goes (Docker's veth for a container, another
 * test's namespace): once more then, a moment later.
 */
export async function gotoRetryingNetworkChange(page: Page, url: string): Promise<void> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      await page.goto(url);
      return;
    } catch (error) {
      const changed = /ERR_NETWORK_CHANGED|chrome-error:/.test(String(error));
      if (attempt === 3 || !changed) throw error;
      await page.waitForTimeout(500);
    }
  }
}

/** Waits until the agent lists workspace `name` as running. */
export async function waitForRunning(running: RunningAgent, name: string): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const workspaces = await running.rpc<{ name: string; status: string }[]>('workspaces/list');
    const status = workspaces.find((workspace) => workspace.name === name)?.status;
    if (status === 'running') return;
    if (Date.now() > deadline) throw new Error(`workspace ${name} is ${status ?? 'missing'}, not running`);
    await new Promise((done) => setTimeout(done, 500));
  }
}
