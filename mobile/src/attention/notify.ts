// Local notifications for the phone app: a coding agent needs the person (or is done) while the
// app is in the background. Through expo-notifications on iOS and Android; the app's web build
// has none (the web UI, which the agent serves, notifies through its own service worker).

import type { StatusAlert } from '@perry/client';
import * as Notifications from 'expo-notifications';
import { Platform } from 'react-native';

/** Where a notification leads: the session, on the agent it is on. */
export interface SessionTarget {
  agentUrl: string;
  workspace: string;
  sessionId: string;
  codingAgent: string;
}

const supported = Platform.OS === 'ios' || Platform.OS === 'android';

if (supported) {
  // Shown even when it arrives as the app comes to the front.
  Notifications.setNotificationHandler({
    handleNotification: async () => ({ shouldShowBanner: true, shouldShowList: true, shouldPlaySound: true, shouldSetBadge: false }),
  });
}

/** Asks, once, whether Perry may notify; true when it may. */
export async function ensurePermission(): Promise<boolean> {
  if (!supported) return false;
  try {
    const current = await Notifications.getPermissionsAsync();
    if (current.granted) return true;
    if (!current.canAskAgain) return false;
    return (await Notifications.requestPermissionsAsync()).granted;
  } catch {
    return false;
  }
}

/** Shows `alert` now; a newer one about the same session replaces it. */
export async function showLocal(alert: StatusAlert, target: SessionTarget): Promise<void> {
  if (!supported) return;
  await Notifications.scheduleNotificationAsync({
    identifier: alert.tag,
    content: { title: alert.title, body: alert.body, data: { ...target } },
    trigger: null,
  });
}

/** Calls `open` with the session of each notification the person taps. */
export function onNotificationTap(open: (target: SessionTarget) => void): () => void {
  if (!supported) return () => undefined;
  const subscription = Notifications.addNotificationResponseReceivedListener((response) => {
    const data = response.notification.request.content.data as Partial<SessionTarget> | undefined;
    if (data?.agentUrl && data.workspace && data.sessionId && data.codingAgent) {
      open({ agentUrl: data.agentUrl, workspace: data.workspace, sessionId: data.sessionId, codingAgent: data.codingAgent });
    }
  });
  return () => subscription.remove();
}
