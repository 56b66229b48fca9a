import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { ScriptRun } from '../src/api.gen.ts';
import { postStartNote } from '../src/post-start.ts';

const run = (name: string, finished: boolean, error?: string): ScriptRun => ({ name, finished, milliseconds: 5, ...(error ? { error } : {}) });

test('a post-start note tells failures first, then scripts still running, and nothing when all went well', () => {
  assert.equal(postStartNote({ name: 'app' }), undefined);
  assert.equal(postStartNote({ name: 'app', postStart: [run('a', true)] }), undefined);
  assert.deepEqual(postStartNote({ name: 'app', postStart: [run('a', false)] }), { tone: 'info', text: 'Post-start scripts running…', failed: [] });
  const note = postStartNote({ name: 'app', postStart: [run('a', true, 'exited with 3'), run('b', false)] });
  assert.equal(note?.tone, 'warning');
  assert.equal(note?.text, 'Post-start script failed: a (the workspace runs; their output is in its log)');
  assert.deepEqual(note?.failed, [{ name: 'a', error: 'exited with 3' }]);
});
