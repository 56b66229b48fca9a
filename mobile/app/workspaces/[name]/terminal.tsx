import { Stack, useLocalSearchParams } from 'expo-router';
import { HeaderHeightContext } from 'expo-router/react-navigation';
import { useContext, useEffect, useState } from 'react';
import { Keyboard, KeyboardAvoidingView, Platform, Pressable, StyleSheet, Text, View } from 'react-native';
import { useSafeAreaInsets } from 'react-native-safe-area-context';
import type { ConnectionStatus } from '@perry/client';

import { KeyBar } from '../../../src/terminal/key-bar';
import { RoundTripDot } from '../../../src/terminal/round-trip-dot';
import { TerminalSurface } from '../../../src/terminal/terminal-surface';
import { commandParam, useTerminal } from '../../../src/terminal/use-terminal';
import { colors, spacing } from '../../../src/ui/theme';

/**
 * A terminal into the workspace: a new login shell, a running one (`?terminal=<id>`, its output
 * replayed), or a command (`?cmd=[...]`, e.g. resuming a session). The key bar sits above the
 * keyboard, and the terminal refits when the phone rotates or the keyboard opens. A dot in its
 * corner shows the link's round trip.
 */
export default function TerminalScreen() {
  const params = useLocalSearchParams<{ name: string; terminal?: string; cmd?: string; title?: string }>();
  const insets = useSafeAreaInsets();
  const headerHeight = useContext(HeaderHeightContext) ?? 0;
  const keyboardOpen = useKeyboardOpen();
  const { surface, onMessage, status, roundTrip, localEcho, runsCommand, newShell, retry, ctrl, pressKey, toggleCtrl } = useTerminal({
    workspace: params.name,
    terminalId: params.terminal || null,
    command: commandParam(params.cmd),
  });
  return (
    <KeyboardAvoidingView
      style={styles.screen}
      // Android too: with edge-to-edge (Expo's default) the window no longer resizes for the keyboard.
      behavior={Platform.OS === 'ios' ? 'padding' : 'height'}
      keyboardVerticalOffset={headerHeight}
    >
      <Stack.Screen options={{ title: params.title || `${params.name}: shell` }} />
      <StatusLine status={status} runsCommand={runsCommand} onNewShell={newShell} onRetry={retry} />
      <View style={styles.surface}>
        <TerminalSurface ref={surface} onMessage={onMessage} style={styles.surface} />
        <RoundTripDot status={status} roundTrip={roundTrip} localEcho={localEcho} style={styles.roundTrip} />
      </View>
      {/* Above the keyboard the key bar needs no room for the home indicator. */}
      <View style={{ paddingBottom: keyboardOpen ? 0 : insets.bottom }}>
        <KeyBar ctrl={ctrl} onKey={pressKey} onCtrl={toggleCtrl} />
      </View>
    </KeyboardAvoidingView>
  );
}

function useKeyboardOpen(): boolean {
  const [open, setOpen] = useState(false);
  useEffect(() => {
    const shown = Keyboard.addListener(Platform.OS === 'ios' ? 'keyboardWillShow' : 'keyboardDidShow', () => setOpen(true));
    const hidden = Keyboard.addListener(Platform.OS === 'ios' ? 'keyboardWillHide' : 'keyboardDidHide', () => setOpen(false));
    return () => {
      shown.remove();
      hidden.remove();
    };
  }, []);
  return open;
}

function StatusLine({
  status,
  runsCommand,
  onNewShell,
  onRetry,
}: {
  status: ConnectionStatus;
  runsCommand: boolean;
  onNewShell(): void;
  onRetry(): void;
}) {
  const what = runsCommand ? 'command' : 'shell';
  if (status.kind === 'open') return null;
  const text =
    status.kind === 'connecting'
      ? status.attempt === 0
        ? 'Connecting…'
        : `Reconnecting (attempt ${status.attempt})…`
      : status.kind === 'exited'
        ? status.exitCode === null
          ? `The ${what} has ended.`
          : `The ${what} ended with exit code ${status.exitCode}.`
        : status.kind === 'stopped'
          ? 'The workspace stopped or the agent shut down.'
          : status.message;
  const action =
    status.kind === 'exited' || status.kind === 'stopped'
      ? { title: 'New shell', onPress: onNewShell }
      : status.kind === 'connecting' && status.attempt > 2
        ? { title: 'Retry now', onPress: onRetry }
        : null;
  return (
    <View style={styles.status} accessibilityRole={status.kind === 'connecting' ? 'text' : 'alert'} testID="terminal-status">
      <Text style={styles.statusText}>{text}</Text>
      {action ? (
        <Pressable accessibilityRole="button" onPress={action.onPress} style={styles.statusButton}>
          <Text style={styles.statusButtonText}>{action.title}</Text>
        </Pressable>
      ) : null}
    </View>
  );
}

const styles = StyleSheet.create({
  screen: { flex: 1, backgroundColor: '#0a0a0b' },
  surface: { flex: 1, backgroundColor: '#0a0a0b' },
  roundTrip: { position: 'absolute', top: spacing(1), right: spacing(1) },
  status: {
    flexDirection: 'row',
    alignItems: 'center',
    gap: spacing(3),
    paddingHorizontal: spacing(4),
    paddingVertical: spacing(2),
    backgroundColor: colors.surface,
  },
  statusText: { flex: 1, color: colors.text, fontSize: 14 },
  statusButton: { paddingHorizontal: spacing(3), paddingVertical: spacing(2), borderRadius: 6, backgroundColor: colors.accent },
  statusButtonText: { color: '#fff', fontWeight: '600' },
});
