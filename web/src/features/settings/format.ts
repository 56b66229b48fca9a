import type { SecretInfo } from '@perry/client';

import { formatRelativeTime } from '@/lib/format';

/**
 * How a write-only secret stands: when it was set ("set 3 minutes ago", or by hand in
 * config.json when the agent did not set it) and its fingerprint; never the value.
 */
export function secretSummary(secret: Pick<SecretInfo, 'setAt' | 'fingerprint'>, now: number = Date.now()): string {
  const when = secret.setAt ? `set ${formatRelativeTime(secret.setAt, now)}` : 'set by hand in config.json';
  return `${when} · fingerprint ${secret.fingerprint}`;
}

/** A public key line shortened for a list: its type, the blob's ends, its comment. */
export function shortPublicKey(line: string): { keyType: string; blob: string; comment: string } {
  const [keyType = '', blob = '', ...comment] = line.trim().split(/\s+/);
  return { keyType, blob: blob.length > 24 ? `${blob.slice(0, 12)}…${blob.slice(-8)}` : blob, comment: comment.join(' ') };
}
