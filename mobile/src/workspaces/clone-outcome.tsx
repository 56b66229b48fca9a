import type { CloneOutcome as Clone } from '@perry/client';
import { StyleSheet, Text, View } from 'react-native';

import { Notice } from '../ui/controls';
import { colors, spacing } from '../ui/theme';

/**
 * The repository a workspace cloned at create: where it is, or (a failed clone leaves the
 * workspace running) git's own words as a warning.
 */
export function CloneOutcome({ clone }: { clone: Clone }) {
  if (clone.error) {
    return (
      <View testID="clone-failed">
        <Notice tone="warning">{`Cloning ${clone.url} failed; the workspace runs without it.\n${clone.error}`}</Notice>
      </View>
    );
  }
  return (
    <View style={styles.card} testID="clone-done">
      <Text style={styles.label}>Repository</Text>
      <Text style={styles.path} selectable>
        {clone.path}
      </Text>
      <Text style={styles.url} selectable numberOfLines={2}>
        from {clone.url}
      </Text>
    </View>
  );
}

const styles = StyleSheet.create({
  card: { backgroundColor: colors.surface, borderRadius: 10, padding: spacing(4), gap: spacing(1) },
  label: { color: colors.muted, fontSize: 13, textTransform: 'uppercase', letterSpacing: 1 },
  path: { color: colors.text, fontFamily: 'monospace', fontSize: 15 },
  url: { color: colors.muted, fontSize: 13 },
});
