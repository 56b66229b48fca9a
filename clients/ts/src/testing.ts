// For tests only, and Node only (`@perry/client/testing`): a real `perry agent run` on its own
// temp config dir, free port, token, workspace prefix and SSH port range, and the cleanup of every
// Docker object its prefix labels. Shared by this package's tests and web's e2e suite, as the Rust
// tests share the perry-test-support crate.
//
// PERRY_BIN           the perry binary (default <repo>/target/release/perry, else target/debug)
// PERRY_TEST_IMAGE    the workspace image (default workspace-base)

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { createPerryClient, type PerryClient, type PerryClientOptions } from './client.ts';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The perry binary tests run: PERRY_BIN, else the release build, else the debug one. */
export function perryBinary(): string {
  if (process.env.PERRY_BIN) return resolve(process.env.PERRY_BIN);
  const release = join(repoRoot, 'target', 'release', 'perry');
  return existsSync(release) ? release : join(repoRoot, 'target', 'debug', 'perry');
}

/** A port nothing on 127.0.0.1 listens on now. */
export async function freePort(): Promise<number> {
  return await new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') {
        server.close();
        reject(new Error('no port'));
        return;
      }
      server.close(() => resolvePort(address.port));
    });
  });
}

/**
 * The first of 100 SSH ports for one agent, at random in 10000–32699 as in the Rust tests: below
 * Linux's ephemeral ports (32768 and up), which other tests' connections take.
 */
export function sshPortRangeStart(): number {
  return 10_000 + Math.floor(Math.random() * 227) * 100;
}

/** The part of a fetch the harness uses; a test may give one that trusts its own CA. */
export type HarnessFetch = (
  url: string,
  init?: { method?: string; headers?: Record<string, string>; body?: string },
) => Promise<{ ok: boolean; status: number; json(): Promise<unknown> }>;

export interface TestAgentOptions {
  /** A short name for the prefix and the config dir. */
  tag: string;
  /** The perry binary (default {@link perryBinary}). */
  bin?: string;
  /** More keys for config.json (e.g. `allowedOrigins`). */
  config?: Record<string, unknown>;
  /** state.json to start from. */
  state?: unknown;
  /** More arguments for `perry agent run` (e.g. `--no-auth`, `--tls-cert …`). */
  args?: string[];
  /** The agent's environment (default this process's). */
  env?: NodeJS.ProcessEnv;
  /** Serve over https: the scheme of `baseUrl`. */
  https?: boolean;
  /** The fetch that checks health and makes `rpc` calls (default the global one). */
  fetch?: HarnessFetch;
  /**
   * Runs the agent in this network namespace (`ip netns exec`), on its address and the default
   * port, as if on another machine (web/e2e's `createNamespace`).
   */
  namespace?: { name: string; agentIp: string };
}

export interface TestAgent {
  baseUrl: string;
  port: number;
  token: string;
  prefix: string;
  configDir: string;
  child: ChildProcess;
  /** Resolves when the agent process exits. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** What the agent printed (stdout and stderr). */
  log: () => string;
  /** A typed client with the agent's token, or `token` (none with `{ token: undefined }`). */
  client(options?: Partial<Pick<PerryClientOptions, 'token' | 'fetch'>>): PerryClient;
  /** Calls a procedure with the agent's token, as `@orpc/client` would; rejects unless 2xx. */
  rpc<T = unknown>(path: string, input?: unknown): Promise<T>;
  /** Deletes every workspace the agent lists, then {@link TestAgent.stop}. */
  shutdown(): Promise<void>;
  /** Stops the agent (SIGTERM, then SIGKILL), removes its prefix's Docker objects and config dir. */
  stop(): Promise<void>;
}

/** Starts `perry agent run` on a temp config dir and a free port; resolves once it is healthy. */
export async function startTestAgent(options: TestAgentOptions): Promise<TestAgent> {
  const bin = options.bin ?? perryBinary();
  if (!existsSync(bin)) throw new Error(`no perry binary at ${bin}: run 'make build' or set PERRY_BIN`);
  const fetch: HarnessFetch = options.fetch ?? globalThis.fetch;
  const token = randomBytes(24).toString('hex');
  const prefix = `ts${options.tag}-${randomBytes(3).toString('hex')}-`;
  const configDir = await mkdtemp(join(tmpdir(), `perry-test-${options.tag}-`));
  const rangeStart = sshPortRangeStart();
  await writeFile(
    join(configDir, 'config.json'),
    JSON.stringify({
      auth: { token },
      workspacePrefix: prefix,
      imageTag: process.env.PERRY_TEST_IMAGE ?? 'workspace-base',
      sshPortRange: { start: rangeStart, end: rangeStart + 99 },
      ...options.config,
    }) + '\n',
  );
  if (options.state !== undefined) await writeFile(join(configDir, 'state.json'), JSON.stringify(options.state) + '\n');

  const port = options.namespace ? 7391 : await freePort();
  const host = options.namespace?.agentIp ?? '127.0.0.1';
  const baseUrl = `${options.https ? 'https' : 'http'}://${host}:${port}`;
  const run = ['agent', 'run', '--host', host, '--port', String(port), ...(options.args ?? [])];
  const [program, args] = options.namespace ? ['ip', ['netns', 'exec', options.namespace.name, bin, ...run]] : [bin, run];
  const child = spawn(program, args, {
    env: { ...(options.env ?? process.env), PERRY_CONFIG_DIR: configDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (log += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );

  async function rpc<T>(path: string, input?: unknown): Promise<T> {
    const response = await fetch(`${baseUrl}/rpc/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(input === undefined ? {} : { json: input }),
    });
    const body = (await response.json()) as { json?: unknown };
    if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${JSON.stringify(body)}`);
    return body.json as T;
  }

  const running = () => child.exitCode === null && child.signalCode === null;

  async function stop(): Promise<void> {
    if (running()) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await removeDockerObjects(prefix).catch((error: unknown) => console.error(`cleanup: ${String(error)}`));
    await rm(configDir, { recursive: true, force: true });
  }

  async function shutdown(): Promise<void> {
    if (running()) {
      try {
        const workspaces = await rpc<{ name: string }[]>('workspaces/list');
        for (const workspace of workspaces) {
          await rpc('workspaces/delete', { name: workspace.name }).catch((error: unknown) => {
            console.error(`cleanup: could not delete ${workspace.name}: ${String(error)}`);
          });
        }
      } catch (error) {
        console.error(`cleanup: could not list workspaces: ${String(error)}`);
      }
    }
    await stop();
  }

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (!running()) {
      await stop();
      throw new Error(`the agent exited before it was healthy:\n${log}`);
    }
    try {
      if ((await fetch(`${baseUrl}/health`)).ok) break;
    } catch {
      // Not listening yet.
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`the agent was not healthy within 30 s:\n${log}`);
    }
    await new Promise((done) => setTimeout(done, 100));
  }

  return {
    baseUrl,
    port,
    token,
    prefix,
    configDir,
    child,
    exited,
    log: () => log,
    client: (clientOptions = {}) => createPerryClient({ url: baseUrl, token, ...clientOptions }),
    rpc,
    shutdown,
    stop,
  };
}

/** One call to the Docker Engine API on its unix socket (DOCKER_HOST=unix://… honoured). */
export function dockerApi(method: string, path: string): Promise<{ status: number; body: string }> {
  const socketPath = process.env.DOCKER_HOST?.startsWith('unix://') ? process.env.DOCKER_HOST.slice('unix://'.length) : '/var/run/docker.sock';
  return new Promise((resolveCall, reject) => {
    const call = request({ socketPath, method, path }, (response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => resolveCall({ status: response.statusCode ?? 0, body }));
    });
    call.on('error', reject);
    call.end();
  });
}

/** The Docker API filter for the objects labelled with `prefix`. */
export function prefixFilter(prefix: string): string {
  return encodeURIComponent(JSON.stringify({ label: [`dev.perry.prefix=${prefix}`] }));
}

/**
 * Removes whatever Docker objects still carry `prefix`'s label once its agent is gone: a failed
 * delete's leftovers, and the workspaces' network, which the agent keeps for the next workspace.
 */
export async function removeDockerObjects(prefix: string): Promise<void> {
  const filters = prefixFilter(prefix);
  const containers = JSON.parse((await dockerApi('GET', `/containers/json?all=1&filters=${filters}`)).body) as { Id: string }[];
  for (const container of containers) await dockerApi('DELETE', `/containers/${container.Id}?force=1&v=1`);
  const volumes = (JSON.parse((await dockerApi('GET', `/volumes?filters=${filters}`)).body) as { Volumes: { Name: string }[] | null }).Volumes ?? [];
  for (const volume of volumes) await dockerApi('DELETE', `/volumes/${encodeURIComponent(volume.Name)}`);
  const networks = JSON.parse((await dockerApi('GET', `/networks?filters=${filters}`)).body) as { Id: string }[];
  for (const network of networks) await dockerApi('DELETE', `/networks/${network.Id}`);
}
