import { createContext, useContext, useSyncExternalStore, type ReactNode } from 'react';

import type { AuthState, AuthStore } from './auth-store';

const AuthStoreContext = createContext<AuthStore | null>(null);

export function AuthProvider({ store, children }: { store: AuthStore; children: ReactNode }) {
  return <AuthStoreContext.Provider value={store}>{children}</AuthStoreContext.Provider>;
}

export function useAuthStore(): AuthStore {
  const store = useContext(AuthStoreContext);
  if (!store) throw new Error('useAuth needs an <AuthProvider>');
  return store;
}

export function useAuth(): AuthState & Pick<AuthStore, 'signIn' | 'signOut' | 'refused' | 'rotate'> {
  const store = useAuthStore();
  const state = useSyncExternalStore(store.subscribe, store.getSnapshot);
  return { ...state, signIn: store.signIn, signOut: store.signOut, refused: store.refused, rotate: store.rotate };
}
