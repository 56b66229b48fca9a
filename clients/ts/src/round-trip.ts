// The round trip of a terminal's link (issue #22): a client pings every second while attached
// (the ping and pong messages are terminal-protocol.ts's), and the pongs give the round trip that
// a terminal's indicator shows and that decides whether typing is echoed locally (LocalEcho).
// Pure functions, shared by the web UI and the phone app.

import type { ConnectionStatus } from './terminal-connection.ts';

/** How often a client pings while attached. */
export const PING_INTERVAL_MS = 1_000;
/** A ping unanswered this long (and for twice the smoothed round trip) means the link stalls. */
export const STALL_AFTER_MS = 1_000;

/** What a client knows of its link's round trip (milliseconds). */
export interface RoundTrip {
  /** The last sample; while the link stalls, how long the oldest ping has gone unanswered. */
  lastMs: number;
  /** Smoothed as TCP (RFC 6298) and mosh do; while the link stalls, at least `lastMs`. */
  smoothedMs: number;
  /** A ping has gone unanswered for over twice the smoothed round trip and over a second. */
  stalled: boolean;
}

/** The smoothed round trip after `sampleMs`: the first sample sets it, then srtt = 7/8·srtt + 1/8·sample. */
export function smoothRoundTrip(smoothedMs: number | null, sampleMs: number): number {
  return smoothedMs === null ? sampleMs : (7 / 8) * smoothedMs + (1 / 8) * sampleMs;
}

/** Whether a ping unanswered for `waitedMs` means the link stalls (rather than is merely slow). */
export function isStalled(waitedMs: number, smoothedMs: number): boolean {
  return waitedMs > 2 * smoothedMs && waitedMs > STALL_AFTER_MS;
}

/** How a terminal's round-trip indicator looks: grey (`unknown`), green, yellow or red. */
export type RoundTripQuality = 'unknown' | 'good' | 'fair' | 'poor';

/**
 * The indicator of a terminal whose connection is `status`: grey unless attached and measured,
 * then green under 80 ms, yellow under 250 ms, red from 250 ms on or while the link stalls.
 */
export function linkQuality(status: ConnectionStatus['kind'], roundTrip: RoundTrip | null): RoundTripQuality {
  if (status !== 'open' || roundTrip === null) return 'unknown';
  if (roundTrip.stalled || roundTrip.smoothedMs >= 250) return 'poor';
  return roundTrip.smoothedMs < 80 ? 'good' : 'fair';
}

/** The indicator's words (its tooltip and accessible name), e.g. "Round trip 42 ms". */
export function describeLink(status: ConnectionStatus['kind'], roundTrip: RoundTrip | null, localEcho: boolean): string {
  if (status === 'connecting') return 'Connecting…';
  if (status !== 'open') return 'Not connected';
  const words =
    roundTrip === null
      ? 'Round trip not measured yet'
      : roundTrip.stalled
        ? `No answer for ${(roundTrip.lastMs / 1000).toFixed(1)} s: the link stalls`
        : `Round trip ${Math.round(roundTrip.smoothedMs)} ms`;
  return localEcho ? `${words} · typing shown before the shell echoes it` : words;
}
