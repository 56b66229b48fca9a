import { describe, expect, it } from 'vitest';

import { validateWorkspaceName, WORKSPACE_NAME_PATTERN } from './name';

describe('validateWorkspaceName', () => {
  it.each(['a', '0', 'alpha', 'my-project-2', 'a1-b2', 'x'.repeat(63)])('accepts %s', (name) => {
    expect(validateWorkspaceName(name)).toBeNull();
    expect(WORKSPACE_NAME_PATTERN.test(name)).toBe(true);
  });

  it.each([
    ['', /Enter a name/],
    ['-alpha', /starting and ending with a letter or digit/],
    ['alpha-', /starting and ending with a letter or digit/],
    ['my_project', /lowercase letters, digits and '-'/],
    ['with space', /lowercase letters, digits and '-'/],
    ['café', /lowercase letters, digits and '-'/],
    ['Alpha', /Use lowercase/],
    ['x'.repeat(64), /Too long \(64 characters\)/],
  ])('refuses %j', (name, message) => {
    expect(validateWorkspaceName(name)).toMatch(message);
  });
});
