import { describe, expect, it } from 'vitest';

import { signInUrl } from './phone-qr';

describe('signInUrl', () => {
  it('is the origin with the token, encoded', () => {
    expect(signInUrl('http://devbox:7391', 'ab+c/d')).toBe('http://devbox:7391/?token=ab%2Bc%2Fd');
  });

  it('is the bare origin when the agent runs without a token', () => {
    expect(signInUrl('http://devbox:7391', '')).toBe('http://devbox:7391/');
    expect(signInUrl('http://devbox:7391', null)).toBe('http://devbox:7391/');
  });
});
