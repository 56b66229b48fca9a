// The agent's own rules (crates/perry-api/src/settings.rs and its tests), as the forms check them
// while the person types: each case here is one the agent accepts or refuses the same way.
import { describe, expect, it } from 'vitest';

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
  valueProblem,
  variableNameProblem,
} from './rules';

describe('environment variables', () => {
  it('takes letters, digits and _, not starting with a digit', () => {
    expect(variableNameProblem('_OK1')).toBeNull();
    expect(variableNameProblem('NPM_TOKEN')).toBeNull();
    expect(variableNameProblem('1X')).toBe(`"1X" is not a variable name (letters, digits and '_', not starting with a digit)`);
    expect(variableNameProblem('A-B')).not.toBeNull();
    expect(variableNameProblem('')).not.toBeNull();
    expect(variableNameProblem('A'.repeat(257))).not.toBeNull();
  });

  it('refuses values a workspace environment cannot hold, counting bytes', () => {
    expect(valueProblem('x', "a b 'c'")).toBeNull();
    expect(valueProblem('The value of A', 'a\nb')).toMatch(/^The value of A contains a newline/);
    expect(valueProblem('x', 'say "hi"')).not.toBeNull();
    expect(valueProblem('x', 'a'.repeat(MAX_VALUE_BYTES))).toBeNull();
    expect(valueProblem('x', 'a'.repeat(MAX_VALUE_BYTES + 1))).toBe(`x is ${MAX_VALUE_BYTES + 1} bytes; the most is ${MAX_VALUE_BYTES}`);
    // é is two bytes in UTF-8, as the agent counts.
    expect(valueProblem('x', 'é'.repeat(MAX_VALUE_BYTES / 2 + 1))).not.toBeNull();
  });
});

describe('files', () => {
  it('copies into the workspace user’s home only, never climbing', () => {
    expect(fileMappingProblems('~/.npmrc', '~/.npmrc')).toEqual({ host: null, workspace: null });
    expect(fileMappingProblems('/etc/x', '/home/workspace/x')).toEqual({ host: null, workspace: null });
    expect(fileMappingProblems('~/x', '/etc/x').workspace).toMatch(/must be in the workspace user's home/);
    expect(fileMappingProblems('~/x', '~/../../etc/shadow').workspace).toMatch(/must not contain \.\./);
    expect(fileMappingProblems('relative', '~/x').host).toMatch(/^The host path "relative" must be absolute/);
    expect(fileMappingProblems('/', '~/x').host).not.toBeNull();
  });
});

describe('coding-agent accounts', () => {
  it('takes each account’s own keys', () => {
    expect(accountKeyProblem('claudeCode', 'apiKey')).toBeNull();
    expect(accountKeyProblem('claudeCode', 'oauthToken')).toBeNull();
    expect(accountKeyProblem('codex', 'oauthToken')).toBe('Codex takes the keys apiKey, not "oauthToken"');
    expect(accountKeyProblem('opencode', 'openrouter')).toBeNull();
    expect(accountKeyProblem('opencode', 'Bad Id')).toMatch(/is not an OpenCode provider id/);
    expect(accountKeyProblem('github', 'github.com')).toBeNull();
  });

  it('knows a git host: github.com, host:port or http://host:port', () => {
    expect(gitHostProblem('http://10.0.0.2:8080')).toBeNull();
    expect(gitHostProblem('git.example.com:8443')).toBeNull();
    expect(gitHostProblem('ssh://github.com')).toBe('A git host is reached over http or https, not ssh');
    expect(gitHostProblem('github.com/org')).not.toBeNull();
    expect(gitHostProblem('')).not.toBeNull();
  });

  it('refuses an empty key: that is removing it', () => {
    expect(accountValueProblem('codex', 'apiKey', '  ')).toBe('The apiKey of Codex is empty; unset it instead');
    expect(accountValueProblem('codex', 'apiKey', 'sk-1')).toBeNull();
  });
});

describe('scripts, skills and MCP servers', () => {
  it('names: letters, digits, - _ ., starting with a letter or digit, at most 64', () => {
    expect(settingNameProblem('install-tools_2.0')).toBeNull();
    expect(settingNameProblem('-x')).not.toBeNull();
    expect(settingNameProblem('has space')).not.toBeNull();
    expect(settingNameProblem('a'.repeat(65))).not.toBeNull();
  });

  it('a script is not empty, at most 64 KiB, with a time limit of 1 to 3600 s', () => {
    expect(scriptProblems('s', 'echo hi', '')).toEqual({ name: null, script: null, timeout: null });
    expect(scriptProblems('s', '  \n', '').script).toBe('The script s is empty');
    expect(scriptProblems('s', 'x'.repeat(MAX_SCRIPT_BYTES + 1), '').script).toMatch(/bytes; the most is 65536/);
    expect(scriptProblems('s', 'echo', '0').timeout).toBe('The time limit of s must be from 1 to 3600 seconds');
    expect(scriptProblems('s', 'echo', '3601').timeout).not.toBeNull();
    expect(scriptProblems('s', 'echo', '1.5').timeout).not.toBeNull();
    expect(scriptProblems('s', 'echo', '3600').timeout).toBeNull();
  });

  it('a skill: a lower-case-hyphens name and a one-line description', () => {
    expect(skillProblems('release-notes', 'When writing release notes', '# Steps')).toEqual({ name: null, description: null, instructions: null });
    expect(skillProblems('Release', 'x', '').name).toMatch(/is not a skill name/);
    expect(skillProblems('a_b', 'x', '').name).not.toBeNull();
    expect(skillProblems('ok', 'two\nlines', '').description).not.toBeNull();
    expect(skillProblems('ok', '   ', '').description).not.toBeNull();
  });

  it('an MCP server: a command with a program, or an http(s) URL; env only for a command', () => {
    const base = { name: 'memory', command: null, url: null, sse: false, env: [] };
    expect(mcpServerProblems({ ...base, command: ['npx', '-y', 'x'] })).toEqual({ name: null, command: null, url: null, env: null });
    expect(mcpServerProblems({ ...base, command: [] }).command).toMatch(/^The command is empty/);
    expect(mcpServerProblems({ ...base, command: [' ', 'x'] }).command).not.toBeNull();
    expect(mcpServerProblems({ ...base, url: 'ftp://x' }).url).toBe('The url "ftp://x" must start with http:// or https://');
    expect(mcpServerProblems({ ...base, url: 'https://mcp.example.com' }).url).toBeNull();
    expect(mcpServerProblems({ ...base, command: ['x'], env: [{ name: '1BAD', value: 'v' }] }).env).toMatch(/is not a variable name/);
    expect(mcpServerProblems({ ...base, command: ['x'], env: [{ name: 'OK', value: 'a\nb' }] }).env).toMatch(/^The value of OK contains a newline/);
  });
});

describe('SSH keys', () => {
  it('a key to copy is a private key’s file name in ~/.ssh', () => {
    expect(sshKeyNameProblem('id_ed25519')).toBeNull();
    expect(sshKeyNameProblem('id_ed25519.pub')).not.toBeNull();
    expect(sshKeyNameProblem('.hidden')).not.toBeNull();
    expect(sshKeyNameProblem('../id')).not.toBeNull();
  });

  it('an authorized key is one public key line', () => {
    expect(publicKeyProblem('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBZ0 me@laptop')).toBeNull();
    expect(publicKeyProblem('ecdsa-sha2-nistp256 AAAAE2VjZHNh')).toBeNull();
    expect(publicKeyProblem('not a key')).toMatch(/^Not an SSH public key/);
    expect(publicKeyProblem('ssh-ed25519 not!base64')).not.toBeNull();
    expect(publicKeyProblem('ssh-ed25519 AAAA\nssh-rsa BBBB')).not.toBeNull();
  });
});

describe('scopes', () => {
  it('are workspace names separated by commas or spaces; none is every workspace', () => {
    expect(parseScope('')).toEqual([]);
    expect(parseScope(' alpha, beta  gamma,')).toEqual(['alpha', 'beta', 'gamma']);
    expect(scopeProblem(['alpha', 'beta-2'])).toBeNull();
    expect(scopeProblem(['alpha', 'Bad_Name'])).toMatch(/^"Bad_Name": /);
  });
});
