// The key bar's keys as the bytes a terminal sends for them. A phone keyboard has no Esc, Ctrl,
// Tab or arrows, and `|` and `~` hide two pages deep.

export const BAR_KEYS = ['escape', 'tab', 'left', 'up', 'down', 'right', 'pipe', 'tilde', 'dash', 'slash'] as const;
export type BarKey = (typeof BAR_KEYS)[number];

/** What the key bar shows for each key. */
export const BAR_KEY_LABELS: Record<BarKey, string> = {
  escape: 'Esc',
  tab: 'Tab',
  left: '←',
  up: '↑',
  down: '↓',
  right: '→',
  pipe: '|',
  tilde: '~',
  dash: '-',
  slash: '/',
};

const ARROW_FINAL: Partial<Record<BarKey, string>> = { up: 'A', down: 'B', right: 'C', left: 'D' };

/**
 * The bytes for `key`. Arrows follow the cursor-key mode a program asked for (DECCKM): vim and
 * less switch to "application" mode, where the arrows are ESC O A instead of ESC [ A.
 */
export function keySequence(key: BarKey, applicationCursor: boolean): string {
  const arrow = ARROW_FINAL[key];
  if (arrow) return `\x1b${applicationCursor ? 'O' : '['}${arrow}`;
  switch (key) {
    case 'escape':
      return '\x1b';
    case 'tab':
      return '\t';
    case 'pipe':
      return '|';
    case 'tilde':
      return '~';
    case 'dash':
      return '-';
    case 'slash':
      return '/';
    default:
      return '';
  }
}

/**
 * `data` typed with Ctrl held (the key bar's Ctrl applies to the next key): a letter or one of
 * `@[\]^_` becomes its control code (c → ETX, [ → ESC), space is NUL, `?` is DEL. Anything else,
 * or more than one character (a paste), goes through unchanged.
 */
export function withCtrl(data: string): string {
  if (data.length !== 1) return data;
  if (data === ' ') return '\x00';
  if (data === '?') return '\x7f';
  const upper = data.toUpperCase();
  const code = upper.charCodeAt(0);
  if (code >= 0x40 && code <= 0x5f) return String.fromCharCode(code & 0x1f);
  return data;
}
