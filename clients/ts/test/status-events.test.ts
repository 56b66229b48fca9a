import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  applyStatusEvent,
  attentionFirst,
  changesSince,
  eventsSocketUrl,
  needsThePerson,
  parseStatusEvent,
  statusAlert,
  watchStatus,
  type SessionInfo,
  type SessionState,
  type StatusEvent,
  type WorkspaceSession,
} from '../src/index.ts';
import { FakeSessionsSocket } from './fake-sessions-socket.ts';

function session(id: string, state?: SessionState, since = '2026-12-05T10:00:00.000Z', detail?: string): SessionInfo {
  return {
    sessionId: id,
    title: 'Fix the build',
    agent: 'claude-code',
    messageCount: 2,
    lastActivity: since,
    projectPath: '/home/workspace/app',
    resumeCommand: `claude --resume ${id}`,
    ...(state ? { status: { state, since, ...(detail ? { detail } : {}) } } : {}),
  };
}

const entry = (workspace: string, s: SessionInfo): WorkspaceSession => ({ workspace, session: s });
const ids = (list: WorkspaceSession[]) => list.map((e) => `${e.workspace}/${e.session.sessionId}`);

describe('status events', () => {
  test('are read from frames, and anything unknown or malformed is dropped', () => {
    const changed = { type: 'changed', workspace: 'w', session: session('a', 'needs_input'), previous: 'working' };
    assert.deepEqual(parseStatusEvent(JSON.stringify(changed)), changed);
    assert.deepEqual(parseStatusEvent('{"type":"gone","workspace":"w"}'), { type: 'gone', workspace: 'w' });
    assert.equal(parseStatusEvent('{"type":"changed","workspace":"w","session":{"sessionId":1}}'), null);
    assert.equal(parseStatusEvent(JSON.stringify({ ...changed, session: { ...session('a'), status: { state: 'sleepy', since: '' } } })), null);
    assert.equal(parseStatusEvent('{"type":"something-new"}'), null);
    assert.equal(parseStatusEvent('not json'), null);
    // A previous state this client does not know is left out, not kept as junk.
    const parsed = parseStatusEvent(JSON.stringify({ ...changed, previous: 'dreaming' }));
    assert.ok(parsed && parsed.type === 'changed' && parsed.previous === undefined);
  });

  test('apply in order: snapshot, changes newest first, gone of a session and of a workspace', () => {
    let list = applyStatusEvent([], {
      type: 'snapshot',
      sessions: [entry('w', session('a', 'idle', '2026-12-05T10:00:00.000Z')), entry('v', session('b', 'working', '2026-12-05T10:05:00.000Z'))],
    });
    assert.deepEqual(ids(list), ['v/b', 'w/a']);
    list = applyStatusEvent(list, { type: 'changed', workspace: 'w', session: session('a', 'needs_input', '2026-12-05T10:06:00.000Z') });
    assert.deepEqual(ids(list), ['w/a', 'v/b']);
    assert.equal(list[0]?.session.status?.state, 'needs_input');
    list = applyStatusEvent(list, { type: 'changed', workspace: 'w', session: session('c', 'working', '2026-12-05T10:07:00.000Z') });
    list = applyStatusEvent(list, { type: 'gone', workspace: 'w', sessionId: 'a' });
    assert.deepEqual(ids(list), ['w/c', 'v/b']);
    list = applyStatusEvent(list, { type: 'gone', workspace: 'w' });
    assert.deepEqual(ids(list), ['v/b']);
  });

  test('those that need the person come first, each group in its order', () => {
    const sessions = [session('a', 'working'), session('b', 'needs_input'), session('c'), session('d', 'error'), session('e', 'idle')];
    assert.deepEqual(attentionFirst(sessions).map((s) => s.sessionId), ['b', 'd', 'a', 'c', 'e']);
    assert.deepEqual(['working', 'needs_input', 'idle', 'error', 'ended', undefined].map((s) => needsThePerson(s as SessionState)), [false, true, false, true, false, false]);
  });

  test('alerts tell a question, a failure and a finished turn, never work or the same state again', () => {
    const change = (state: SessionState, previous?: SessionState, detail?: string): Extract<StatusEvent, { type: 'changed' }> => ({
      type: 'changed',
      workspace: 'app',
      session: session('a', state, undefined, detail),
      ...(previous ? { previous } : {}),
    });
    assert.deepEqual(statusAlert(change('needs_input', 'working', 'Bash: npm publish')), {
      title: 'Fix the build needs you',
      body: 'Claude Code in app: Bash: npm publish',
      tag: 'app:a',
      state: 'needs_input',
    });
    assert.equal(statusAlert(change('idle', 'working'))?.title, 'Fix the build is done');
    assert.equal(statusAlert(change('error'))?.title, 'Fix the build stopped on an error');
    assert.equal(statusAlert(change('working', 'needs_input')), null);
    assert.equal(statusAlert(change('ended', 'idle')), null);
    assert.equal(statusAlert(change('idle', 'idle')), null);
    const named = change('needs_input', 'working');
    named.session.name = 'Release 1.2';
    assert.equal(statusAlert(named)?.title, 'Release 1.2 needs you');
  });

  test('a snapshot after a reconnect tells what changed while the socket was down, and only that', () => {
    const before = [entry('app', session('a', 'working')), entry('app', session('b', 'idle'))];
    const later = '2026-12-05T10:05:00.000Z';
    const snapshot = [
      entry('app', session('a', 'needs_input', later, 'Bash: rm -rf dist')),
      entry('app', session('b', 'idle')),
      entry('api', session('c', 'error', later)),
      entry('api', session('d')),
    ];
    const changes = changesSince(before, snapshot);
    assert.deepEqual(
      changes.map((change) => [change.workspace, change.session.sessionId, change.previous]),
      [
        ['app', 'a', 'working'],
        ['api', 'c', undefined],
      ],
    );
    assert.deepEqual(
      changes.map((change) => statusAlert(change)?.title),
      ['Fix the build needs you', 'Fix the build stopped on an error'],
    );
    assert.deepEqual(changesSince(snapshot, snapshot), [], 'nothing moved, nothing told');
  });

  test('watchStatus opens /events under the base path with the token and passes on what it knows', () => {
    assert.equal(eventsSocketUrl('https://box:7391/peers/far/', 'tok'), 'wss://box:7391/peers/far/events?token=tok');
    const sockets: FakeSessionsSocket[] = [];
    const events: StatusEvent[] = [];
    const stop = watchStatus({
      origin: 'http://box:7391',
      token: null,
      onEvent: (event) => events.push(event),
      createSocket: (url) => {
        const socket = new FakeSessionsSocket(url);
        sockets.push(socket);
        return socket;
      },
    });
    assert.equal(sockets[0]?.url, 'ws://box:7391/events');
    sockets[0]?.open();
    sockets[0]?.send({ type: 'snapshot', sessions: [] });
    sockets[0]?.send({ type: 'unknown' });
    assert.deepEqual(events, [{ type: 'snapshot', sessions: [] }]);
    stop();
  });
});
