import { clearStoredToken, readStoredToken, storeToken, type TokenStorage } from './token-store';

export interface AuthState {
  /** The bearer token; '' when the agent runs without auth; null when signed out. */
  token: string | null;
  /** Why the user is looking at the login page, when it was not their own choice. */
  notice: string | null;
}

export interface AuthStore {
  getSnapshot(): AuthState;
  subscribe(listener: () => void): () => void;
  signIn(token: string): void;
  signOut(notice?: string | null): void;
}

export const TOKEN_REFUSED_NOTICE = 'That token was refused by the agent. Paste its current token to sign in again.';

/**
 * The signed-in state, outside React so the QueryClient's global 401 handler can sign out
 * without a component in between. Components read it with `useAuth()`.
 */
export function createAuthStore(storage: TokenStorage, initialToken: string | null = readStoredToken(storage)): AuthStore {
  let state: AuthState = { token: initialToken, notice: null };
  const listeners = new Set<() => void>();
  const set = (next: AuthState) => {
    state = next;
    for (const listener of listeners) listener();
  };
  return {
    getSnapshot: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    signIn(token) {
      storeToken(storage, token);
      set({ token, notice: null });
    },
    signOut(notice = null) {
      clearStoredToken(storage);
      if (state.token === null && state.notice === notice) return;
      set({ token: null, notice });
    },
  };
}
