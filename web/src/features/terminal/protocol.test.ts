import { describe, expect, it } from 'vitest';

import { classifyClose, parseControl, reconnectDelay, resizeMessage, resumeOffset, terminalSocketUrl } from '@perry/client';

describe('terminalSocketUrl', () => {
  const base = { origin: 'http://box:7391', workspace: 'alpha', token: 'tok', cols: 120, rows: 40 };

  it('opens a new shell: ws scheme, token and size in the query, no terminal id', () => {
    const url = new URL(terminalSocketUrl(base));
    expect(url.protocol).toBe('ws:');
    expect(url.host).toBe('box:7391');
    expect(url.pathname).toBe('/terminal/alpha');
    expect(Object.fromEntries(url.searchParams)).toEqual({ token: 'tok', cols: '120', rows: '40' });
  });

  it('runs a command instead of the login shell: cmd as a JSON array, only for a new terminal', () => {
    const command = ['bash', '-lc', "cd '/home/workspace/it'\\''s' && claude --resume abc"];
    const url = new URL(terminalSocketUrl({ ...base, command }));
    expect(JSON.parse(url.searchParams.get('cmd')!)).toEqual(command);
    expect(url.search).not.toContain(' '); // encoded
    expect(new URL(terminalSocketUrl({ ...base, command, terminalId: 't-1' })).searchParams.has('cmd')).toBe(false);
    expect(new URL(terminalSocketUrl({ ...base, command: [] })).searchParams.has('cmd')).toBe(false);
  });

  it('uses wss behind https', () => {
    expect(terminalSocketUrl({ ...base, origin: 'https://perry.example.com' })).toMatch(/^wss:\/\/perry\.example\.com\/terminal\/alpha\?/);
  });

  it('reattaches with the terminal id and resumes after an offset', () => {
    const url = new URL(terminalSocketUrl({ ...base, terminalId: 't-42', since: 1234 }));
    expect(url.searchParams.get('terminal')).toBe('t-42');
    expect(url.searchParams.get('since')).toBe('1234');
  });

  it('asks for the full replay on a reattach without an offset (after a reload)', () => {
    const url = new URL(terminalSocketUrl({ ...base, terminalId: 't-42', since: null }));
    expect(url.searchParams.get('terminal')).toBe('t-42');
    expect(url.searchParams.has('since')).toBe(false);
  });

  it('never sends `since` without a terminal id (it would mean nothing for a new shell)', () => {
    expect(new URL(terminalSocketUrl({ ...base, since: 99 })).searchParams.has('since')).toBe(false);
  });

  it('escapes the token and leaves it out when there is none', () => {
    expect(new URL(terminalSocketUrl({ ...base, token: 'a+b/c=&' })).searchParams.get('token')).toBe('a+b/c=&');
    expect(new URL(terminalSocketUrl({ ...base, token: null })).searchParams.has('token')).toBe(false);
  });

  it('keeps sizes whole and at least 1', () => {
    const url = new URL(terminalSocketUrl({ ...base, cols: 80.7, rows: 0 }));
    expect(url.searchParams.get('cols')).toBe('80');
    expect(url.searchParams.get('rows')).toBe('1');
  });

  it('ignores the path and query of the origin it is given', () => {
    expect(terminalSocketUrl({ ...base, origin: 'http://box:7391/workspaces?x=1#y' })).toBe('ws://box:7391/terminal/alpha?token=tok&cols=120&rows=40');
  });
});

describe('parseControl', () => {
  it('reads attached, dropped and resize messages', () => {
    expect(parseControl('{"type":"attached","id":"t1","cols":80,"rows":24,"replayedBytes":10,"offset":5}')).toEqual({
      type: 'attached',
      id: 't1',
      cols: 80,
      rows: 24,
      replayedBytes: 10,
      offset: 5,
    });
    expect(parseControl('{"type":"dropped","bytes":4096}')).toEqual({ type: 'dropped', bytes: 4096 });
    expect(parseControl('{"type":"resize","cols":1,"rows":2}')).toEqual({ type: 'resize', cols: 1, rows: 2 });
  });

  it('returns null for anything else', () => {
    expect(parseControl('not json')).toBeNull();
    expect(parseControl('[]')).toBeNull();
    expect(parseControl('{"type":"attached","id":5}')).toBeNull();
    expect(parseControl('{"type":"future-thing"}')).toBeNull();
  });
});

describe('classifyClose', () => {
  it('1000 is the shell exiting, with its code', () => {
    expect(classifyClose(1000, 'exit 0', true)).toEqual({ kind: 'exited', exitCode: 0 });
    expect(classifyClose(1000, 'exit 130', true)).toEqual({ kind: 'exited', exitCode: 130 });
    expect(classifyClose(1000, '', true)).toEqual({ kind: 'exited', exitCode: null });
  });

  it('1001 is the workspace stopping or the agent going away', () => {
    expect(classifyClose(1001, 'workspace stopped', true)).toEqual({ kind: 'stopped' });
  });

  it('a socket that never opened was refused; one that did was dropped', () => {
    expect(classifyClose(1006, '', false)).toEqual({ kind: 'refused' });
    expect(classifyClose(1006, '', true)).toEqual({ kind: 'dropped' });
    expect(classifyClose(1011, 'internal', true)).toEqual({ kind: 'dropped' });
  });
});

describe('reconnect arithmetic', () => {
  it('backs off from 250 ms to at most 8 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 20].map(reconnectDelay)).toEqual([250, 500, 1000, 2000, 4000, 8000, 8000, 8000]);
  });

  it('resumes after what was received and what was skipped', () => {
    expect(resumeOffset(1000, 50, 0)).toBe(1050);
    expect(resumeOffset(1000, 50, 4096)).toBe(5146);
  });

  it('serializes a resize as the agent expects', () => {
    expect(JSON.parse(resizeMessage(100, 30))).toEqual({ type: 'resize', cols: 100, rows: 30 });
  });
});
