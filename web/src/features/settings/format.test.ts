import { ORPCError } from '@perry/client';
import { describe, expect, it } from 'vitest';

import { formErrors } from './form-errors';
import { secretSummary, shortPublicKey } from './format';

describe('secretSummary', () => {
  const now = Date.parse('2026-12-05T12:00:00Z');
  it('says when the agent set it and its fingerprint, never a value', () => {
    expect(secretSummary({ setAt: '2026-12-05T11:57:00Z', fingerprint: '2bb80d53' }, now)).toBe('set 3 minutes ago · fingerprint 2bb80d53');
  });
  it('says a secret without a time was written into config.json by hand', () => {
    expect(secretSummary({ fingerprint: '2bb80d53' }, now)).toBe('set by hand in config.json · fingerprint 2bb80d53');
  });
});

describe('shortPublicKey', () => {
  it('keeps the type and comment and shortens the blob', () => {
    expect(shortPublicKey('ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBZ0VEPqHSH me@laptop home')).toEqual({
      keyType: 'ssh-ed25519',
      blob: 'AAAAC3NzaC1l…0VEPqHSH',
      comment: 'me@laptop home',
    });
    expect(shortPublicKey('ssh-rsa AAAA').blob).toBe('AAAA');
  });
});

describe('formErrors', () => {
  const refused = (issues: { message: string; path: string[] }[]) =>
    new ORPCError('BAD_REQUEST', { status: 400, message: issues[0]?.message ?? 'Input validation failed', data: { issues } });

  it('puts the agent’s words beside the field it names', () => {
    expect(formErrors(refused([{ message: '"1X" is not a variable name', path: ['name'] }]), ['name', 'value'])).toEqual({
      fields: { name: '"1X" is not a variable name' },
      general: null,
    });
  });
  it('gives the form what names no field of it, and an error without issues as a whole', () => {
    expect(formErrors(refused([{ message: 'Give a command or a url', path: ['server'] }]), ['name'])).toEqual({ fields: {}, general: 'Give a command or a url' });
    expect(formErrors(new ORPCError('CONFLICT', { status: 409, message: 'A skill named "x" exists already' }), ['name'])).toEqual({
      fields: {},
      general: 'A skill named "x" exists already',
    });
  });
  it('is null without an error', () => {
    expect(formErrors(null, ['name'])).toBeNull();
  });
});
