import assert from 'node:assert/strict';
import { test } from 'node:test';

import { cloneDirectory, validateCloneUrl } from '../src/clone-url.ts';

test('clone URLs give the directory git would make, as the agent computes it', () => {
  for (const [url, directory] of [
    ['https://github.com/owner/repo.git', 'repo'],
    ['https://github.com/owner/repo/', 'repo'],
    ['git@github.com:owner/my.repo.git', 'my.repo'],
    ['git@github.com:repo', 'repo'],
    ['ssh://git@host:2222/x/y-z.git', 'y-z'],
    ['git://172.17.0.1:9418/demo.git', 'demo'],
    ['file:///srv/git/demo', 'demo'],
  ] as const) {
    assert.equal(cloneDirectory(url), directory, url);
    assert.equal(validateCloneUrl(url), null, url);
  }
});

test('URLs the agent refuses get its words', () => {
  for (const [url, why] of [
    ['--upload-pack=touch /tmp/x', "must not start with '-'"],
    ['https://host/a b', 'contain spaces'],
    ['not a url', 'contain spaces'],
    ['/local/path', 'not a URL git can clone'],
    ['https://host/..', 'not a usable directory name'],
    ['https://host/$(id)', 'not a usable directory name'],
  ] as const) {
    const error = validateCloneUrl(url);
    assert.ok(error?.startsWith(`Cannot clone ${JSON.stringify(url)}: `), `${url}: ${error}`);
    assert.ok(error?.includes(why), `${url}: ${error}`);
    assert.equal(cloneDirectory(url), null);
  }
});
