// How the settings screens name and show what they list: the kinds of account with their labels,
// a key's title, a secret's age and fingerprint. The agent's rules themselves (checked as a person
// types) are shared with the web UI in @perry/client (clients/ts/src/settings-rules.ts).
import { syncFailures, type AccountKind, type SecretInfo, type WorkspaceSyncResult } from '@perry/client';

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
  const problems = syncFailures(result);
  return { ok: problems.length === 0, problems };
}
