import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { noticeLine, skippedOutputNotice } from '../src/index.ts';

describe('notices in the terminal', () => {
  test('says how much output the agent skipped', () => {
    assert.equal(skippedOutputNotice(8_200_000), '8.2 MB of output skipped');
    assert.equal(skippedOutputNotice(1), '1 byte of output skipped');
  });

  test('a notice is a dim line of its own', () => {
    assert.equal(noticeLine('new shell'), '\r\n\x1b[2m── new shell ──\x1b[0m\r\n');
  });
});
