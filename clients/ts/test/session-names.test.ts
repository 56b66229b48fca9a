import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { RecentSession } from '../src/api.gen.ts';
import { recentTime, sessionSubtitle, sessionTitle } from '../src/session-names.ts';

test('a session is called by the name a person gave it, with the tool’s title beside it', () => {
  assert.equal(sessionTitle({ name: 'Login fix', title: 'Fix the login bug' }), 'Login fix');
  assert.equal(sessionSubtitle({ name: 'Login fix', title: 'Fix the login bug' }), 'Fix the login bug');
  assert.equal(sessionSubtitle({ name: 'Same', title: 'Same' }), null);
});

test('without a name it is the tool’s title, and nothing beside it', () => {
  assert.equal(sessionTitle({ title: 'Fix the login bug' }), 'Fix the login bug');
  assert.equal(sessionSubtitle({ title: 'Fix the login bug' }), null);
  assert.equal(sessionTitle({ title: '  ' }), 'Untitled session');
});

test('a recent session’s time is the later of its last message and its last opening', () => {
  const session = { lastActivity: '2026-01-02T00:00:00Z' } as RecentSession['session'];
  assert.equal(recentTime({ session, openedAt: '2026-01-03T00:00:00Z' }), '2026-01-03T00:00:00Z');
  assert.equal(recentTime({ session, openedAt: '2026-01-01T00:00:00Z' }), '2026-01-02T00:00:00Z');
  assert.equal(recentTime({ session }), '2026-01-02T00:00:00Z');
});
