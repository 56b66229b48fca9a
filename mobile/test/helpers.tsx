// Shared by the screen tests: the app's routes in the expo-router test harness, an in-memory
// store and a fake agent behind fetch (the real agent is the web export's end-to-end test).
import { QueryClientProvider } from '@tanstack/react-query';
import { Slot } from 'expo-router';
import { renderRouter } from 'expo-router/testing-library';

import ConnectScreen from '../app/connect';
import Index from '../app/index';
import ScanScreen from '../app/scan';
import SettingsScreen from '../app/settings';
import WorkspaceScreen from '../app/workspaces/[name]/index';
import LogsScreen from '../app/workspaces/[name]/logs';
import SessionScreen from '../app/workspaces/[name]/session';
import SessionsScreen from '../app/workspaces/[name]/sessions';
import TerminalScreen from '../app/workspaces/[name]/terminal';
import WorkspacesScreen from '../app/workspaces/index';
import NewWorkspaceScreen from '../app/workspaces/new';
import { AgentsProvider } from '../src/agents/agents-context';
import { AttentionProvider } from '../src/attention/attention-context';
import type { KeyValueStore } from '../src/agents/storage';
import { createQueryClient } from '../src/query-client';

export const TOKEN = 'right-token';

/** A fake agent: answers oRPC calls from `routes`, 401 without the right token. */
export function fakeAgent(routes: Record<string, () => Response | Promise<Response>>) {
  const calls: string[] = [];
  const fetchImpl = jest.fn(async (input: Request | string) => {
    const request = typeof input === 'string' ? new Request(input) : input;
    const path = new URL(request.url).pathname.replace(/^\/rpc\//, '');
    calls.push(path);
    if (request.headers.get('authorization') !== `Bearer ${TOKEN}`) {
      return rpcError(401, 'UNAUTHORIZED', 'Missing or invalid token');
    }
    const route = routes[path];
    return route ? route() : rpcError(404, 'NOT_FOUND', `no procedure ${path}`);
  });
  return { fetchImpl, calls };
}

export type Route = (input: Record<string, unknown>) => Response | Promise<Response>;

/** A fake agent: `routes` answer by procedure path; every call's input is kept in `calls`. */
export function recordingAgent(routes: Record<string, Route>) {
  const calls: { path: string; input: Record<string, unknown> }[] = [];
  const fetchImpl = jest.fn(async (request: Request) => {
    const path = new URL(request.url).pathname.replace(/^\/rpc\//, '');
    const body = await request.text();
    const input = (body ? (JSON.parse(body) as { json?: Record<string, unknown> }).json : undefined) ?? {};
    calls.push({ path, input });
    if (request.headers.get('authorization') !== `Bearer ${TOKEN}`) return rpcError(401, 'UNAUTHORIZED', 'Missing or invalid token');
    const route = routes[path];
    return route ? route(input) : rpcError(404, 'NOT_FOUND', `no procedure ${path}`);
  });
  const inputsOf = (path: string) => calls.filter((call) => call.path === path).map((call) => call.input);
  return { fetchImpl: fetchImpl as unknown as typeof fetch, calls, inputsOf };
}

export function rpcOk(value: unknown): Response {
  return new Response(JSON.stringify({ json: value }), { status: 200, headers: { 'content-type': 'application/json' } });
}

export function rpcError(status: number, code: string, message: string): Response {
  return new Response(JSON.stringify({ json: { defined: false, code, status, message } }), {
    status,
    headers: { 'content-type': 'application/json' },
  });
}

export const INFO = { version: '0.1.0', hostname: 'devbox', uptime: 5, workspacesCount: 1, dockerVersion: '20.10', dindMode: 'capabilities' };
export const ALPHA = { name: 'alpha', status: 'running', created: '2026-11-26T10:00:00Z', image: 'workspace-base', ports: { ssh: 2201 } };

export function memoryStorage(initial: Record<string, string> = {}): KeyValueStore & { values: Record<string, string> } {
  const values = { ...initial };
  return {
    values,
    get: async (key) => values[key] ?? null,
    set: async (key, value) => {
      values[key] = value;
    },
  };
}

export function renderApp(storage: KeyValueStore, fetchImpl: typeof fetch, initialUrl = '/', cache: KeyValueStore = memoryStorage()) {
  const queryClient = createQueryClient(0);
  globalThis.fetch = fetchImpl;
  return renderRouter(
    {
      _layout: () => (
        <QueryClientProvider client={queryClient}>
          <AgentsProvider storage={storage} cache={cache} fetchImpl={fetchImpl}>
            <AttentionProvider>
              <Slot />
            </AttentionProvider>
          </AgentsProvider>
        </QueryClientProvider>
      ),
      index: Index,
      connect: ConnectScreen,
      scan: ScanScreen,
      settings: SettingsScreen,
      'workspaces/index': WorkspacesScreen,
      'workspaces/new': NewWorkspaceScreen,
      'workspaces/[name]/index': WorkspaceScreen,
      'workspaces/[name]/terminal': TerminalScreen,
      'workspaces/[name]/sessions': SessionsScreen,
      'workspaces/[name]/session': SessionScreen,
      'workspaces/[name]/logs': LogsScreen,
    },
    { initialUrl },
  );
}

export const saved = (url = 'http://devbox:7391') =>
  JSON.stringify({ agents: [{ url, token: TOKEN, hostname: 'devbox' }], active: url });


/** A WebSocket the test drives as the server: installed as the global one by `installFakeSockets`. */
export class FakeSocket {
  static all: FakeSocket[] = [];
  readyState = 0;
  binaryType = 'blob';
  sent: (string | Uint8Array)[] = [];
  closed = false;
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  constructor(readonly url: string) {
    FakeSocket.all.push(this);
  }
  send(data: string | Uint8Array) {
    this.sent.push(data);
  }
  close() {
    this.closed = true;
    this.readyState = 3;
  }
  open() {
    this.readyState = 1;
    this.onopen?.();
  }
  text(value: unknown) {
    this.onmessage?.({ data: JSON.stringify(value) });
  }
  bytes(text: string) {
    this.onmessage?.({ data: new TextEncoder().encode(text).buffer });
  }
  serverClose(code: number, reason = '') {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }
  get path(): string {
    return new URL(this.url).pathname;
  }
  get query(): Record<string, string> {
    return Object.fromEntries(new URL(this.url).searchParams);
  }
  /** What the client sent as binary frames, decoded. */
  get input(): string {
    return this.sent.filter((frame): frame is Uint8Array => typeof frame !== 'string').map((frame) => new TextDecoder().decode(frame)).join('');
  }
}

export function installFakeSockets(): void {
  FakeSocket.all = [];
  (globalThis as unknown as { WebSocket: unknown }).WebSocket = FakeSocket;
}

/** The last socket opened to `path` (e.g. /terminal/alpha). */
export function lastSocket(path: string): FakeSocket | undefined {
  return [...FakeSocket.all].reverse().find((socket) => socket.path === path);
}
