// The agent's own rules (crates/perry-api/src/settings.rs and its tests), as the forms check them
// while the person types: each case here is one the agent accepts or refuses the same way.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import {
  accountKeyProblem,
  accountValueProblem,
  fileMappingProblems,
  gitHostProblem,
  MAX_SCRIPT_BYTES,
  MAX_VALUE_BYTES,
  mcpServerProblems,
  parseScope,
  publicKeyProblem,
  scopeProblem,
  scriptProblems,
  settingNameProblem,
  skillProblems,
  sshKeyNameProblem,
  syncFailures,
  valueProblem,
  variableNameProblem,
} from '../src/index.ts';

describe('environment variables', () => {
  test('takes letters, digits and _, not starting with a digit', () => {
    assert.equal(variableNameProblem('_OK1'), null);
    assert.equal(variableNameProblem('NPM_TOKEN'), null);
    assert.equal(variableNameProblem('1X'), `"1X" is not a variable name (letters, digits and '_', not starting with a digit)`);
    assert.notEqual(variableNameProblem('A-B'), null);
    assert.notEqual(variableNameProblem(''), null);
    assert.notEqual(variableNameProblem('A'.repeat(257)), null);
  });

  test('refuses values a workspace environment cannot hold, counting bytes', () => {
    assert.equal(valueProblem('x', "a b 'c'"), null);
    assert.match(valueProblem('The value of A', 'a\nb') ?? '', /^The value of A contains a newline/);
    assert.notEqual(valueProblem('x', 'say "hi"'), null);
    assert.equal(valueProblem('x', 'a'.repeat(MAX_VALUE_BYTES)), null);
    assert.equal(valueProblem('x', 'a'.repeat(MAX_VALUE_BYTES + 1)), `x is ${MAX_VALUE_BYTES + 1} bytes; the most is ${MAX_VALUE_BYTES}`);
    // é is two bytes in UTF-8, as the agent counts.
    assert.notEqual(valueProblem('x', 'é'.repeat(MAX_VALUE_BYTES / 2 + 1)), null);
  });
});

describe('files', () => {
  test('copies into the workspace user’s home only, never climbing', () => {
    assert.deepEqual(fileMappingProblems('~/.npmrc', '~/.npmrc'), { host: null, workspace: null });
    assert.deepEqual(fileMappingProblems('/etc/x', '/home/workspace/x'), { host: null, workspace: null });
    assert.match(fileMappingProblems('~/x', '/etc/x').workspace ?? '', /must be in the workspace user's home/);
    assert.match(fileMappingProblems('~/x', '~/../../etc/shadow').workspace ?? '', /must not contain \.\./);
    assert.match(fileMappingProblems('relative', '~/x').host ?? '', /^The host path "relative" must be absolute/);
    assert.notEqual(fileMappingProblems('/', '~/x').host, null);
  });
});

describe('coding-agent accounts', () => {
  test('takes each account’s own keys', () => {
    assert.equal(accountKeyProblem('claudeCode', 'apiKey'), null);
    assert.equal(accountKeyProblem('claudeCode', 'oauthToken'), null);
    assert.equal(accountKeyProblem('codex', 'oauthToken'), 'Codex takes the keys apiKey, not "oauthToken"');
    assert.equal(accountKeyProblem('opencode', 'openrouter'), null);
    assert.match(accountKeyProblem('opencode', 'Bad Id') ?? '', /is not an OpenCode provider id/);
    assert.equal(accountKeyProblem('github', 'github.com'), null);
  });

  test('knows a git host: github.com, host:port or http://host:port', () => {
    assert.equal(gitHostProblem('http://10.0.0.2:8080'), null);
    assert.equal(gitHostProblem('git.example.com:8443'), null);
    assert.equal(gitHostProblem('ssh://github.com'), 'A git host is reached over http or https, not ssh');
    assert.notEqual(gitHostProblem('github.com/org'), null);
    assert.notEqual(gitHostProblem(''), null);
  });

  test('refuses an empty key: that is removing it', () => {
    assert.equal(accountValueProblem('codex', 'apiKey', '  '), 'The apiKey of Codex is empty; unset it instead');
    assert.equal(accountValueProblem('codex', 'apiKey', 'sk-1'), null);
  });
});

describe('scripts, skills and MCP servers', () => {
  test('names: letters, digits, - _ ., starting with a letter or digit, at most 64', () => {
    assert.equal(settingNameProblem('install-tools_2.0'), null);
    assert.notEqual(settingNameProblem('-x'), null);
    assert.notEqual(settingNameProblem('has space'), null);
    assert.notEqual(settingNameProblem('a'.repeat(65)), null);
  });

  test('a script is not empty, at most 64 KiB, with a time limit of 1 to 3600 s', () => {
    assert.deepEqual(scriptProblems('s', 'echo hi', ''), { name: null, script: null, timeout: null });
    assert.equal(scriptProblems('s', '  \n', '').script, 'The script s is empty');
    assert.match(scriptProblems('s', 'x'.repeat(MAX_SCRIPT_BYTES + 1), '').script ?? '', /bytes; the most is 65536/);
    assert.equal(scriptProblems('s', 'echo', '0').timeout, 'The time limit of s must be from 1 to 3600 seconds');
    assert.notEqual(scriptProblems('s', 'echo', '3601').timeout, null);
    assert.notEqual(scriptProblems('s', 'echo', '1.5').timeout, null);
    assert.equal(scriptProblems('s', 'echo', '3600').timeout, null);
  });

  test('a skill: a lower-case-hyphens name and a one-line description', () => {
    assert.deepEqual(skillProblems('release-notes', 'When writing release notes', '# Steps'), { name: null, description: null, instructions: null });
    assert.match(skillProblems('Release', 'x', '').name ?? '', /is not a skill name/);
    assert.notEqual(skillProblems('a_b', 'x', '').name, null);
    assert.notEqual(skillProblems('ok', 'two\nlines', '').description, null);
    assert.notEqual(skillProblems('ok', '   ', '').description, null);
  });

  test('an MCP server: a command with a program, or an http(s) URL; env only for a command', () => {
    const base = { name: 'memory', command: null, url: null, sse: false, env: [] };
    assert.deepEqual(mcpServerProblems({ ...base, command: ['npx', '-y', 'x'] }), { name: null, command: null, url: null, env: null });
    assert.match(mcpServerProblems({ ...base, command: [] }).command ?? '', /^The command is empty/);
    assert.notEqual(mcpServerProblems({ ...base, command: [' ', 'x'] }).command, null);
    assert.equal(mcpServerProblems({ ...base, url: 'ftp://x' }).url, 'The url "ftp://x" must start with http:// or https://');
    assert.equal(mcpServerProblems({ ...base, url: 'https://mcp.example.com' }).url, null);
    assert.match(mcpServerProblems({ ...base, command: ['x'], env: [{ name: '1BAD', value: 'v' }] }).env ?? '', /is not a variable name/);
    assert.match(mcpServerProblems({ ...base, command: ['x'], env: [{ name: 'OK', value: 'a\nb' }] }).env ?? '', /^The value of OK contains a newline/);
  });
});

describe('SSH keys', () => {
  test('a key to copy is a private key’s file name in ~/.ssh', () => {
    assert.equal(sshKeyNameProblem('id_ed25519'), null);
    assert.notEqual(sshKeyNameProblem('id_ed25519.pub'), null);
    assert.notEqual(sshKeyNameProblem('.hidden'), null);
    assert.notEqual(sshKeyNameProblem('../id'), null);
  });

  test('an authorized key is one public key line', () => {
    assert.equal(publicKeyProblem('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBZ0 me@laptop'), null);
    assert.equal(publicKeyProblem('ecdsa-sha2-nistp256 AAAAE2VjZHNh'), null);
    assert.match(publicKeyProblem('not a key') ?? '', /^Not an SSH public key/);
    assert.notEqual(publicKeyProblem('ssh-ed25519 not!base64'), null);
    assert.notEqual(publicKeyProblem('ssh-ed25519 AAAA\nssh-rsa BBBB'), null);
  });
});

describe('scopes', () => {
  test('are workspace names separated by commas or spaces; none is every workspace', () => {
    assert.deepEqual(parseScope(''), []);
    assert.deepEqual(parseScope(' alpha, beta  gamma,'), ['alpha', 'beta', 'gamma']);
    assert.equal(scopeProblem(['alpha', 'beta-2']), null);
    assert.match(scopeProblem(['alpha', 'Bad_Name']) ?? '', /^"Bad_Name": /);
  });
});

describe('applying settings', () => {
  test('is no failure when every item was applied', () => {
    assert.deepEqual(syncFailures({ name: 'alpha', items: [{ what: 'environment' }, { what: '~/.npmrc' }] }), []);
  });
  test('lists the workspace’s own failure and each failed item', () => {
    assert.deepEqual(
      syncFailures({ name: 'alpha', error: 'The workspace is not answering', items: [{ what: '~/.npmrc', error: 'no such file' }, { what: 'environment' }] }),
      ['The workspace is not answering', '~/.npmrc: no such file'],
    );
  });
});
