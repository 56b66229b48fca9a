import AsyncStorage from '@react-native-async-storage/async-storage';
import * as SecureStore from 'expo-secure-store';
import { Platform } from 'react-native';

/** Strings under keys, kept on the device. */
export interface KeyValueStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
}

/**
 * Where agents and their tokens are kept: the device's keychain (iOS) or keystore (Android)
 * through expo-secure-store. In a browser (the web export) there is none: the token stays in
 * this site's localStorage, as the web UI keeps it.
 */
export function deviceSecrets(): KeyValueStore {
  if (Platform.OS !== 'web') {
    return {
      get: (key) => SecureStore.getItemAsync(key),
      set: (key, value) => SecureStore.setItemAsync(key, value),
    };
  }
  return deviceCache();
}

/**
 * Where what the agents last said is kept for when they cannot be reached (AsyncStorage:
 * localStorage in a browser). Nothing secret goes here.
 */
export function deviceCache(): KeyValueStore {
  return {
    get: (key) => AsyncStorage.getItem(key).catch(() => null),
    async set(key, value) {
      try {
        await AsyncStorage.setItem(key, value);
      } catch {
        // A full or disabled store: the app works, it just cannot show this when offline.
      }
    },
  };
}
