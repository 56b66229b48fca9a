// The agent's rules for settings (crates/perry-api/src/settings.rs), so a form on the web or the
// phone says what is wrong while the person types, in the agent's words. The agent checks
// everything again: its answer is shown too, and is the one that counts.

import type { AccountKind, WorkspaceSyncResult } from './api.gen.ts';
import { validateWorkspaceName } from './workspace-name.ts';

/** The most bytes a variable's or a secret's value may have. */
export const MAX_VALUE_BYTES = 64 * 1024;
/** The most bytes a post-start script may have. */
export const MAX_SCRIPT_BYTES = 64 * 1024;
/** How long a post-start script may run when it does not say. */
export const DEFAULT_SCRIPT_TIMEOUT_SECONDS = 300;
/** The longest time limit a post-start script may be given. */
export const MAX_SCRIPT_TIMEOUT_SECONDS = 3600;
/** The most bytes a skill's instructions may have. */
export const MAX_SKILL_BYTES = 256 * 1024;

/** What is wrong, in a sentence, or null. */
export type Problem = string | null;

const encoder = new TextEncoder();
export function byteLength(text: string): number {
  return encoder.encode(text).length;
}

/** `"x"`, as the agent quotes what was typed. */
function quoted(text: string): string {
  return JSON.stringify(text);
}

export function variableNameProblem(name: string): Problem {
  if (name.length <= 256 && /^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return null;
  return `${quoted(name)} is not a variable name (letters, digits and '_', not starting with a digit)`;
}

/** `what` names the value in the sentence, e.g. "The value of TOKEN". */
export function valueProblem(what: string, value: string): Problem {
  const size = byteLength(value);
  if (size > MAX_VALUE_BYTES) return `${what} is ${size} bytes; the most is ${MAX_VALUE_BYTES}`;
  if (/[\n\r\0"]/.test(value)) return `${what} contains a newline, a NUL or a double quote, which a workspace's environment cannot hold`;
  return null;
}

/**
 * A host file or directory → a place in the workspace: both absolute or `~/…`, never climbing
 * with `..`, and the workspace's under the workspace user's home.
 */
export function fileMappingProblems(host: string, workspace: string): { host: Problem; workspace: Problem } {
  const pathProblem = (which: string, path: string): Problem => {
    const absolute = path.startsWith('/') || path.startsWith('~/');
    const climbs = path.split('/').includes('..');
    if (!absolute || climbs || path.replace(/\/+$/, '').length < 2 || path.includes('\0')) {
      return `The ${which} path ${quoted(path)} must be absolute or start with ~/ and must not contain ..`;
    }
    return null;
  };
  const inHome = workspace.startsWith('~/') || workspace.startsWith('/home/workspace/');
  return {
    host: pathProblem('host', host),
    workspace:
      pathProblem('workspace', workspace) ??
      (inHome ? null : `The workspace path ${quoted(workspace)} must be in the workspace user's home: start it with ~/ or /home/workspace/`),
  };
}

/** A git host key of the GitHub account: `github.com`, `host:port` or `http://host:port`. */
export function gitHostProblem(key: string): Problem {
  const separator = key.indexOf('://');
  const scheme = separator === -1 ? null : key.slice(0, separator);
  if (scheme !== null && scheme !== 'http' && scheme !== 'https') return `A git host is reached over http or https, not ${scheme}`;
  const host = separator === -1 ? key : key.slice(separator + 3);
  if (host.length > 0 && host.length <= 253 && /^[A-Za-z0-9\-.:[\]]+$/.test(host)) return null;
  return `${quoted(key)} is not a git host: give it as github.com, host:port or http://host:port`;
}

/** The keys an account takes when they are a fixed set; null when any well-formed key goes. */
export const FIXED_ACCOUNT_KEYS: Record<AccountKind, readonly string[] | null> = {
  claudeCode: ['apiKey', 'oauthToken'],
  codex: ['apiKey'],
  opencode: null,
  github: null,
};

export const ACCOUNT_NAMES: Record<AccountKind, string> = {
  claudeCode: 'Claude Code',
  codex: 'Codex',
  opencode: 'OpenCode',
  github: 'GitHub',
};

export function accountKeyProblem(account: AccountKind, key: string): Problem {
  const fixed = FIXED_ACCOUNT_KEYS[account];
  if (fixed) return fixed.includes(key) ? null : `${ACCOUNT_NAMES[account]} takes the keys ${fixed.join(' and ')}, not ${quoted(key)}`;
  if (account === 'opencode') {
    if (key.length > 0 && key.length <= 64 && /^[a-z][a-z0-9\-_.]*$/.test(key)) return null;
    return `${quoted(key)} is not an OpenCode provider id (lower-case letters, digits, '-', '_' and '.', like anthropic or openai)`;
  }
  return gitHostProblem(key);
}

export function accountValueProblem(account: AccountKind, key: string, value: string): Problem {
  if (value.trim() === '') return `The ${key} of ${ACCOUNT_NAMES[account]} is empty; unset it instead`;
  return valueProblem(`The ${key}`, value);
}

/** The name of a post-start script or an MCP server. */
export function settingNameProblem(name: string): Problem {
  if (name.length <= 64 && /^[A-Za-z0-9][A-Za-z0-9\-_.]*$/.test(name)) return null;
  return `${quoted(name)} is not a name: letters, digits, '-', '_' and '.', starting with a letter or digit, at most 64`;
}

export function scriptProblems(name: string, script: string, timeout: string): { name: Problem; script: Problem; timeout: Problem } {
  const size = byteLength(script);
  const seconds = Number(timeout);
  return {
    name: settingNameProblem(name),
    script:
      script.trim() === ''
        ? `The script ${name} is empty`
        : size > MAX_SCRIPT_BYTES
          ? `The script ${name} is ${size} bytes; the most is ${MAX_SCRIPT_BYTES}`
          : script.includes('\0')
            ? `The script ${name} contains a NUL`
            : null,
    timeout:
      timeout.trim() === '' || (Number.isInteger(seconds) && seconds >= 1 && seconds <= MAX_SCRIPT_TIMEOUT_SECONDS)
        ? null
        : `The time limit of ${name} must be from 1 to ${MAX_SCRIPT_TIMEOUT_SECONDS} seconds`,
  };
}

export function skillProblems(name: string, description: string, instructions: string): { name: Problem; description: Problem; instructions: Problem } {
  const trimmed = description.trim();
  const size = byteLength(instructions);
  return {
    name:
      name.length > 0 && name.length <= 64 && /^[a-z0-9][a-z0-9-]*$/.test(name)
        ? null
        : `${quoted(name)} is not a skill name: lower-case letters, digits and hyphens, at most 64`,
    description:
      trimmed === '' || byteLength(trimmed) > 1024 || trimmed.includes('\n')
        ? 'The description is one line of at most 1024 characters saying when to use the skill'
        : null,
    instructions: size > MAX_SKILL_BYTES ? `The instructions are ${size} bytes; the most is ${MAX_SKILL_BYTES}` : null,
  };
}

/** An MCP server as a form has it: a command (its arguments) or a URL. */
export interface McpServerDraft {
  name: string;
  command: string[] | null;
  url: string | null;
  sse: boolean;
  env: { name: string; value: string }[];
}

export function mcpServerProblems(server: McpServerDraft): { name: Problem; command: Problem; url: Problem; env: Problem } {
  const problems = { name: settingNameProblem(server.name), command: null as Problem, url: null as Problem, env: null as Problem };
  if (server.command !== null) {
    const [program] = server.command;
    if (program === undefined || program.trim() === '') {
      problems.command = 'The command is empty: give the program and its arguments, e.g. npx -y @modelcontextprotocol/server-memory';
    } else if (server.command.some((arg) => arg.includes('\0'))) {
      problems.command = 'The command contains a NUL';
    }
  } else if (server.url !== null && !(server.url.startsWith('http://') || server.url.startsWith('https://'))) {
    problems.url = `The url ${quoted(server.url)} must start with http:// or https://`;
  }
  for (const variable of server.env) {
    problems.env ??= variableNameProblem(variable.name) ?? valueProblem(`The value of ${variable.name}`, variable.value);
  }
  return problems;
}

/** The file name of a private key in the host user's `~/.ssh`. */
export function sshKeyNameProblem(name: string): Problem {
  if (name.length > 0 && name.length <= 128 && !name.startsWith('.') && !name.endsWith('.pub') && /^[A-Za-z0-9\-_.@]+$/.test(name)) return null;
  return `${quoted(name)} is not the file name of a private key in ~/.ssh (like id_ed25519)`;
}

/** An authorized_keys line: a key type, its base64 blob, an optional comment. */
export function publicKeyProblem(line: string): Problem {
  const [keyType = '', blob = ''] = line.trim().split(/\s+/);
  const known = keyType.startsWith('ssh-') || keyType.startsWith('ecdsa-sha2-') || keyType.startsWith('sk-');
  const base64 = /^[A-Za-z0-9+/=]+$/.test(blob);
  if (!known || !base64 || /[\n\r\0]/.test(line) || byteLength(line) > 16 * 1024) {
    return 'Not an SSH public key: paste one line like ssh-ed25519 AAAAC3… me@laptop (a .pub file’s content)';
  }
  return null;
}

/** Workspace names as typed, separated by commas or spaces; none means every workspace. */
export function parseScope(text: string): string[] {
  return text.split(/[\s,]+/).filter((name) => name !== '');
}

export function formatScope(workspaces: readonly string[] | undefined): string {
  return (workspaces ?? []).join(', ');
}

export function scopeProblem(workspaces: readonly string[]): Problem {
  for (const name of workspaces) {
    const problem = validateWorkspaceName(name);
    if (problem) return `${quoted(name)}: ${problem}`;
  }
  return null;
}

/** What went wrong applying settings to one workspace, one sentence each; empty when all went. */
export function syncFailures(result: WorkspaceSyncResult): string[] {
  const failures = result.error ? [result.error] : [];
  for (const item of result.items) {
    if (item.error) failures.push(`${item.what}: ${item.error}`);
  }
  return failures;
}
