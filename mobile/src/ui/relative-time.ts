// "3 min ago" times that keep counting. Written out rather than Intl.RelativeTimeFormat, which
// Hermes (the phone's JavaScript engine) does not have.
import { useEffect, useState } from 'react';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * How long before `now` a time was (RFC 3339, or ms since the epoch): "just now", "5 min ago", "3 h ago",
 * "yesterday", "4 days ago", then the date ("26 Nov", with the year when it is not this one).
 * A time a little ahead (another machine's clock) is "just now"; one that cannot be read is ''.
 */
export function relativeTime(time: string | number | undefined, now: number): string {
  const at = typeof time === 'number' ? time : time ? Date.parse(time) : Number.NaN;
  if (Number.isNaN(at)) return '';
  const ago = now - at;
  if (ago < MINUTE) return 'just now';
  if (ago < HOUR) return `${Math.floor(ago / MINUTE)} min ago`;
  if (ago < DAY) return `${Math.floor(ago / HOUR)} h ago`;
  if (ago < 2 * DAY) return 'yesterday';
  if (ago < 7 * DAY) return `${Math.floor(ago / DAY)} days ago`;
  const date = new Date(at);
  const year = date.getFullYear() === new Date(now).getFullYear() ? '' : ` ${date.getFullYear()}`;
  return `${date.getDate()} ${MONTHS[date.getMonth()]}${year}`;
}

/** The current time, renewed every `ms`, so a "3 min ago" on screen keeps counting. */
export function useNow(ms = 30_000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms]);
  return now;
}
