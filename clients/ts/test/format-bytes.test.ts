import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { formatBytes } from '../src/index.ts';

describe('formatBytes', () => {
  test('counts bytes in words below a kilobyte', () => {
    assert.equal(formatBytes(1), '1 byte');
    assert.equal(formatBytes(999), '999 bytes');
  });

  test('uses decimal units, one decimal under 100 and none from there', () => {
    assert.equal(formatBytes(8_200_000), '8.2 MB');
    assert.equal(formatBytes(524_288), '524 kB');
    assert.equal(formatBytes(120_000_000), '120 MB');
    assert.equal(formatBytes(3_000_000_000), '3.0 GB');
  });

  test('rounds up into the next unit rather than showing 1000 of one', () => {
    assert.equal(formatBytes(999_999), '1.0 MB');
  });
});
