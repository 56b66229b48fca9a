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
  /**
   * Something the agent refused: a call answered 401 (`token` undefined: not known which), or a
   * socket opened with `token` that the agent closed with 4001. Signs out with `notice`, but only
   * when the agent refuses the token the page holds now: a refusal of a token the page has moved
   * on from, or one heard while the page rotates its own token, signs no one out.
   */
  refused(token?: string | null, notice?: string): void;
  /**
   * Replaces the token through `rotate` (the agent's `settings.rotateToken`, asked with the old
   * one) and keeps the new one; refusals of the old token meanwhile are expected.
   */
  rotate(rotate: () => Promise<string>): Promise<string>;
}

export const TOKEN_REFUSED_NOTICE = 'That token was refused by the agent. Paste its current token to sign in again.';
export const TOKEN_ROTATED_NOTICE = 'The agent’s token was changed (rotated). Paste the new token to sign in again.';

export interface AuthStoreOptions {
  /** The token to start with (default: the stored one). */
  initialToken?: string | null;
  /**
   * Asks the agent whether it accepts `token` (resolves false when it answers 401; rejects when
   * it cannot tell). Without it, every refusal of the current token signs out at once.
   */
  checkToken?: (token: string) => Promise<boolean>;
}

/**
 * The signed-in state, outside React so the QueryClient's global 401 handler can sign out
 * without a component in between. Components read it with `useAuth()`.
 */
export function createAuthStore(storage: TokenStorage, options: AuthStoreOptions = {}): AuthStore {
  const { checkToken } = options;
  let state: AuthState = { token: options.initialToken === undefined ? readStoredToken(storage) : options.initialToken, notice: null };
  const listeners = new Set<() => void>();
  /** Resolves true once a rotation under way kept its new token, false when it failed. */
  let rotation: Promise<boolean> | null = null;
  /** The token being checked now, so a burst of refusals asks the agent once. */
  let checking: string | null = null;

  const set = (next: AuthState) => {
    state = next;
    for (const listener of listeners) listener();
  };

  const signIn = (token: string) => {
    storeToken(storage, token);
    set({ token, notice: null });
  };

  const signOut = (notice: string | null = null) => {
    clearStoredToken(storage);
    if (state.token === null && state.notice === notice) return;
    set({ token: null, notice });
  };

  /** Signs out if the agent refuses the token the page holds now. */
  const check = (notice: string) => {
    const token = state.token;
    if (token === null || checking === token) return;
    if (!checkToken) {
      signOut(notice);
      return;
    }
    checking = token;
    checkToken(token).then(
      (accepted) => {
        if (!accepted && state.token === token) signOut(notice);
      },
      // Cannot tell (the agent is unreachable): stay; the next refusal asks again.
      () => undefined,
    ).finally(() => {
      if (checking === token) checking = null;
    });
  };

  return {
    getSnapshot: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    signIn,
    signOut,
    refused(token, notice = TOKEN_REFUSED_NOTICE) {
      if (token !== undefined && token !== state.token) return;
      if (rotation) {
        // The old token dies with the rotation: only a failed rotation leaves something to check.
        void rotation.then((kept) => {
          if (!kept) check(notice);
        });
        return;
      }
      check(notice);
    },
    async rotate(rotate) {
      let settle: (kept: boolean) => void = () => undefined;
      const current = new Promise<boolean>((resolve) => (settle = resolve));
      rotation = current;
      try {
        const token = await rotate();
        signIn(token);
        settle(true);
        return token;
      } catch (error) {
        settle(false);
        throw error;
      } finally {
        if (rotation === current) rotation = null;
      }
    },
  };
}
