import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { validateWorkspaceName, WORKSPACE_NAME_PATTERN } from '../src/index.ts';

describe('validateWorkspaceName', () => {
  for (const name of ['a', '0', 'alpha', 'my-project-2', 'a1-b2', 'x'.repeat(63)]) {
    test(`accepts ${name}`, () => {
      assert.equal(validateWorkspaceName(name), null);
      assert.equal(WORKSPACE_NAME_PATTERN.test(name), true);
    });
  }

  for (const [name, message] of [
    ['', /Enter a name/],
    ['-alpha', /starting and ending with a letter or digit/],
    ['alpha-', /starting and ending with a letter or digit/],
    ['my_project', /lowercase letters, digits and '-'/],
    ['with space', /lowercase letters, digits and '-'/],
    ['café', /lowercase letters, digits and '-'/],
    ['Alpha', /Use lowercase/],
    ['x'.repeat(64), /Too long \(64 characters\)/],
  ] as const) {
    test(`refuses ${JSON.stringify(name)}`, () => {
      assert.match(validateWorkspaceName(name) ?? '', message);
    });
  }
});
