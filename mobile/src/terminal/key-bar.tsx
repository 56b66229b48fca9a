import { Pressable, ScrollView, StyleSheet, Text } from 'react-native';

import { colors, spacing } from '../ui/theme';
import { BAR_KEY_LABELS, BAR_KEYS, type BarKey } from './keys';

/** The keys a phone keyboard lacks, above it: Esc, Ctrl (for the next key), Tab, arrows, | ~ - /. */
export function KeyBar({ ctrl, onKey, onCtrl }: { ctrl: boolean; onKey(key: BarKey): void; onCtrl(): void }) {
  const keys = BAR_KEYS.flatMap((key) => (key === 'tab' ? (['ctrl', key] as const) : [key]));
  return (
    <ScrollView horizontal keyboardShouldPersistTaps="always" style={styles.bar} contentContainerStyle={styles.content}>
      {keys.map((key) =>
        key === 'ctrl' ? (
          <Pressable
            key="ctrl"
            accessibilityRole="button"
            accessibilityLabel="Ctrl"
            accessibilityState={{ selected: ctrl }}
            testID="key-ctrl"
            onPress={onCtrl}
            style={({ pressed }) => [styles.key, ctrl && styles.latched, pressed && styles.pressed]}
          >
            <Text style={[styles.label, ctrl && styles.latchedLabel]}>Ctrl</Text>
          </Pressable>
        ) : (
          <Pressable
            key={key}
            accessibilityRole="button"
            accessibilityLabel={KEY_NAMES[key]}
            testID={`key-${key}`}
            onPress={() => onKey(key)}
            style={({ pressed }) => [styles.key, pressed && styles.pressed]}
          >
            <Text style={styles.label}>{BAR_KEY_LABELS[key]}</Text>
          </Pressable>
        ),
      )}
    </ScrollView>
  );
}

const KEY_NAMES: Record<BarKey, string> = {
  escape: 'Escape',
  tab: 'Tab',
  left: 'Left arrow',
  up: 'Up arrow',
  down: 'Down arrow',
  right: 'Right arrow',
  pipe: 'Pipe',
  tilde: 'Tilde',
  dash: 'Dash',
  slash: 'Slash',
};

const styles = StyleSheet.create({
  bar: { flexGrow: 0, backgroundColor: colors.surface, borderTopWidth: 1, borderTopColor: colors.border },
  content: { paddingHorizontal: spacing(1), paddingVertical: spacing(1), gap: spacing(1) },
  key: {
    minWidth: 44,
    height: 40,
    paddingHorizontal: spacing(2),
    borderRadius: 6,
    backgroundColor: colors.border,
    alignItems: 'center',
    justifyContent: 'center',
  },
  pressed: { opacity: 0.6 },
  latched: { backgroundColor: colors.accent },
  label: { color: colors.text, fontSize: 16, fontFamily: 'monospace' },
  latchedLabel: { color: '#fff' },
});
