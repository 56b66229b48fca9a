import type { Message, SessionInfo, Workspace } from '@perry/client';
import { act, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';

import { TOKEN_STORAGE_KEY } from '@/features/auth/token-store';
import { AgentError, installFakeAgent } from '@/test/fake-agent';
import { renderApp } from '@/test/render';

// The terminal tab stays mounted next to Sessions; xterm.js needs a real browser. The stand-in
// shows what a tab would run.
vi.mock('@/features/terminal/terminal-view', () => ({
  default: (props: { label: string; command?: string[]; active: boolean }) => (
    <div role="region" aria-label={props.label} data-active={props.active} data-command={props.command ? JSON.stringify(props.command) : ''} />
  ),
}));

const ALPHA: Workspace = { name: 'alpha', status: 'running', created: '2026-01-01T00:00:00Z', image: 'workspace-base', ports: { ssh: 2201 } };

function session(id: string, extra: Partial<SessionInfo> = {}): SessionInfo {
  return {
    sessionId: id,
    title: `Session ${id}`,
    agent: 'claude-code',
    messageCount: 2,
    lastActivity: '2026-01-01T10:00:00Z',
    projectPath: '/home/workspace/app',
    resumeCommand: `claude --resume ${id}`,
    ...extra,
  };
}

const OLDER = session('s1', { title: 'Older work', agent: 'codex', messageCount: 1, projectPath: '/home/workspace/a', resumeCommand: 'codex resume s1' });
const NEWER = session('s2', { title: 'Fix the parser', messageCount: 12, lastActivity: '2026-01-02T10:00:00Z', projectPath: "/home/workspace/it's" });

/** A WebSocket the test drives from the server's side. */
class FakeSocket {
  /** The `/sessions/…` sockets, in order. */
  static all: FakeSocket[] = [];
  /** The `/events` sockets (status across workspaces), in order. */
  static events: FakeSocket[] = [];
  onopen: (() => void) | null = null;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  closed = false;
  constructor(readonly url: string) {
    (new URL(url).pathname === '/events' ? FakeSocket.events : FakeSocket.all).push(this);
  }
  close() {
    this.closed = true;
  }
  open() {
    act(() => this.onopen?.());
  }
  async send(event: unknown) {
    await act(async () => {
      this.onmessage?.({ data: JSON.stringify(event) });
      // React Query tells its observers on a timer of its own.
      await new Promise((done) => setTimeout(done, 20));
    });
  }
  refuse() {
    act(() => this.onclose?.({ code: 1006, reason: '' }));
  }
  static last(): FakeSocket {
    return FakeSocket.all[FakeSocket.all.length - 1]!;
  }
}

beforeEach(() => {
  FakeSocket.all = [];
  FakeSocket.events = [];
  vi.stubGlobal('WebSocket', FakeSocket);
  localStorage.setItem(TOKEN_STORAGE_KEY, 'good');
  window.history.pushState({}, '', '/workspaces/alpha/sessions');
});

function agentWith(sessions: SessionInfo[], extra: Record<string, (input: unknown) => unknown> = {}) {
  return installFakeAgent({
    'workspaces/list': () => [ALPHA],
    'workspaces/get': () => ALPHA,
    'terminals/list': () => [],
    'sessions/list': () => ({ sessions, total: sessions.length, hasMore: false }),
    ...extra,
  });
}

const titles = (list: HTMLElement) => within(list).getAllByRole('heading').map((heading) => heading.textContent);

describe('the Sessions tab', () => {
  it('shows who needs the person: status badges, those first, the sidebar count and the tab title', async () => {
    const waiting = { ...OLDER, status: { state: 'needs_input' as const, since: '2026-01-04T00:00:00Z', detail: 'Bash: npm publish' } };
    agentWith([OLDER, NEWER]);
    renderApp();
    const list = await screen.findByRole('list', { name: 'Sessions' });
    expect(titles(list)).toEqual(['Fix the parser', 'Older work']);
    expect(document.title).toBe('Perry');
    await waitFor(() => expect(FakeSocket.events).toHaveLength(1));
    const events = FakeSocket.events[0]!;
    expect(events.url).toBe(`ws://${window.location.host}/events?token=good`);
    events.open();
    await events.send({ type: 'snapshot', sessions: [] });
    // The workspace's own socket says the session now waits, and /events says so for the page.
    await FakeSocket.last().send({ type: 'updated', session: waiting });
    await events.send({ type: 'changed', workspace: 'alpha', session: waiting, previous: 'working' });
    expect(titles(list)).toEqual(['Older work', 'Fix the parser']);
    const row = within(list).getByRole('listitem', { name: 'Older work' });
    expect(within(row).getByText('Needs you')).toBeInTheDocument();
    expect(within(row).getByText('Bash: npm publish')).toBeInTheDocument();
    expect(document.title).toBe('(1) Perry');
    const sidebar = screen.getByRole('navigation', { name: 'Workspaces' });
    expect(within(sidebar).getByLabelText('1 session needs you')).toBeInTheDocument();
    // Answered: working again, and the counts go.
    const working = { ...waiting, status: { state: 'working' as const, since: '2026-01-04T00:01:00Z' } };
    await events.send({ type: 'changed', workspace: 'alpha', session: working, previous: 'needs_input' });
    expect(document.title).toBe('Perry');
    expect(within(sidebar).queryByLabelText('1 session needs you')).toBeNull();
  });

  it('lists sessions newest first with tool, count, time and project, and resume actions', async () => {
    const agent = agentWith([OLDER, NEWER]);
    renderApp();
    const list = await screen.findByRole('list', { name: 'Sessions' });
    expect(titles(list)).toEqual(['Fix the parser', 'Older work']);
    const row = within(list).getByRole('listitem', { name: 'Fix the parser' });
    expect(within(row).getByText('Claude Code')).toBeInTheDocument();
    expect(within(row).getByText('12 messages')).toBeInTheDocument();
    expect(within(row).getByText("/home/workspace/it's")).toBeInTheDocument();
    expect(within(row).getByRole('link', { name: 'Fix the parser' })).toHaveAttribute('href', '/workspaces/alpha/sessions/s2');
    expect(within(row).getByRole('button', { name: 'Resume in terminal' })).toBeEnabled();
    expect(within(row).getByRole('button', { name: 'Copy resume command' })).toBeInTheDocument();
    expect(within(list).getByRole('listitem', { name: 'Older work' })).toHaveTextContent('1 message');
    expect(agent.calls.find((call) => call.path === 'sessions/list')?.input).toMatchObject({ workspaceName: 'alpha' });
    expect(FakeSocket.last().url).toBe(`ws://${window.location.host}/sessions/alpha?token=good`);
  });

  it('applies the socket’s events to the list without asking for it again', async () => {
    const agent = agentWith([OLDER]);
    renderApp();
    const list = await screen.findByRole('list', { name: 'Sessions' });
    const socket = FakeSocket.last();
    socket.open();
    expect(await screen.findByRole('status', { name: 'Sessions feed: Live' })).toBeInTheDocument();
    await socket.send({ type: 'snapshot', sessions: [OLDER, NEWER] });
    expect(titles(list)).toEqual(['Fix the parser', 'Older work']);
    await socket.send({ type: 'added', session: session('s3', { title: 'Brand new', lastActivity: '2026-01-03T00:00:00Z' }) });
    expect(titles(list)).toEqual(['Brand new', 'Fix the parser', 'Older work']);
    await socket.send({ type: 'updated', session: { ...OLDER, messageCount: 5, lastActivity: '2026-01-04T00:00:00Z' } });
    expect(titles(list)).toEqual(['Older work', 'Brand new', 'Fix the parser']);
    expect(within(list).getByRole('listitem', { name: 'Older work' })).toHaveTextContent('5 messages');
    await socket.send({ type: 'removed', sessionId: 's2', agent: 'claude-code' });
    expect(titles(list)).toEqual(['Older work', 'Brand new']);
    expect(agent.calls.filter((call) => call.path === 'sessions/list')).toHaveLength(1);
  });

  it('fills the list from the snapshot when it arrives before the first answer', async () => {
    let answer: (value: unknown) => void = () => undefined;
    agentWith([], { 'sessions/list': () => new Promise((resolve) => (answer = resolve)) });
    renderApp();
    await waitFor(() => expect(FakeSocket.all).toHaveLength(1));
    FakeSocket.last().open();
    await FakeSocket.last().send({ type: 'snapshot', sessions: [NEWER] });
    const list = await screen.findByRole('list', { name: 'Sessions' });
    // The stale answer of the list call arriving later does not undo the snapshot.
    answer({ sessions: [], total: 0, hasMore: false });
    await new Promise((done) => setTimeout(done, 20));
    expect(titles(list)).toEqual(['Fix the parser']);
  });

  it('reconnects with backoff and polls only while the socket cannot be opened', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      const agent = agentWith([OLDER]);
      renderApp();
      await screen.findByRole('list', { name: 'Sessions' });
      FakeSocket.last().refuse();
      expect(await screen.findByRole('status', { name: 'Sessions feed: Refreshing every 5 s' })).toBeInTheDocument();
      const calls = () => agent.calls.filter((call) => call.path === 'sessions/list').length;
      const before = calls();
      await act(async () => vi.advanceTimersByTimeAsync(5_500));
      expect(calls()).toBeGreaterThan(before);
      // The socket was tried again after the backoff, and once open the polling stops.
      expect(FakeSocket.all.length).toBeGreaterThanOrEqual(2);
      FakeSocket.last().open();
      expect(await screen.findByRole('status', { name: 'Sessions feed: Live' })).toBeInTheDocument();
      const settled = calls();
      await act(async () => vi.advanceTimersByTimeAsync(12_000));
      expect(calls()).toBe(settled);
    } finally {
      vi.useRealTimers();
    }
  });

  it('filters by agent', async () => {
    agentWith([OLDER, NEWER]);
    renderApp();
    const list = await screen.findByRole('list', { name: 'Sessions' });
    const filters = screen.getByRole('radiogroup', { name: 'Filter by agent' });
    expect(within(filters).getByRole('radio', { name: /All/ })).toHaveAttribute('aria-checked', 'true');
    await userEvent.click(within(filters).getByRole('radio', { name: /Codex/ }));
    expect(titles(list)).toEqual(['Older work']);
    await userEvent.click(within(filters).getByRole('radio', { name: /OpenCode/ }));
    expect(await screen.findByRole('heading', { name: 'No OpenCode sessions' })).toBeInTheDocument();
  });

  it('searches titles and messages, debounced, and shows snippets', async () => {
    const agent = agentWith([OLDER, NEWER], {
      'sessions/search': () => [{ session: NEWER, messageId: 'm7', snippet: '…the footer links are broken…' }],
    });
    renderApp();
    await screen.findByRole('list', { name: 'Sessions' });
    await userEvent.type(screen.getByRole('searchbox', { name: 'Search sessions' }), 'footer');
    const results = await screen.findByRole('list', { name: 'Search results' });
    expect(within(results).getByRole('link', { name: 'Fix the parser' })).toHaveAttribute('href', '/workspaces/alpha/sessions/s2?message=m7');
    expect(within(results).getByText('footer', { selector: 'mark' })).toBeInTheDocument();
    expect(results).toHaveTextContent('…the footer links are broken…');
    // One call for the settled query, not one per keystroke.
    const searches = agent.calls.filter((call) => call.path === 'sessions/search');
    expect(searches.map((call) => call.input)).toEqual([{ workspaceName: 'alpha', query: 'footer' }]);
    await userEvent.click(screen.getByRole('button', { name: 'Clear search' }));
    expect(await screen.findByRole('list', { name: 'Sessions' })).toBeInTheDocument();
  });

  it('says how to get sessions when there are none', async () => {
    agentWith([]);
    renderApp();
    expect(await screen.findByRole('heading', { name: 'No coding-agent sessions yet' })).toBeInTheDocument();
    expect(screen.getByText(/in a terminal/)).toHaveTextContent('Start claude, opencode or codex in a terminal');
  });

  it('asks to start a stopped workspace instead of loading', async () => {
    const agent = installFakeAgent({ 'workspaces/list': () => [{ ...ALPHA, status: 'stopped' }] });
    renderApp();
    expect(await screen.findByRole('heading', { name: 'Start the workspace to see its sessions' })).toBeInTheDocument();
    expect(screen.getByRole('tabpanel', { name: /Sessions/ })).toHaveTextContent('Start workspace');
    expect(agent.calls.some((call) => call.path === 'sessions/list')).toBe(false);
  });

  it('says the same when the agent answers CONFLICT (the workspace stopped meanwhile)', async () => {
    agentWith([], { 'sessions/list': () => new AgentError('CONFLICT', 'Workspace alpha is not running') });
    renderApp();
    expect(await screen.findByRole('heading', { name: 'Start the workspace to see its sessions' })).toBeInTheDocument();
  });

  it('shows other failures with a retry', async () => {
    agentWith([], { 'sessions/list': () => new AgentError('INTERNAL_SERVER_ERROR', 'the worker broke') });
    renderApp();
    expect(await screen.findByRole('heading', { name: 'Could not load sessions' })).toBeInTheDocument();
    expect(screen.getByText('the worker broke')).toBeInTheDocument();
  });
});

function messages(total: number): (input: unknown) => unknown {
  return (input) => {
    const { offset = 0, limit = 50 } = input as { offset?: number; limit?: number };
    const end = Math.max(0, total - offset);
    const start = Math.max(0, end - limit);
    const page: Message[] = Array.from({ length: end - start }, (_, i) => {
      const n = start + i;
      return n % 2 === 0
        ? { id: `m${n}`, role: 'user', text: `question ${n}`, toolCalls: [], timestamp: '2026-01-02T10:00:00Z' }
        : { id: `m${n}`, role: 'assistant', text: `answer ${n}`, toolCalls: [{ name: 'Bash', summary: `echo ${n}` }], timestamp: '2026-01-02T10:00:00Z' };
    });
    return { messages: page, total, hasMore: start > 0 };
  };
}

describe('a session’s conversation', () => {
  it('opens from the list at its own address, shows the newest messages and loads older ones', async () => {
    const agent = agentWith([NEWER], { 'sessions/messages': messages(60) });
    renderApp();
    await userEvent.click(await screen.findByRole('link', { name: 'Fix the parser' }));
    expect(window.location.pathname).toBe('/workspaces/alpha/sessions/s2');
    const log = await screen.findByRole('log', { name: 'Conversation' });
    await within(log).findByText('answer 59');
    expect(within(log).getAllByRole('article')).toHaveLength(50);
    expect(within(log).getAllByRole('article')[0]).toHaveTextContent('question 10');
    expect(within(log).getByTitle('Bash: echo 59')).toHaveTextContent('Bash: echo 59');
    expect(screen.getByRole('heading', { name: 'Fix the parser', level: 2 })).toBeInTheDocument();

    await userEvent.click(within(log).getByRole('button', { name: 'Load older messages' }));
    await within(log).findByText('question 0');
    expect(within(log).getAllByRole('article')).toHaveLength(60);
    expect(within(log).getByText('Start of the conversation')).toBeInTheDocument();
    const asked = agent.calls.filter((call) => call.path === 'sessions/messages').map((call) => call.input);
    expect(asked).toEqual([
      { workspaceName: 'alpha', sessionId: 's2', limit: 50, offset: 0 },
      { workspaceName: 'alpha', sessionId: 's2', limit: 10, offset: 50 },
    ]);
  });

  it('asks for the newest page again when the session is updated', async () => {
    let total = 3;
    const agent = agentWith([NEWER], { 'sessions/messages': (input) => messages(total)(input) });
    window.history.pushState({}, '', '/workspaces/alpha/sessions/s2');
    renderApp();
    const log = await screen.findByRole('log', { name: 'Conversation' });
    await within(log).findByText('question 2');
    FakeSocket.last().open();
    total = 4;
    await FakeSocket.last().send({ type: 'updated', session: { ...NEWER, messageCount: 4, lastActivity: '2026-01-02T10:05:00Z' } });
    await within(log).findByText('answer 3');
    expect(within(log).getAllByRole('article')).toHaveLength(4);
    expect(agent.calls.filter((call) => call.path === 'sessions/messages')).toHaveLength(2);
  });

  it('says so when the session does not exist', async () => {
    agentWith([NEWER], { 'sessions/messages': () => new AgentError('NOT_FOUND', 'No session nope') });
    window.history.pushState({}, '', '/workspaces/alpha/sessions/nope');
    renderApp();
    expect(await screen.findByRole('heading', { name: 'This session no longer exists' })).toBeInTheDocument();
  });

  it('tells a deleted workspace from a missing session by what the agent names', async () => {
    agentWith([NEWER], {
      'sessions/messages': () => new AgentError('NOT_FOUND', 'Workspace "alpha" does not exist', { workspace: 'alpha' }),
    });
    window.history.pushState({}, '', '/workspaces/alpha/sessions/s2');
    renderApp();
    expect(await screen.findByRole('heading', { name: 'This workspace no longer exists' })).toBeInTheDocument();
  });

  it('resumes in a new terminal tab running the resume command in the project directory', async () => {
    agentWith([NEWER], { 'sessions/messages': messages(2) });
    window.history.pushState({}, '', '/workspaces/alpha/sessions/s2');
    renderApp();
    await screen.findByRole('log', { name: 'Conversation' });
    const header = screen.getByRole('region', { name: 'Session' });
    await userEvent.click(within(header).getAllByRole('button', { name: 'Resume in terminal' })[0]!);
    await waitFor(() => expect(window.location.pathname).toBe('/workspaces/alpha/terminal'));
    expect(screen.getByRole('tab', { name: 'Terminal' })).toHaveAttribute('aria-selected', 'true');
    const tab = await screen.findByRole('tab', { name: 'Resume: Fix the parser' });
    expect(tab).toHaveAttribute('aria-selected', 'true');
    const terminal = screen.getByRole('region', { name: 'Terminal: Resume: Fix the parser' });
    expect(terminal).toHaveAttribute('data-active', 'true');
    expect(JSON.parse(terminal.getAttribute('data-command')!)).toEqual(['bash', '-lc', `cd '/home/workspace/it'\\''s' && claude --resume s2`]);
    // The request is consumed: it is not in the history entry any more, so a reload opens nothing new.
    expect((window.history.state as { usr?: unknown } | null)?.usr ?? null).toBeNull();
    expect(screen.getAllByRole('tab', { name: /^Resume:/ })).toHaveLength(1);
  });

  it('resumes from a list row too', async () => {
    agentWith([OLDER]);
    renderApp();
    const row = await screen.findByRole('listitem', { name: 'Older work' });
    await userEvent.click(within(row).getByRole('button', { name: 'Resume in terminal' }));
    const terminal = await screen.findByRole('region', { name: 'Terminal: Resume: Older work' });
    expect(JSON.parse(terminal.getAttribute('data-command')!)).toEqual(['bash', '-lc', `cd '/home/workspace/a' && codex resume s1`]);
  });
});
