// A saved agent's settings on the phone: the environment, the coding agents' logins and the
// token, against a fake agent (fetch) that keeps settings as the real one does (write-only: names,
// times and fingerprints come back, never values) and refuses a rotated token at once. The real
// agent drives the same screens in web/e2e/mobile-settings.e2e.ts.
import { accountKeyProblem, valueProblem, variableNameProblem, type AccountKind, type Settings, type WorkspaceSyncResult } from '@perry/client';
import { router } from 'expo-router';
import { act, fireEvent, screen, waitFor, within } from 'expo-router/testing-library';

import { replaceToken } from '../src/agents/saved-agents';
import { describeSecret, formatAge, syncOutcome } from '../src/settings/rules';
import { ALPHA, INFO, memoryStorage, renderApp, rpcError, rpcOk, saved, TOKEN } from './helpers';

const URL_ = 'http://devbox:7391';
const EMPTY_SETTINGS: Settings = { env: [], files: [], accounts: [], scripts: [], mcpServers: [], skills: [], ssh: { copy: [], authorized: [] } };
const SETTINGS_URL = `/settings?agent=${encodeURIComponent(URL_)}`;

/** A stand-in for the agent's fingerprint (SHA-256's first 8 hex digits): 8 hex digits of FNV-1a. */
function fingerprint(value: string): string {
  let hash = 0x811c9dc5;
  for (const char of value) hash = Math.imul(hash ^ (char.codePointAt(0) ?? 0), 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, '0');
}

function rpcIssue(path: string, message: string): Response {
  return new Response(
    JSON.stringify({ json: { defined: false, code: 'BAD_REQUEST', status: 400, message, data: { issues: [{ message, path: [path] }] } } }),
    { status: 400, headers: { 'content-type': 'application/json' } },
  );
}

interface Kept {
  value: string;
  setAt?: string;
}

/**
 * An agent with settings: `env` and `accounts` hold the values (which only the test may read),
 * `calls` every procedure called with its input, `refuse` lets a test make the agent refuse one.
 */
function settingsAgent(options: { sync?: WorkspaceSyncResult[] } = {}) {
  let token = TOKEN;
  const env = new Map<string, Kept>();
  const accounts = new Map<string, Kept & { account: AccountKind; key: string }>();
  const calls: { path: string; input: unknown; token: string }[] = [];
  const refuse: Record<string, () => Response> = {};
  const now = () => new Date().toISOString();

  function view(): Settings {
    return {
      env: [...env].sort(([a], [b]) => a.localeCompare(b)).map(([name, kept]) => ({ name, setAt: kept.setAt, fingerprint: fingerprint(kept.value) })),
      files: [],
      accounts: [...accounts.values()].map((kept) => ({ account: kept.account, name: kept.key, setAt: kept.setAt, fingerprint: fingerprint(kept.value) })),
      scripts: [],
      mcpServers: [],
      skills: [],
      ssh: { copy: [], authorized: [] },
    };
  }

  const fetchImpl = jest.fn(async (request: Request) => {
    const path = new URL(request.url).pathname.replace(/^\/rpc\//, '');
    const body = await request.text();
    const input = (body ? (JSON.parse(body) as { json?: unknown }).json : undefined) as Record<string, string> | undefined;
    const presented = (request.headers.get('authorization') ?? '').replace(/^Bearer /, '');
    calls.push({ path, input, token: presented });
    if (presented !== token) return rpcError(401, 'UNAUTHORIZED', 'Missing or wrong token');
    const refusal = refuse[path];
    if (refusal) return refusal();
    switch (path) {
      case 'agent/info':
        return rpcOk(INFO);
      case 'workspaces/list':
        return rpcOk([ALPHA]);
      case 'settings/get':
        return rpcOk(view());
      case 'settings/setEnv':
        env.set(input!.name!, { value: input!.value!, setAt: now() });
        return rpcOk(view());
      case 'settings/unsetEnv':
        if (!env.delete(input!.name!)) return rpcError(404, 'NOT_FOUND', `No environment variable ${input!.name} is set`);
        return rpcOk(view());
      case 'settings/setAccount':
        accounts.set(`${input!.account}/${input!.key}`, { account: input!.account as AccountKind, key: input!.key!, value: input!.value!, setAt: now() });
        return rpcOk(view());
      case 'settings/unsetAccount':
        accounts.delete(`${input!.account}/${input!.key}`);
        return rpcOk(view());
      case 'settings/token':
        return rpcOk({ token });
      case 'settings/rotateToken':
        token = `rotated-${token.length}`;
        return rpcOk({ token });
      case 'workspaces/syncAll':
        return rpcOk(options.sync ?? []);
      default:
        return rpcError(404, 'NOT_FOUND', `no procedure ${path}`);
    }
  });
  return {
    fetchImpl: fetchImpl as unknown as typeof fetch,
    env,
    accounts,
    calls,
    refuse,
    get token() {
      return token;
    },
    /** The inputs `path` was called with. */
    inputs: (path: string) => calls.filter((call) => call.path === path).map((call) => call.input),
  };
}

/** Everything the screen renders, as one string: text, labels and every prop of every element. */
function renderedTree(): string {
  return JSON.stringify(screen.toJSON());
}

/**
 * Fails when `found` is an element. (Not `expect(element).toBeNull()`: its failure message prints
 * the element with the whole tree behind it, the agents' oRPC client included, and every property
 * pretty-format reads of that client becomes a call to the agent.)
 */
function none(found: unknown): void {
  if (found !== null) throw new Error('still shown');
}

/** Answers `question` with its `title` button (the dialog's is the last one so named). */
async function confirm(question: string, title: string): Promise<void> {
  await screen.findByText(question);
  const buttons = screen.getAllByRole('button', { name: title });
  fireEvent.press(buttons[buttons.length - 1]!);
}

function openSettings(agent: ReturnType<typeof settingsAgent>, storage = memoryStorage({ 'perry.agents': saved() })) {
  const app = renderApp(storage, agent.fetchImpl, SETTINGS_URL);
  return { app, storage };
}

describe('settings: environment', () => {
  it('lists the variables with when each was set and its fingerprint, never a value', async () => {
    const agent = settingsAgent();
    agent.env.set('API_URL', { value: 'https://api.internal/v2', setAt: new Date(Date.now() - 3 * 60_000).toISOString() });
    agent.env.set('BY_HAND', { value: 'typed-into-config' });
    openSettings(agent);
    expect(await screen.findByTestId('env-API_URL-status')).toHaveTextContent(`set 3 min ago · ${fingerprint('https://api.internal/v2')}`);
    expect(screen.getByTestId('env-BY_HAND-status')).toHaveTextContent(`set by hand · ${fingerprint('typed-into-config')}`);
    const tree = renderedTree();
    expect(tree).not.toContain('https://api.internal/v2');
    expect(tree).not.toContain('typed-into-config');
  });

  it('checks the name and the value as they are typed, saves through settings.setEnv, and never renders the value', async () => {
    const agent = settingsAgent();
    openSettings(agent);
    fireEvent.press(await screen.findByTestId('env-add'));
    const form = screen.getByTestId('env-form-new');
    fireEvent.changeText(within(form).getByTestId('env-form-new-name'), '1PASSWORD');
    // The agent's own words (@perry/client's rules), shown as the name is typed.
    expect(await screen.findByText(variableNameProblem('1PASSWORD')!)).toBeTruthy();
    expect(screen.getByTestId('env-form-new-save')).toBeDisabled();
    fireEvent.changeText(screen.getByTestId('env-form-new-name'), 'DB-URL');
    expect(await screen.findByText(variableNameProblem('DB-URL')!)).toBeTruthy();
    fireEvent.changeText(screen.getByTestId('env-form-new-name'), 'DB_PASSWORD');
    await waitFor(() => none(screen.queryByText(/is not a variable name/)));

    fireEvent.changeText(screen.getByTestId('env-form-new-value'), 'say "hi"');
    expect(await screen.findByText(valueProblem('The value', 'say "hi"')!)).toBeTruthy();
    expect(screen.getByTestId('env-form-new-save')).toBeDisabled();
    const secret = 's3cr3t-never-shown';
    fireEvent.changeText(screen.getByTestId('env-form-new-value'), secret);
    await waitFor(() => expect(screen.getByTestId('env-form-new-save')).toBeEnabled());
    // Typed, the value is in no prop of the tree (the password field is not given it back).
    expect(renderedTree()).not.toContain(secret);
    expect(agent.inputs('settings/setEnv')).toEqual([]);

    fireEvent.press(screen.getByTestId('env-form-new-save'));
    expect(await screen.findByTestId('env-DB_PASSWORD-status')).toHaveTextContent(`set just now · ${fingerprint(secret)}`);
    expect(agent.inputs('settings/setEnv')).toEqual([{ name: 'DB_PASSWORD', value: secret }]);
    none(screen.queryByTestId('env-form-new'));
    expect(screen.getByTestId('apply-changes')).toHaveTextContent(/^Saved: DB_PASSWORD set\. /);
    expect(renderedTree()).not.toContain(secret);
  });

  it('shows the agent’s refusal beside the field it names', async () => {
    const agent = settingsAgent();
    agent.refuse['settings/setEnv'] = () => rpcIssue('name', 'The name PERRY_TOKEN is kept for Perry itself');
    openSettings(agent);
    fireEvent.press(await screen.findByTestId('env-add'));
    fireEvent.changeText(screen.getByTestId('env-form-new-name'), 'PERRY_TOKEN');
    fireEvent.changeText(screen.getByTestId('env-form-new-value'), 'x');
    fireEvent.press(screen.getByTestId('env-form-new-save'));
    expect(await screen.findByText('The name PERRY_TOKEN is kept for Perry itself')).toBeTruthy();
    // Still open, nothing saved; typing again clears the old refusal.
    expect(screen.getByTestId('env-form-new')).toBeTruthy();
    fireEvent.changeText(screen.getByTestId('env-form-new-name'), 'PERRY_TOKENS');
    await waitFor(() => none(screen.queryByText('The name PERRY_TOKEN is kept for Perry itself')));
  });

  it('changes a variable with a new value and removes one after the question', async () => {
    const agent = settingsAgent();
    agent.env.set('API_URL', { value: 'old-value', setAt: new Date().toISOString() });
    agent.env.set('GONE', { value: 'v' });
    openSettings(agent);
    fireEvent.press(await screen.findByLabelText('Variable API_URL'));
    // Changing needs a new value (removing is the other button).
    expect(screen.getByTestId('env-form-API_URL-save')).toBeDisabled();
    fireEvent.changeText(screen.getByTestId('env-form-API_URL-value'), 'new-value');
    fireEvent.press(screen.getByTestId('env-form-API_URL-save'));
    expect(await screen.findByTestId('env-API_URL-status')).toHaveTextContent(`set just now · ${fingerprint('new-value')}`);
    expect(agent.inputs('settings/setEnv')).toEqual([{ name: 'API_URL', value: 'new-value' }]);

    fireEvent.press(screen.getByLabelText('Variable GONE'));
    fireEvent.press(screen.getByTestId('env-form-GONE-remove'));
    expect(await screen.findByText('Remove GONE?')).toBeTruthy();
    expect(agent.inputs('settings/unsetEnv')).toEqual([]);
    await confirm('Remove GONE?', 'Remove');
    await waitFor(() => none(screen.queryByLabelText('Variable GONE')));
    expect(agent.inputs('settings/unsetEnv')).toEqual([{ name: 'GONE' }]);
    expect(screen.getByTestId('apply-changes')).toHaveTextContent(/^Saved: API_URL set, GONE removed\. /);
  });

  it('shows the agent’s message when what is removed is already gone', async () => {
    const agent = settingsAgent();
    agent.env.set('TWICE', { value: 'v' });
    openSettings(agent);
    fireEvent.press(await screen.findByLabelText('Variable TWICE'));
    agent.env.delete('TWICE'); // another client removed it meanwhile
    fireEvent.press(screen.getByTestId('env-form-TWICE-remove'));
    await confirm('Remove TWICE?', 'Remove');
    expect(await screen.findByText('No environment variable TWICE is set')).toBeTruthy();
    // The list is asked again; the form stays with the message until it is closed, then TWICE is gone.
    await waitFor(() => expect(agent.calls.filter((call) => call.path === 'settings/get')).toHaveLength(2));
    expect(screen.getByText('No environment variable TWICE is set')).toBeTruthy();
    none(screen.queryByTestId('env-form-TWICE-remove'));
    fireEvent.press(screen.getByTestId('env-form-TWICE-cancel'));
    await waitFor(() => none(screen.queryByTestId('env-form-TWICE')));
    none(screen.queryByLabelText('Variable TWICE'));
    expect(screen.getByText('No variables yet.')).toBeTruthy();
  });
});

describe('settings: coding agents', () => {
  it('shows each account set or not, and sets Claude Code’s API key without ever rendering it', async () => {
    const agent = settingsAgent();
    agent.accounts.set('codex/apiKey', { account: 'codex', key: 'apiKey', value: 'sk-codex', setAt: new Date().toISOString() });
    openSettings(agent);
    expect(await screen.findByTestId('account-claudeCode-apiKey-status')).toHaveTextContent('not set');
    expect(screen.getByTestId('account-claudeCode-oauthToken-status')).toHaveTextContent('not set');
    expect(screen.getByTestId('account-codex-apiKey-status')).toHaveTextContent(`set just now · ${fingerprint('sk-codex')}`);

    fireEvent.press(screen.getByLabelText('Claude Code API key'));
    const key = 'sk-ant-api03-phone-secret';
    expect(screen.getByTestId('account-form-claudeCode-apiKey-save')).toBeDisabled();
    fireEvent.changeText(screen.getByTestId('account-form-claudeCode-apiKey-value'), `  ${key} `);
    await waitFor(() => expect(screen.getByTestId('account-form-claudeCode-apiKey-save')).toBeEnabled());
    fireEvent.press(screen.getByTestId('account-form-claudeCode-apiKey-save'));
    expect(await screen.findByTestId('account-claudeCode-apiKey-status')).toHaveTextContent(`set just now · ${fingerprint(key)}`);
    expect(agent.inputs('settings/setAccount')).toEqual([{ account: 'claudeCode', key: 'apiKey', value: key }]);
    expect(screen.getByTestId('apply-changes')).toHaveTextContent(/^Saved: Claude Code API key set\. /);
    expect(renderedTree()).not.toContain(key);
    expect(renderedTree()).not.toContain('sk-codex');
  });

  it('adds an OpenCode provider key and a GitHub host token, the provider and host checked as typed', async () => {
    const agent = settingsAgent();
    openSettings(agent);
    fireEvent.press(await screen.findByTestId('account-add-opencode'));
    fireEvent.changeText(screen.getByTestId('account-form-opencode-new-name'), 'Anthropic');
    expect(await screen.findByText(accountKeyProblem('opencode', 'Anthropic')!)).toBeTruthy();
    fireEvent.changeText(screen.getByTestId('account-form-opencode-new-name'), 'anthropic');
    fireEvent.changeText(screen.getByTestId('account-form-opencode-new-value'), 'sk-ant-opencode');
    await waitFor(() => expect(screen.getByTestId('account-form-opencode-new-save')).toBeEnabled());
    fireEvent.press(screen.getByTestId('account-form-opencode-new-save'));
    expect(await screen.findByTestId('account-opencode-anthropic-status')).toHaveTextContent(`set just now · ${fingerprint('sk-ant-opencode')}`);

    fireEvent.press(screen.getByTestId('account-add-github'));
    fireEvent.changeText(screen.getByTestId('account-form-github-new-name'), 'ssh://github.com');
    expect(await screen.findByText(accountKeyProblem('github', 'ssh://github.com')!)).toBeTruthy();
    fireEvent.changeText(screen.getByTestId('account-form-github-new-name'), 'github.com');
    fireEvent.changeText(screen.getByTestId('account-form-github-new-value'), 'ghp_phone');
    await waitFor(() => expect(screen.getByTestId('account-form-github-new-save')).toBeEnabled());
    fireEvent.press(screen.getByTestId('account-form-github-new-save'));
    expect(await screen.findByTestId('account-github-github.com-status')).toHaveTextContent(`set just now · ${fingerprint('ghp_phone')}`);
    expect(agent.inputs('settings/setAccount')).toEqual([
      { account: 'opencode', key: 'anthropic', value: 'sk-ant-opencode' },
      { account: 'github', key: 'github.com', value: 'ghp_phone' },
    ]);
    expect(renderedTree()).not.toContain('ghp_phone');
  });

  it('removes a key after the question', async () => {
    const agent = settingsAgent();
    agent.accounts.set('codex/apiKey', { account: 'codex', key: 'apiKey', value: 'sk-codex' });
    openSettings(agent);
    fireEvent.press(await screen.findByLabelText('Codex API key'));
    fireEvent.press(screen.getByTestId('account-form-codex-apiKey-remove'));
    await confirm('Remove Codex API key?', 'Remove');
    await waitFor(() => expect(screen.getByTestId('account-codex-apiKey-status')).toHaveTextContent('not set'));
    expect(agent.inputs('settings/unsetAccount')).toEqual([{ account: 'codex', key: 'apiKey' }]);
  });
});

describe('settings: applying to running workspaces', () => {
  it('applies after a save and shows each running workspace with ✓ or ✗', async () => {
    const agent = settingsAgent({
      sync: [
        { name: 'alpha', items: [{ what: 'environment → /etc/environment' }] },
        { name: 'beta', items: [{ what: 'environment → /etc/environment', error: 'exec failed: container is restarting' }] },
      ],
    });
    openSettings(agent);
    none(screen.queryByTestId('apply-bar'));
    fireEvent.press(await screen.findByTestId('env-add'));
    fireEvent.changeText(screen.getByTestId('env-form-new-name'), 'A');
    fireEvent.changeText(screen.getByTestId('env-form-new-value'), 'b');
    await waitFor(() => expect(screen.getByTestId('env-form-new-save')).toBeEnabled());
    fireEvent.press(screen.getByTestId('env-form-new-save'));
    fireEvent.press(await screen.findByTestId('apply'));
    expect(await screen.findByLabelText('alpha applied')).toHaveTextContent('✓alpha');
    expect(screen.getByLabelText('beta failed')).toHaveTextContent('✗betaenvironment → /etc/environment: exec failed: container is restarting');
    expect(agent.inputs('workspaces/syncAll')).toHaveLength(1);
    fireEvent.press(screen.getByTestId('apply-dismiss'));
    await waitFor(() => none(screen.queryByTestId('apply-bar')));
  });
});

describe('settings: the token', () => {
  it('shows the token only after a tap', async () => {
    const agent = settingsAgent();
    openSettings(agent);
    expect(await screen.findByLabelText('Token hidden')).toBeTruthy();
    expect(renderedTree()).not.toContain(TOKEN);
    fireEvent.press(screen.getByTestId('token-show'));
    expect(await screen.findByTestId('token-value')).toHaveTextContent(TOKEN);
    fireEvent.press(screen.getByTestId('token-hide'));
    await waitFor(() => expect(renderedTree()).not.toContain(TOKEN));
  });

  it('rotates after the question, stores the new token, and keeps working with it', async () => {
    const agent = settingsAgent();
    const storage = memoryStorage({ 'perry.agents': saved() });
    openSettings(agent, storage);
    fireEvent.press(await screen.findByTestId('token-rotate'));
    expect(await screen.findByText('Rotate the token?')).toBeTruthy();
    fireEvent.press(screen.getByText('Cancel'));
    await waitFor(() => none(screen.queryByText('Rotate the token?')));
    expect(agent.inputs('settings/rotateToken')).toEqual([]);

    fireEvent.press(screen.getByTestId('token-rotate'));
    await confirm('Rotate the token?', 'Rotate');
    expect(await screen.findByText(/Rotated: the old token is refused now/)).toBeTruthy();
    expect(agent.token).not.toBe(TOKEN);
    expect(JSON.parse(storage.values['perry.agents'] ?? '{}')).toEqual({
      agents: [{ url: URL_, token: agent.token, hostname: 'devbox' }],
      active: URL_,
    });

    // Everything asked afterwards presents the new token, and the agent answers.
    const after = agent.calls.length;
    fireEvent.press(screen.getByTestId('env-add'));
    fireEvent.changeText(screen.getByTestId('env-form-new-name'), 'AFTER');
    fireEvent.changeText(screen.getByTestId('env-form-new-value'), 'rotation');
    await waitFor(() => expect(screen.getByTestId('env-form-new-save')).toBeEnabled());
    fireEvent.press(screen.getByTestId('env-form-new-save'));
    expect(await screen.findByTestId('env-AFTER-status')).toBeTruthy();
    fireEvent.press(screen.getByTestId('token-show'));
    expect(await screen.findByTestId('token-value')).toHaveTextContent(agent.token);
    await act(async () => router.replace('/workspaces'));
    expect(await screen.findByText('alpha')).toBeTruthy();
    const later = agent.calls.slice(after);
    expect(later.map((call) => call.path)).toEqual(expect.arrayContaining(['settings/setEnv', 'settings/token', 'workspaces/list']));
    expect(later.every((call) => call.token === agent.token)).toBe(true);
  });

  it('rotating another saved agent’s token keeps the active agent and the order', async () => {
    const storage = memoryStorage({
      'perry.agents': JSON.stringify({
        agents: [
          { url: 'http://closet:7391', token: TOKEN, hostname: 'closet' },
          { url: URL_, token: 'home-token', hostname: 'devbox' },
        ],
        active: URL_,
      }),
    });
    let closetToken = TOKEN;
    const fetchImpl = jest.fn(async (request: Request) => {
      const url = new URL(request.url);
      const path = url.pathname.replace(/^\/rpc\//, '');
      if (url.host !== 'closet:7391') return rpcOk(path === 'workspaces/list' ? [] : INFO);
      if (request.headers.get('authorization') !== `Bearer ${closetToken}`) return rpcError(401, 'UNAUTHORIZED', 'no');
      if (path === 'settings/rotateToken') {
        closetToken = 'closet-new';
        return rpcOk({ token: closetToken });
      }
      return path === 'settings/get' ? rpcOk(EMPTY_SETTINGS) : rpcOk([]);
    });
    renderApp(storage, fetchImpl as unknown as typeof fetch, `/settings?agent=${encodeURIComponent('http://closet:7391')}`);
    fireEvent.press(await screen.findByTestId('token-rotate'));
    await confirm('Rotate the token?', 'Rotate');
    expect(await screen.findByText(/Rotated/)).toBeTruthy();
    expect(JSON.parse(storage.values['perry.agents'] ?? '{}')).toEqual({
      agents: [
        { url: 'http://closet:7391', token: 'closet-new', hostname: 'closet' },
        { url: URL_, token: 'home-token', hostname: 'devbox' },
      ],
      active: URL_,
    });
  });
});

describe('settings: where it opens', () => {
  it('opens from an agent’s header in the list of several agents, for that agent', async () => {
    const agent = settingsAgent();
    agent.env.set('ON_CLOSET', { value: 'v' });
    const storage = memoryStorage({
      'perry.agents': JSON.stringify({
        agents: [
          { url: 'http://home:7391', token: TOKEN, hostname: 'home' },
          { url: 'http://closet:7391', token: TOKEN, hostname: 'closet' },
        ],
        active: 'http://home:7391',
      }),
    });
    const hosts: string[] = [];
    const fetchImpl = jest.fn(async (request: Request) => {
      const url = new URL(request.url);
      if (url.pathname.startsWith('/rpc/settings/')) hosts.push(url.host);
      return (agent.fetchImpl as unknown as (request: Request) => Promise<Response>)(request);
    });
    const app = renderApp(storage, fetchImpl as unknown as typeof fetch, '/workspaces');
    fireEvent.press(await screen.findByLabelText('Settings of closet'));
    expect(await screen.findByLabelText('Variable ON_CLOSET')).toBeTruthy();
    expect(app.getPathname()).toBe('/settings');
    expect(app.getSearchParams()).toEqual({ agent: 'http://closet:7391' });
    expect(new Set(hosts)).toEqual(new Set(['closet:7391']));
  });

  it('says so when the agent is not saved on this phone', async () => {
    renderApp(memoryStorage({ 'perry.agents': saved() }), settingsAgent().fetchImpl, `/settings?agent=${encodeURIComponent('http://gone:7391')}`);
    expect(await screen.findByText('This agent is not saved on this phone any more.')).toBeTruthy();
  });
});

describe('settings: how secrets and outcomes read', () => {
  it('describes a secret by when it was set and its fingerprint', () => {
    const now = new Date('2026-12-05T12:00:00Z');
    const at = (ms: number) => new Date(now.getTime() - ms).toISOString();
    expect(describeSecret({ setAt: at(20_000), fingerprint: 'a1b2c3d4' }, now)).toBe('set just now · a1b2c3d4');
    expect(describeSecret({ setAt: at(3 * 60_000), fingerprint: 'a1b2c3d4' }, now)).toBe('set 3 min ago · a1b2c3d4');
    expect(describeSecret({ setAt: at(5 * 3_600_000), fingerprint: 'a1b2c3d4' }, now)).toBe('set 5 h ago · a1b2c3d4');
    expect(describeSecret({ setAt: at(30 * 3_600_000), fingerprint: 'a1b2c3d4' }, now)).toBe('set yesterday · a1b2c3d4');
    expect(describeSecret({ setAt: at(3 * 86_400_000), fingerprint: 'a1b2c3d4' }, now)).toBe('set 3 days ago · a1b2c3d4');
    expect(describeSecret({ setAt: '2026-10-01T08:00:00Z', fingerprint: 'a1b2c3d4' }, now)).toBe('set on 2026-10-01 · a1b2c3d4');
    expect(describeSecret({ fingerprint: 'a1b2c3d4' }, now)).toBe('set by hand · a1b2c3d4');
    expect(formatAge(new Date('not a date'), now)).toBe('at an unknown time');
  });

  it('tells a workspace that took everything from one that did not', () => {
    expect(syncOutcome({ name: 'a', items: [{ what: 'env' }] })).toEqual({ ok: true, problems: [] });
    expect(syncOutcome({ name: 'a', items: [{ what: 'env' }, { what: 'codex', error: 'denied' }] })).toEqual({ ok: false, problems: ['codex: denied'] });
    expect(syncOutcome({ name: 'a', items: [], error: 'The container is missing' })).toEqual({ ok: false, problems: ['The container is missing'] });
  });

  it('replaces a rotated token in place', () => {
    const saved = {
      agents: [
        { url: 'http://a:7391', token: 'ta', hostname: 'a' },
        { url: 'http://b:7391', token: 'tb', hostname: 'b' },
      ],
      active: 'http://b:7391',
    };
    expect(replaceToken(saved, 'http://a:7391', 'new')).toEqual({ ...saved, agents: [{ ...saved.agents[0], token: 'new' }, saved.agents[1]] });
    expect(replaceToken(saved, 'http://c:7391', 'new')).toEqual(saved);
  });
});
