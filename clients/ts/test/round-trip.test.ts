import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { describeLink, isStalled, linkQuality, smoothRoundTrip } from '../src/index.ts';

describe('round trip', () => {
  test('smooths as RFC 6298 does: the first sample sets it, then 7/8 old and 1/8 new', () => {
    assert.equal(smoothRoundTrip(null, 120), 120);
    assert.equal(smoothRoundTrip(80, 160), 90);
    let smoothed: number | null = null;
    for (let i = 0; i < 100; i += 1) smoothed = smoothRoundTrip(smoothed, i === 0 ? 500 : 40);
    assert.ok(Math.abs(smoothed! - 40) < 0.1, `converges to the samples (${smoothed})`);
  });

  test('a stall is a ping unanswered for over twice the smoothed round trip and over a second', () => {
    assert.equal(isStalled(1000, 20), false);
    assert.equal(isStalled(1001, 20), true);
    assert.equal(isStalled(1500, 750), false);
    assert.equal(isStalled(1501, 750), true);
  });

  test('the indicator: grey unless attached and measured, green under 80 ms, yellow under 250 ms, red from there or stalled', () => {
    const at = (smoothedMs: number, stalled = false) => linkQuality('open', { lastMs: smoothedMs, smoothedMs, stalled });
    assert.equal(linkQuality('open', null), 'unknown');
    assert.equal(linkQuality('connecting', { lastMs: 20, smoothedMs: 20, stalled: false }), 'unknown');
    assert.equal(linkQuality('exited', { lastMs: 20, smoothedMs: 20, stalled: false }), 'unknown');
    assert.deepEqual([at(0), at(79.9), at(80), at(249.9), at(250), at(4000)], ['good', 'good', 'fair', 'fair', 'poor', 'poor']);
    assert.equal(at(20, true), 'poor');
  });

  test('describes the link in words for the tooltip and screen readers', () => {
    const measured = { lastMs: 50, smoothedMs: 42.4, stalled: false };
    assert.equal(describeLink('connecting', measured, false), 'Connecting…');
    assert.equal(describeLink('stopped', measured, false), 'Not connected');
    assert.equal(describeLink('open', null, false), 'Round trip not measured yet');
    assert.equal(describeLink('open', measured, false), 'Round trip 42 ms');
    assert.equal(describeLink('open', { lastMs: 3250, smoothedMs: 3250, stalled: true }, false), 'No answer for 3.3 s: the link stalls');
    assert.equal(describeLink('open', measured, true), 'Round trip 42 ms · typing shown before the shell echoes it');
  });
});

