/** Where the browser keeps the agent's token between visits. */
export const TOKEN_STORAGE_KEY = 'perry.token';

/** The part of `Storage` the token needs, so tests can pass a Map-backed fake. */
export type TokenStorage = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

export function readStoredToken(storage: TokenStorage): string | null {
  try {
    return storage.getItem(TOKEN_STORAGE_KEY);
  } catch {
    return null;
  }
}

export function storeToken(storage: TokenStorage, token: string): void {
  try {
    storage.setItem(TOKEN_STORAGE_KEY, token);
  } catch {
    // Storage disabled: the token still works for this page, it just is not remembered.
  }
}

export function clearStoredToken(storage: TokenStorage): void {
  try {
    storage.removeItem(TOKEN_STORAGE_KEY);
  } catch {
    // Nothing was stored then.
  }
}

/**
 * Signs in from the URL the agent prints (`/?token=…`): stores the token and removes it from the
 * address bar, so it does not linger in history, bookmarks or screenshots. Other query parameters
 * and the hash stay. Returns the token, or null when the URL carried none.
 */
export function consumeTokenFromUrl(
  location: Pick<Location, 'href'>,
  history: Pick<History, 'replaceState' | 'state'>,
  storage: TokenStorage,
): string | null {
  const url = new URL(location.href);
  const token = url.searchParams.get('token');
  if (token === null) return null;
  url.searchParams.delete('token');
  history.replaceState(history.state, '', url.pathname + url.search + url.hash);
  const trimmed = token.trim();
  if (trimmed === '') return null;
  storeToken(storage, trimmed);
  return trimmed;
}
