import type { SessionInfo } from '@perry/client';
import { describe, expect, it } from 'vitest';

import { applySessionEvent, parseSessionEvent, sessionsReconnectDelay, sessionsSocketUrl, sortSessions } from '@perry/client';

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

  it('a snapshot replaces the list, newest first', () => {
    expect(ids(applySessionEvent([session('old', '2020-01-01T00:00:00Z')], { type: 'snapshot', sessions: [a, c, b] }))).toEqual(['c', 'b', 'a']);
    expect(applySessionEvent(undefined, { type: 'snapshot', sessions: [] })).toEqual([]);
  });

  it('added inserts in order, also into an empty cache', () => {
    expect(ids(applySessionEvent([c, a], { type: 'added', session: b }))).toEqual(['c', 'b', 'a']);
    expect(ids(applySessionEvent(undefined, { type: 'added', session: b }))).toEqual(['b']);
  });

  it('updated replaces the session and moves it to the top when it is newest', () => {
    const newer = { ...a, messageCount: 7, lastActivity: '2026-11-26T11:00:00Z' };
    const next = applySessionEvent([c, b, a], { type: 'updated', session: newer });
    expect(ids(next)).toEqual(['a', 'c', 'b']);
    expect(next[0]?.messageCount).toBe(7);
    expect(next).toHaveLength(3);
  });

  it('an update of an unknown session adds it (an event may overtake the first load)', () => {
    expect(ids(applySessionEvent([a], { type: 'updated', session: c }))).toEqual(['c', 'a']);
  });

  it('removed deletes by agent and id; other tools may reuse an id', () => {
    const sameIdOtherTool = session('a', '2026-11-26T07:00:00Z', { agent: 'opencode' });
    const list = [b, a, sameIdOtherTool];
    expect(applySessionEvent(list, { type: 'removed', sessionId: 'a', agent: 'claude-code' })).toEqual([b, sameIdOtherTool]);
    // Nothing to remove: the same array, so nothing re-renders.
    expect(applySessionEvent(list, { type: 'removed', sessionId: 'zz', agent: 'codex' })).toBe(list);
  });

  it('does not change the list it was given', () => {
    const list = [a, b];
    applySessionEvent(list, { type: 'added', session: c });
    expect(ids(list)).toEqual(['a', 'b']);
  });

  it('orders equal times by id, like the agent', () => {
    expect(ids(sortSessions([session('y', '2026-01-01T00:00:00Z'), session('x', '2026-01-01T00:00:00Z')]))).toEqual(['x', 'y']);
  });
});

describe('parseSessionEvent', () => {
  it('reads the four events', () => {
    const s = session('a', '2026-11-26T08:00:00Z');
    expect(parseSessionEvent(JSON.stringify({ type: 'snapshot', sessions: [s] }))).toEqual({ type: 'snapshot', sessions: [s] });
    expect(parseSessionEvent(JSON.stringify({ type: 'added', session: s }))).toEqual({ type: 'added', session: s });
    expect(parseSessionEvent(JSON.stringify({ type: 'updated', session: s }))).toEqual({ type: 'updated', session: s });
    expect(parseSessionEvent('{"type":"removed","sessionId":"a","agent":"codex"}')).toEqual({ type: 'removed', sessionId: 'a', agent: 'codex' });
  });

  it('ignores what it does not know, and drops malformed sessions from a snapshot', () => {
    expect(parseSessionEvent('not json')).toBeNull();
    expect(parseSessionEvent('{"type":"renamed"}')).toBeNull();
    expect(parseSessionEvent('{"type":"added","session":{"sessionId":1}}')).toBeNull();
    expect(parseSessionEvent('{"type":"removed","sessionId":"a","agent":"vim"}')).toBeNull();
    const good = session('a', '2026-11-26T08:00:00Z');
    expect(parseSessionEvent(JSON.stringify({ type: 'snapshot', sessions: [good, { nope: true }] }))).toEqual({ type: 'snapshot', sessions: [good] });
  });

  it('fills projectPath and resumeCommand when an agent leaves them out', () => {
    const { projectPath: _p, resumeCommand: _r, ...bare } = session('a', '2026-11-26T08:00:00Z');
    expect(parseSessionEvent(JSON.stringify({ type: 'added', session: bare }))).toMatchObject({ session: { projectPath: '', resumeCommand: '' } });
  });
});

describe('the sessions socket', () => {
  it('has its address on the page origin, with the token in the query', () => {
    expect(sessionsSocketUrl('http://box:7391', 'my box', 'a b')).toBe('ws://box:7391/sessions/my%20box?token=a+b');
    expect(sessionsSocketUrl('https://perry.example.com/x?y#z', 'alpha', null)).toBe('wss://perry.example.com/sessions/alpha');
  });

  it('backs off from 1 s to at most 30 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 10].map(sessionsReconnectDelay)).toEqual([1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]);
  });
});
