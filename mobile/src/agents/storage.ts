import * as SecureStore from 'expo-secure-store';
import { Platform } from 'react-native';

/** Where the app keeps its agents and their tokens. */
export interface SecretStorage {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
}

/**
 * The device's keychain (iOS) or keystore (Android) through expo-secure-store. In a browser
 * (the web export) there is none: the token stays in this site's localStorage, as the web UI
 * keeps it.
 */
export function deviceStorage(): SecretStorage {
  if (Platform.OS !== 'web') {
    return {
      get: (key) => SecureStore.getItemAsync(key),
      set: (key, value) => SecureStore.setItemAsync(key, value),
    };
  }
  return {
    async get(key) {
      try {
        return globalThis.localStorage?.getItem(key) ?? null;
      } catch {
        return null;
      }
    },
    async set(key, value) {
      try {
        globalThis.localStorage?.setItem(key, value);
      } catch {
        // Storage disabled: the agent works for this visit and is not remembered.
      }
    },
  };
}
