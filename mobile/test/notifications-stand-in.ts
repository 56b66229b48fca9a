// expo-notifications as the app uses it, for jest (its native side is not here): records what
// the app shows, and `tap` delivers a tap on a notification as the phone would.

export interface ShownNotification {
  identifier: string;
  content: { title: string; body: string; data: Record<string, unknown> };
}

type ResponseListener = (response: { notification: { request: { content: { data: Record<string, unknown> } } } }) => void;

export const shown: ShownNotification[] = [];
const listeners = new Set<ResponseListener>();

export function tap(data: Record<string, unknown>): void {
  for (const listener of listeners) listener({ notification: { request: { content: { data } } } });
}

export function setNotificationHandler(): void {}

export async function getPermissionsAsync() {
  return { granted: true, canAskAgain: true };
}

export async function requestPermissionsAsync() {
  return { granted: true, canAskAgain: true };
}

export async function scheduleNotificationAsync(request: ShownNotification): Promise<string> {
  shown.push(request);
  return request.identifier;
}

export function addNotificationResponseReceivedListener(listener: ResponseListener) {
  listeners.add(listener);
  return { remove: () => listeners.delete(listener) };
}
