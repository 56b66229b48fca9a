import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { SessionInfo } from '../src/index.ts';
import { applySessionEvent, parseSessionEvent, sessionsReconnectDelay, sessionsSocketUrl, sortSessions } from '../src/index.ts';

function session(id: string, lastActivity: string, extra: Partial<SessionInfo> = {}): SessionInfo {
  return {
    sessionId: id,
    title: `Session ${id}`,
    agent: 'claude-code',
    messageCount: 1,
    lastActivity,
    projectPath: '/home/workspace/app',
    resumeCommand: `claude --resume ${id}`,
    ...extra,
  };
}

const ids = (sessions: SessionInfo[]) => sessions.map((s) => s.sessionId);

describe('applySessionEvent', () => {
  const a = session('a', '2026-11-26T08:00:00Z');
  const b = session('b', '2026-11-26T09:00:00Z');
  const c = session('c', '2026-11-26T10:00:00Z', { agent: 'codex' });

  test('a snapshot replaces the list, newest first', () => {
    assert.deepEqual(ids(applySessionEvent([session('old', '2020-01-01T00:00:00Z')], { type: 'snapshot', sessions: [a, c, b] })), ['c', 'b', 'a']);
    assert.deepEqual(applySessionEvent(undefined, { type: 'snapshot', sessions: [] }), []);
  });

  test('added inserts in order, also into an empty cache', () => {
    assert.deepEqual(ids(applySessionEvent([c, a], { type: 'added', session: b })), ['c', 'b', 'a']);
    assert.deepEqual(ids(applySessionEvent(undefined, { type: 'added', session: b })), ['b']);
  });

  test('updated replaces the session and moves it to the top when it is newest', () => {
    const newer = { ...a, messageCount: 7, lastActivity: '2026-11-26T11:00:00Z' };
    const next = applySessionEvent([c, b, a], { type: 'updated', session: newer });
    assert.deepEqual(ids(next), ['a', 'c', 'b']);
    assert.equal(next[0]?.messageCount, 7);
    assert.equal(next.length, 3);
  });

  test('an update of an unknown session adds it (an event may overtake the first load)', () => {
    assert.deepEqual(ids(applySessionEvent([a], { type: 'updated', session: c })), ['c', 'a']);
  });

  test('removed deletes by agent and id; other tools may reuse an id', () => {
    const sameIdOtherTool = session('a', '2026-11-26T07:00:00Z', { agent: 'opencode' });
    const list = [b, a, sameIdOtherTool];
    assert.deepEqual(applySessionEvent(list, { type: 'removed', sessionId: 'a', agent: 'claude-code' }), [b, sameIdOtherTool]);
    // Nothing to remove: the same array, so nothing re-renders.
    assert.equal(applySessionEvent(list, { type: 'removed', sessionId: 'zz', agent: 'codex' }), list);
  });

  test('does not change the list it was given', () => {
    const list = [a, b];
    applySessionEvent(list, { type: 'added', session: c });
    assert.deepEqual(ids(list), ['a', 'b']);
  });

  test('orders equal times by id, like the agent', () => {
    assert.deepEqual(ids(sortSessions([session('y', '2026-01-01T00:00:00Z'), session('x', '2026-01-01T00:00:00Z')])), ['x', 'y']);
  });
});

describe('parseSessionEvent', () => {
  test('reads the four events', () => {
    const s = session('a', '2026-11-26T08:00:00Z');
    assert.deepEqual(parseSessionEvent(JSON.stringify({ type: 'snapshot', sessions: [s] })), { type: 'snapshot', sessions: [s] });
    assert.deepEqual(parseSessionEvent(JSON.stringify({ type: 'added', session: s })), { type: 'added', session: s });
    assert.deepEqual(parseSessionEvent(JSON.stringify({ type: 'updated', session: s })), { type: 'updated', session: s });
    assert.deepEqual(parseSessionEvent('{"type":"removed","sessionId":"a","agent":"codex"}'), { type: 'removed', sessionId: 'a', agent: 'codex' });
  });

  test('ignores what it does not know, and drops malformed sessions from a snapshot', () => {
    assert.equal(parseSessionEvent('not json'), null);
    assert.equal(parseSessionEvent('{"type":"renamed"}'), null);
    assert.equal(parseSessionEvent('{"type":"added","session":{"sessionId":1}}'), null);
    assert.equal(parseSessionEvent('{"type":"removed","sessionId":"a","agent":"vim"}'), null);
    const good = session('a', '2026-11-26T08:00:00Z');
    assert.deepEqual(parseSessionEvent(JSON.stringify({ type: 'snapshot', sessions: [good, { nope: true }] })), { type: 'snapshot', sessions: [good] });
  });

  test('fills projectPath and resumeCommand when an agent leaves them out', () => {
    const { projectPath: _p, resumeCommand: _r, ...bare } = session('a', '2026-11-26T08:00:00Z');
    const event = parseSessionEvent(JSON.stringify({ type: 'added', session: bare }));
    assert.ok(event !== null && 'session' in event, 'an event with a session');
    assert.equal(event.session.projectPath, '');
    assert.equal(event.session.resumeCommand, '');
  });
});

describe('the sessions socket', () => {
  test('has its address on the page origin, with the token in the query', () => {
    assert.equal(sessionsSocketUrl('http://box:7391', 'my box', 'a b'), 'ws://box:7391/sessions/my%20box?token=a+b');
    assert.equal(sessionsSocketUrl('https://perry.example.com/?y#z', 'alpha', null), 'wss://perry.example.com/sessions/alpha');
    // A peer relayed by the page's agent keeps its base path.
    assert.equal(sessionsSocketUrl('https://box:7391/peers/closet', 'alpha', null), 'wss://box:7391/peers/closet/sessions/alpha');
  });

  test('backs off from 1 s to at most 30 s', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 10].map(sessionsReconnectDelay), [1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });
});
