import { describe, expect, it, vi } from 'vitest';

import { memoryStorage } from '@/test/memory-storage';

import { createAuthStore } from './auth-store';
import { consumeTokenFromUrl, readStoredToken, TOKEN_STORAGE_KEY } from './token-store';

function fakeHistory() {
  return { state: { idx: 3 }, replaceState: vi.fn() };
}

describe('consumeTokenFromUrl', () => {
  it('stores the token from the query and removes it from the address bar', () => {
    const storage = memoryStorage();
    const history = fakeHistory();
    const token = consumeTokenFromUrl({ href: 'http://box:7391/?token=s3cret' }, history, storage);
    expect(token).toBe('s3cret');
    expect(storage.getItem(TOKEN_STORAGE_KEY)).toBe('s3cret');
    expect(history.replaceState).toHaveBeenCalledTimes(1);
    expect(history.replaceState).toHaveBeenCalledWith({ idx: 3 }, '', '/');
  });

  it('keeps the path, the other query parameters and the hash', () => {
    const history = fakeHistory();
    consumeTokenFromUrl({ href: 'http://box:7391/workspaces/alpha/terminal?x=1&token=abc&y=2#here' }, history, memoryStorage());
    expect(history.replaceState).toHaveBeenCalledWith(expect.anything(), '', '/workspaces/alpha/terminal?x=1&y=2#here');
  });

  it('decodes a URL-encoded token', () => {
    const storage = memoryStorage();
    consumeTokenFromUrl({ href: 'http://box/?token=a%2Bb%3D' }, fakeHistory(), storage);
    expect(readStoredToken(storage)).toBe('a+b=');
  });

  it('leaves the URL and storage alone when there is no token', () => {
    const storage = memoryStorage({ [TOKEN_STORAGE_KEY]: 'old' });
    const history = fakeHistory();
    expect(consumeTokenFromUrl({ href: 'http://box/workspaces?tab=1' }, history, storage)).toBeNull();
    expect(history.replaceState).not.toHaveBeenCalled();
    expect(readStoredToken(storage)).toBe('old');
  });

  it('removes an empty token from the URL without storing it', () => {
    const storage = memoryStorage({ [TOKEN_STORAGE_KEY]: 'old' });
    const history = fakeHistory();
    expect(consumeTokenFromUrl({ href: 'http://box/?token=' }, history, storage)).toBeNull();
    expect(history.replaceState).toHaveBeenCalledWith(expect.anything(), '', '/');
    expect(readStoredToken(storage)).toBe('old');
  });
});

describe('createAuthStore', () => {
  it('starts signed in with the stored token', () => {
    const store = createAuthStore(memoryStorage({ [TOKEN_STORAGE_KEY]: 'abc' }));
    expect(store.getSnapshot()).toEqual({ token: 'abc', notice: null });
  });

  it('signs out: clears the stored token, keeps the notice and tells subscribers', () => {
    const storage = memoryStorage({ [TOKEN_STORAGE_KEY]: 'abc' });
    const store = createAuthStore(storage);
    const listener = vi.fn();
    store.subscribe(listener);
    store.signOut('refused');
    expect(store.getSnapshot()).toEqual({ token: null, notice: 'refused' });
    expect(readStoredToken(storage)).toBeNull();
    expect(listener).toHaveBeenCalledTimes(1);
  });

  it('signs in: stores the token and clears the notice', () => {
    const storage = memoryStorage();
    const store = createAuthStore(storage);
    store.signOut('refused');
    store.signIn('new');
    expect(store.getSnapshot()).toEqual({ token: 'new', notice: null });
    expect(readStoredToken(storage)).toBe('new');
  });
});
