// The agent's rules for settings (crates/perry-api/src/settings.rs), checked as a person types so
// a mistake shows before the round trip; the agent still checks and its message wins. Pure and
// DOM-free: the web UI needs the same, so this belongs in @perry/client once its owner takes it.
import type { AccountKind, SecretInfo, WorkspaceSyncResult } from '@perry/client';

/** The most bytes a variable's or a secret's value may have (`MAX_VALUE_BYTES`). */
export const MAX_VALUE_BYTES = 64 * 1024;

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PROVIDER_ID = /^[a-z][a-z0-9._-]*$/;
const GIT_HOST = /^[A-Za-z0-9.:[\]-]+$/;

/** What is wrong with an environment variable's name, or null when the agent takes its form. */
export function variableNameProblem(name: string): string | null {
  if (name === '') return 'Enter a name.';
  if (name.length > 256) return `Too long (${name.length} characters): the most is 256.`;
  if (/^[0-9]/.test(name)) return 'A variable name cannot start with a digit.';
  if (!VARIABLE_NAME.test(name)) return "Letters, digits and '_' only, like API_URL.";
  return null;
}

/** What is wrong with a value a workspace's environment would hold, or null. */
export function valueProblem(value: string): string | null {
  const bytes = utf8Length(value);
  if (bytes > MAX_VALUE_BYTES) return `Too long (${bytes} bytes): the most is ${MAX_VALUE_BYTES}.`;
  if (/[\n\r\0"]/.test(value)) return "A value cannot hold a newline, a NUL or a double quote: a workspace's environment cannot.";
  return null;
}

/** What is wrong with a key of an account (a provider id, a git host), or null. */
export function accountKeyProblem(account: AccountKind, key: string): string | null {
  const fixed = fixedKeys(account);
  if (fixed) return fixed.includes(key) ? null : `${accountTitle(account)} takes the keys ${fixed.join(' and ')}.`;
  if (key === '') return account === 'opencode' ? 'Enter the provider, like anthropic.' : 'Enter the git host, like github.com.';
  if (account === 'opencode') {
    return key.length <= 64 && PROVIDER_ID.test(key)
      ? null
      : "A provider id is lower-case letters, digits, '-', '_' and '.', like anthropic or openai.";
  }
  const scheme = /^([^:/]*):\/\//.exec(key)?.[1];
  if (scheme !== undefined && scheme !== 'http' && scheme !== 'https') return `A git host is reached over http or https, not ${scheme}.`;
  const host = scheme === undefined ? key : key.slice(scheme.length + 3);
  return host !== '' && host.length <= 253 && GIT_HOST.test(host) ? null : 'Give the host as github.com, host:port or http://host:port.';
}

/** What is wrong with an account's secret as typed (surrounding spaces are dropped), or null. */
export function accountValueProblem(value: string): string | null {
  return value.trim() === '' ? 'Enter the key.' : valueProblem(value.trim());
}

/** The keys an account takes when they are a fixed set (Claude Code's and Codex's). */
export function fixedKeys(account: AccountKind): string[] | null {
  if (account === 'claudeCode') return ['apiKey', 'oauthToken'];
  if (account === 'codex') return ['apiKey'];
  return null;
}

/** One kind of account as the settings screens show it. */
export interface AccountView {
  kind: AccountKind;
  title: string;
  /** What it is for, in a line. */
  purpose: string;
  /** Claude Code's and Codex's keys, each with its label and the variable it sets. */
  fixed?: { key: string; label: string; variable: string }[];
  /** OpenCode's providers and GitHub's hosts: what a key is called, an example, and what its secret is. */
  open?: { keyLabel: string; keyExample: string; valueLabel: string; noun: string };
}

export const ACCOUNTS: AccountView[] = [
  {
    kind: 'claudeCode',
    title: 'Claude Code',
    purpose: 'An API key, or a long-lived OAuth token from claude setup-token.',
    fixed: [
      { key: 'apiKey', label: 'API key', variable: 'ANTHROPIC_API_KEY' },
      { key: 'oauthToken', label: 'OAuth token', variable: 'CLAUDE_CODE_OAUTH_TOKEN' },
    ],
  },
  {
    kind: 'codex',
    title: 'Codex',
    purpose: "An OpenAI API key, also written to Codex's auth.json.",
    fixed: [{ key: 'apiKey', label: 'API key', variable: 'OPENAI_API_KEY' }],
  },
  {
    kind: 'opencode',
    title: 'OpenCode',
    purpose: "A key per provider, written to OpenCode's auth file.",
    open: { keyLabel: 'Provider', keyExample: 'anthropic', valueLabel: 'API key', noun: 'API key' },
  },
  {
    kind: 'github',
    title: 'GitHub',
    purpose: 'A token per git host, for git over HTTPS (private clones) and gh.',
    open: { keyLabel: 'Git host', keyExample: 'github.com', valueLabel: 'Token', noun: 'token' },
  },
];

export function accountTitle(account: AccountKind): string {
  return ACCOUNTS.find((view) => view.kind === account)?.title ?? account;
}

/** How a person calls one key of an account: "Claude Code API key", "GitHub token for github.com". */
export function accountKeyTitle(account: AccountKind, key: string): string {
  const view = ACCOUNTS.find((candidate) => candidate.kind === account);
  const fixed = view?.fixed?.find((candidate) => candidate.key === key);
  if (fixed) return `${view?.title} ${fixed.label}`;
  return `${view?.title ?? account} ${view?.open?.noun ?? 'key'} for ${key}`;
}

/** How long ago, in a few words: "just now", "3 min ago", "5 h ago", "2 days ago", else the date. */
export function formatAge(at: Date, now: Date = new Date()): string {
  const seconds = Math.round((now.getTime() - at.getTime()) / 1000);
  if (!Number.isFinite(seconds)) return 'at an unknown time';
  if (seconds < 60) return 'just now';
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.floor(hours / 24);
  if (days < 14) return days === 1 ? 'yesterday' : `${days} days ago`;
  return `on ${at.toISOString().slice(0, 10)}`;
}

/** A secret's line: "set 3 min ago · a1b2c3d4", or "set by hand · a1b2c3d4" (no time kept). */
export function describeSecret(secret: Pick<SecretInfo, 'setAt' | 'fingerprint'>, now: Date = new Date()): string {
  const when = secret.setAt ? formatAge(new Date(secret.setAt), now) : 'by hand';
  return `set ${when} · ${secret.fingerprint}`;
}

/** One workspace's outcome of applying settings: whether all of it went in, and what did not. */
export function syncOutcome(result: WorkspaceSyncResult): { ok: boolean; problems: string[] } {
  const problems = result.error ? [result.error] : result.items.filter((item) => item.error).map((item) => `${item.what}: ${item.error}`);
  return { ok: problems.length === 0, problems };
}

/** UTF-8 bytes of `text`, as the agent counts a value's length. */
function utf8Length(text: string): number {
  let bytes = 0;
  for (const char of text) {
    const code = char.codePointAt(0) ?? 0;
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
  }
  return bytes;
}
