import type { LogSource } from '@perry/client';
import { Pressable, StyleSheet, Text, View } from 'react-native';

import { colors, spacing } from '../ui/theme';

const SOURCES: { source: LogSource; title: string }[] = [
  { source: 'container', title: 'Container' },
  { source: 'build', title: 'Build' },
];

/** Which log of a workspace shows: its container's output, or its last image build's. */
export function LogSourceSwitch({ source, onChange }: { source: LogSource; onChange(source: LogSource): void }) {
  return (
    <View accessibilityRole="tablist" style={styles.switch}>
      {SOURCES.map((item) => {
        const selected = item.source === source;
        return (
          <Pressable
            key={item.source}
            accessibilityRole="tab"
            accessibilityState={{ selected }}
            onPress={() => onChange(item.source)}
            style={({ pressed }) => [styles.tab, selected && styles.selected, pressed && styles.pressed]}
            testID={`log-source-${item.source}`}
          >
            <Text style={[styles.title, selected && styles.selectedTitle]}>{item.title}</Text>
          </Pressable>
        );
      })}
    </View>
  );
}

const styles = StyleSheet.create({
  switch: {
    flexDirection: 'row',
    margin: spacing(3),
    marginBottom: 0,
    padding: 3,
    gap: 3,
    borderRadius: 10,
    backgroundColor: colors.surface,
    borderWidth: 1,
    borderColor: colors.border,
  },
  tab: { flex: 1, minHeight: 40, alignItems: 'center', justifyContent: 'center', borderRadius: 8 },
  selected: { backgroundColor: colors.accent },
  pressed: { opacity: 0.8 },
  title: { color: colors.muted, fontWeight: '600', fontSize: 15 },
  selectedTitle: { color: colors.text },
});
