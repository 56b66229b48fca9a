import { describe, expect, it, vi } from 'vitest';

import { memoryStorage } from '@/test/memory-storage';

import { createAuthStore, TOKEN_ROTATED_NOTICE } from './auth-store';
import { readStoredToken, TOKEN_STORAGE_KEY } from './token-store';

/** Lets the promise callbacks queued so far run (no clock involved). */
const settle = () => new Promise((done) => setTimeout(done, 0));

/** A store signed in with `old`, whose agent accepts only the tokens in `accepted`. */
function signedIn(accepted: string[]) {
  const storage = memoryStorage({ [TOKEN_STORAGE_KEY]: 'old' });
  const checkToken = vi.fn(async (token: string) => accepted.includes(token));
  return { storage, checkToken, store: createAuthStore(storage, { checkToken }) };
}

describe('a refused token', () => {
  it('signs out with the notice when the agent refuses the token the page holds', async () => {
    const { store, storage, checkToken } = signedIn([]);
    store.refused('old', TOKEN_ROTATED_NOTICE);
    await settle();
    expect(checkToken).toHaveBeenCalledWith('old');
    expect(store.getSnapshot()).toEqual({ token: null, notice: TOKEN_ROTATED_NOTICE });
    expect(readStoredToken(storage)).toBeNull();
  });

  it('stays signed in when the agent still accepts it (a call of a moment ago)', async () => {
    const { store } = signedIn(['old']);
    store.refused();
    await settle();
    expect(store.getSnapshot().token).toBe('old');
  });

  it('ignores a socket of a token the page has moved on from, without asking', async () => {
    const { store, checkToken } = signedIn([]);
    store.refused('older');
    await settle();
    expect(checkToken).not.toHaveBeenCalled();
    expect(store.getSnapshot().token).toBe('old');
  });

  it('asks the agent once for a burst of refusals', async () => {
    const { store, checkToken } = signedIn([]);
    store.refused('old');
    store.refused();
    store.refused('old');
    await settle();
    expect(checkToken).toHaveBeenCalledTimes(1);
  });

  it('stays signed in when the agent cannot be asked', async () => {
    const storage = memoryStorage({ [TOKEN_STORAGE_KEY]: 'old' });
    const store = createAuthStore(storage, { checkToken: () => Promise.reject(new TypeError('offline')) });
    store.refused('old');
    await settle();
    expect(store.getSnapshot().token).toBe('old');
  });
});

describe('rotating the token', () => {
  it('keeps the new token, and the old one’s sockets closing meanwhile sign no one out', async () => {
    const { store, storage, checkToken } = signedIn(['new']);
    let answer: (token: string) => void = () => undefined;
    const rotated = store.rotate(() => new Promise<string>((resolve) => (answer = resolve)));
    // The agent closes the old token's sockets (4001) before its reply arrives.
    store.refused('old', TOKEN_ROTATED_NOTICE);
    store.refused();
    answer('new');
    await expect(rotated).resolves.toBe('new');
    await settle();
    expect(store.getSnapshot()).toEqual({ token: 'new', notice: null });
    expect(readStoredToken(storage)).toBe('new');
    expect(checkToken).not.toHaveBeenCalled();
    // A late refusal of the old token changes nothing either.
    store.refused('old');
    await settle();
    expect(store.getSnapshot().token).toBe('new');
  });

  it('a failed rotation checks the refusals heard meanwhile', async () => {
    const { store, checkToken } = signedIn([]);
    let fail: (error: Error) => void = () => undefined;
    const rotated = store.rotate(() => new Promise<string>((_resolve, reject) => (fail = reject)));
    store.refused('old');
    fail(new Error('refused'));
    await expect(rotated).rejects.toThrow('refused');
    await settle();
    expect(checkToken).toHaveBeenCalledWith('old');
    expect(store.getSnapshot().token).toBeNull();
  });
});
