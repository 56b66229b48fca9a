import assert from 'node:assert/strict';
import { test } from 'node:test';

import { sshCommand } from '../src/index.ts';

test('sshCommand names the port, the workspace user and the host', () => {
  assert.equal(sshCommand(2201, 'devbox'), 'ssh -p 2201 workspace@devbox');
});

test('sshCommand unbrackets an IPv6 literal', () => {
  assert.equal(sshCommand(2202, '[fd7a:115c::1]'), 'ssh -p 2202 workspace@fd7a:115c::1');
});
