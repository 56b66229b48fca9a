import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { ackMessage, classifyClose, nextPingId, parseControl, pingMessage, reconnectDelay, resizeMessage, resumeOffset, terminalSocketUrl } from '../src/index.ts';

describe('terminalSocketUrl', () => {
  const base = { origin: 'http://box:7391', workspace: 'alpha', token: 'tok', cols: 120, rows: 40 };

  test('opens a new shell: ws scheme, token and size in the query, no terminal id', () => {
    const url = new URL(terminalSocketUrl(base));
    assert.equal(url.protocol, 'ws:');
    assert.equal(url.host, 'box:7391');
    assert.equal(url.pathname, '/terminal/alpha');
    assert.deepEqual(Object.fromEntries(url.searchParams), { token: 'tok', cols: '120', rows: '40' });
  });

  test('runs a command instead of the login shell: cmd as a JSON array, only for a new terminal', () => {
    const command = ['bash', '-lc', "cd '/home/workspace/it'\\''s' && claude --resume abc"];
    const url = new URL(terminalSocketUrl({ ...base, command }));
    assert.deepEqual(JSON.parse(url.searchParams.get('cmd')!), command);
    assert.equal(url.search.includes(' '), false); // encoded
    assert.equal(new URL(terminalSocketUrl({ ...base, command, terminalId: 't-1' })).searchParams.has('cmd'), false);
    assert.equal(new URL(terminalSocketUrl({ ...base, command: [] })).searchParams.has('cmd'), false);
  });

  test('uses wss behind https', () => {
    assert.match(terminalSocketUrl({ ...base, origin: 'https://perry.example.com' }), /^wss:\/\/perry\.example\.com\/terminal\/alpha\?/);
  });

  test('reattaches with the terminal id and resumes after an offset', () => {
    const url = new URL(terminalSocketUrl({ ...base, terminalId: 't-42', since: 1234 }));
    assert.equal(url.searchParams.get('terminal'), 't-42');
    assert.equal(url.searchParams.get('since'), '1234');
  });

  test('asks for the full replay on a reattach without an offset (after a reload)', () => {
    const url = new URL(terminalSocketUrl({ ...base, terminalId: 't-42', since: null }));
    assert.equal(url.searchParams.get('terminal'), 't-42');
    assert.equal(url.searchParams.has('since'), false);
  });

  test('never sends `since` without a terminal id (it would mean nothing for a new shell)', () => {
    assert.equal(new URL(terminalSocketUrl({ ...base, since: 99 })).searchParams.has('since'), false);
  });

  test('escapes the token and leaves it out when there is none', () => {
    assert.equal(new URL(terminalSocketUrl({ ...base, token: 'a+b/c=&' })).searchParams.get('token'), 'a+b/c=&');
    assert.equal(new URL(terminalSocketUrl({ ...base, token: null })).searchParams.has('token'), false);
  });

  test('keeps sizes whole and at least 1', () => {
    const url = new URL(terminalSocketUrl({ ...base, cols: 80.7, rows: 0 }));
    assert.equal(url.searchParams.get('cols'), '80');
    assert.equal(url.searchParams.get('rows'), '1');
  });

  test("keeps the base URL's path (a peer relayed by the page's agent), not its query or fragment", () => {
    assert.equal(terminalSocketUrl({ ...base, origin: 'http://box:7391/peers/closet/?x=1#y' }), 'ws://box:7391/peers/closet/terminal/alpha?token=tok&cols=120&rows=40');
  });
});

describe('parseControl', () => {
  test('reads attached, dropped and resize messages', () => {
    assert.deepEqual(parseControl('{"type":"attached","id":"t1","cols":80,"rows":24,"replayedBytes":10,"offset":5}'), {
      type: 'attached',
      id: 't1',
      cols: 80,
      rows: 24,
      replayedBytes: 10,
      offset: 5,
    });
    assert.deepEqual(parseControl('{"type":"dropped","bytes":4096}'), { type: 'dropped', bytes: 4096 });
    assert.deepEqual(parseControl('{"type":"resize","cols":1,"rows":2}'), { type: 'resize', cols: 1, rows: 2 });
  });

  test('reads ping, pong and ack messages, whose numbers are the agent\'s u32', () => {
    assert.deepEqual(parseControl('{"type":"pong","id":7}'), { type: 'pong', id: 7 });
    assert.deepEqual(parseControl('{"type":"ping","id":0}'), { type: 'ping', id: 0 });
    assert.deepEqual(parseControl('{"type":"ack","bytes":4294967295}'), { type: 'ack', bytes: 4294967295 });
    for (const text of [
      '{"type":"pong"}',
      '{"type":"pong","id":"7"}',
      '{"type":"pong","id":-1}',
      '{"type":"pong","id":1.5}',
      '{"type":"ping","id":4294967296}',
      '{"type":"ack","bytes":null}',
      '{"type":"ack","id":3}',
    ]) {
      assert.equal(parseControl(text), null, text);
    }
  });

  test('returns null for anything else', () => {
    assert.equal(parseControl('not json'), null);
    assert.equal(parseControl('[]'), null);
    assert.equal(parseControl('{"type":"attached","id":5}'), null);
    assert.equal(parseControl('{"type":"future-thing"}'), null);
  });
});

describe('classifyClose', () => {
  test('1000 is the shell exiting, with its code', () => {
    assert.deepEqual(classifyClose(1000, 'exit 0', true), { kind: 'exited', exitCode: 0 });
    assert.deepEqual(classifyClose(1000, 'exit 130', true), { kind: 'exited', exitCode: 130 });
    assert.deepEqual(classifyClose(1000, '', true), { kind: 'exited', exitCode: null });
  });

  test('1001 is the workspace stopping or the agent going away', () => {
    assert.deepEqual(classifyClose(1001, 'workspace stopped', true), { kind: 'stopped' });
  });

  test('a socket that never opened was refused; one that did was dropped', () => {
    assert.deepEqual(classifyClose(1006, '', false), { kind: 'refused' });
    assert.deepEqual(classifyClose(1006, '', true), { kind: 'dropped' });
    assert.deepEqual(classifyClose(1011, 'internal', true), { kind: 'dropped' });
  });
});

describe('reconnect arithmetic', () => {
  test('backs off from 250 ms to at most 8 s', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 20].map(reconnectDelay), [250, 500, 1000, 2000, 4000, 8000, 8000, 8000]);
  });

  test('resumes after what was received and what was skipped', () => {
    assert.equal(resumeOffset(1000, 50, 0), 1050);
    assert.equal(resumeOffset(1000, 50, 4096), 5146);
  });

  test('serializes a resize as the agent expects', () => {
    assert.deepEqual(JSON.parse(resizeMessage(100, 30)), { type: 'resize', cols: 100, rows: 30 });
  });
});

describe('pings and acks', () => {
  test('serializes pings and acks as the agent expects', () => {
    assert.deepEqual(JSON.parse(pingMessage(12)), { type: 'ping', id: 12 });
    assert.deepEqual(JSON.parse(ackMessage(32768)), { type: 'ack', bytes: 32768 });
  });

  test('ping ids count up and wrap within a u32', () => {
    assert.equal(nextPingId(1), 2);
    assert.equal(nextPingId(4294967294), 4294967295);
    assert.equal(nextPingId(4294967295), 0);
  });
});
