import type { RoundTrip } from '@perry/client';
import { render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';

import { RoundTripIndicator } from './round-trip-indicator';

const open = { kind: 'open' } as const;
const rtt = (smoothedMs: number, stalled = false): RoundTrip => ({ lastMs: smoothedMs, smoothedMs, stalled });

function dot() {
  return screen.getByRole('img');
}

describe('RoundTripIndicator', () => {
  it('is grey while connecting, whatever the last round trip was', () => {
    render(<RoundTripIndicator status={{ kind: 'connecting', attempt: 1 }} roundTrip={rtt(20)} localEcho={false} />);
    expect(dot()).toHaveAttribute('data-quality', 'unknown');
    expect(dot()).toHaveClass('bg-zinc-500');
    expect(dot()).toHaveAccessibleName('Connecting…');
  });

  it('is grey until the first pong', () => {
    render(<RoundTripIndicator status={open} roundTrip={null} localEcho={false} />);
    expect(dot()).toHaveAttribute('data-quality', 'unknown');
    expect(dot()).toHaveAccessibleName('Round trip not measured yet');
  });

  it.each([
    [12, 'good', 'bg-emerald-500'],
    [79, 'good', 'bg-emerald-500'],
    [80, 'fair', 'bg-amber-400'],
    [249, 'fair', 'bg-amber-400'],
    [250, 'poor', 'bg-red-500'],
  ])('at %i ms is %s', (ms, quality, colour) => {
    render(<RoundTripIndicator status={open} roundTrip={rtt(ms)} localEcho={false} />);
    expect(dot()).toHaveAttribute('data-quality', quality);
    expect(dot()).toHaveClass(colour);
    expect(dot()).toHaveAccessibleName(`Round trip ${ms} ms`);
    expect(dot()).toHaveAttribute('title', `Round trip ${ms} ms`);
  });

  it('is red while the link stalls, and says for how long', () => {
    render(<RoundTripIndicator status={open} roundTrip={{ lastMs: 2400, smoothedMs: 2400, stalled: true }} localEcho={false} />);
    expect(dot()).toHaveAttribute('data-quality', 'poor');
    expect(dot()).toHaveAccessibleName('No answer for 2.4 s: the link stalls');
  });

  it('says when typing is echoed locally', () => {
    render(<RoundTripIndicator status={open} roundTrip={rtt(120)} localEcho />);
    expect(dot()).toHaveAccessibleName('Round trip 120 ms · typing shown before the shell echoes it');
  });
});
