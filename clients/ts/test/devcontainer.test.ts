import assert from 'node:assert/strict';
import { test } from 'node:test';

import type { ScriptRun, Workspace } from '../src/api.gen.ts';
import {
  builtFromText,
  canRebuild,
  devcontainerInput,
  devcontainerPath,
  devcontainerProblem,
  logsInput,
  mayHaveBuildLog,
  rebuildConfirmation,
} from '../src/devcontainer.ts';
import { postStartNote } from '../src/post-start.ts';

const plain: Workspace = { name: 'app', status: 'running', created: '2026-01-01T00:00:00Z', image: 'workspace-base', ports: { ssh: 2201 } };
const built: Workspace = {
  ...plain,
  image: 'perry-devcontainer:0123',
  clone: { url: 'https://example.com/app.git', path: '/home/workspace/app' },
  devcontainer: '.devcontainer/devcontainer.json',
};

test('a devcontainer config is named by one folder under .devcontainer/, as the agent asks', () => {
  assert.equal(devcontainerProblem(''), null);
  assert.equal(devcontainerProblem('  python '), null);
  assert.equal(devcontainerPath('python'), '.devcontainer/python/devcontainer.json');
  for (const bad of ['.', '..', 'a/b', '.devcontainer/python/devcontainer.json', 'a\\b']) {
    assert.match(devcontainerProblem(bad) ?? '', /is not a folder name/, bad);
  }
});

test('the config goes to the agent only with a repository to clone, trimmed', () => {
  assert.deepEqual(devcontainerInput('https://example.com/app.git', ' python '), { devcontainer: 'python' });
  assert.deepEqual(devcontainerInput('https://example.com/app.git', ''), {});
  assert.deepEqual(devcontainerInput(' ', 'python'), {});
});

test('only a workspace built from a devcontainer.json is rebuilt, and the confirmation says what is kept', () => {
  assert.equal(canRebuild(plain), false);
  assert.equal(canRebuild(built), true);
  assert.equal(builtFromText(plain), undefined);
  assert.equal(builtFromText(built), 'Built from .devcontainer/devcontainer.json');
  const confirmation = rebuildConfirmation(built);
  assert.equal(confirmation.title, 'Rebuild app?');
  assert.match(confirmation.message, /made again from the repository’s current \.devcontainer\/devcontainer\.json/);
  assert.match(confirmation.message, /home and Docker data are kept; running terminals are closed/);
});

test('a build log is offered for a workspace that cloned a repository or was built', () => {
  assert.equal(mayHaveBuildLog(plain), false);
  assert.equal(mayHaveBuildLog({ clone: { url: 'https://example.com/app.git', path: '/home/workspace/app' } }), true);
  assert.equal(mayHaveBuildLog(built), true);
});

test('the build log is asked for with build: true, the container log without it', () => {
  assert.deepEqual(logsInput('app', 'container', { tail: 300 }), { name: 'app', tail: 300 });
  assert.deepEqual(logsInput('app', 'build', { tail: 300 }), { name: 'app', tail: 300, build: true });
  assert.deepEqual(logsInput('app', 'build', { since: '2026-01-01T00:00:01Z' }), { name: 'app', since: '2026-01-01T00:00:01Z', build: true });
});

const run = (name: string, finished: boolean, error?: string): ScriptRun => ({ name, finished, milliseconds: 5, ...(error ? { error } : {}) });

test('lifecycle commands are named as devcontainer.json commands, not as post-start scripts', () => {
  assert.equal(
    postStartNote({ name: 'app', postStart: [run('onCreateCommand', true), run('postCreateCommand', true, 'exited with 1')] })?.text,
    'devcontainer.json command failed: postCreateCommand (the workspace runs; their output is in its log)',
  );
  assert.equal(
    postStartNote({ name: 'app', postStart: [run('postCreateCommand', true, 'exited with 1'), run('seed', true, 'exited with 3')] })?.text,
    'Post-start steps failed: postCreateCommand, seed (the workspace runs; their output is in its log)',
  );
  assert.equal(postStartNote({ name: 'app', postStart: [run('onCreateCommand', true), run('postCreateCommand', false)] })?.text, 'postCreateCommand running…');
});
