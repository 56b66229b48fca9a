import { errorMessage, type WorkspaceSyncResult } from '@perry/client';
import { ScrollView, StyleSheet, Text, View } from 'react-native';

import { Button, Notice } from '../ui/controls';
import { colors, spacing } from '../ui/theme';
import { syncOutcome } from './rules';

/**
 * After a save: what changed, and "Apply to running workspaces" (stopped ones get the settings
 * when they start); after applying, each running workspace with ✓ or ✗ and what failed.
 */
export function ApplyBar({
  changes,
  results,
  busy,
  error,
  onApply,
  onDismiss,
}: {
  /** What was saved since the last apply, e.g. "API_URL set". */
  changes: string[];
  results: WorkspaceSyncResult[] | undefined;
  busy: boolean;
  error: unknown;
  onApply(): void;
  onDismiss(): void;
}) {
  return (
    <View style={styles.bar} testID="apply-bar">
      {results && changes.length === 0 ? (
        <ScrollView style={styles.results} testID="apply-results">
          <Text style={styles.heading}>Applied to running workspaces</Text>
          {results.length === 0 ? <Text style={styles.text}>No workspace is running; each gets the settings when it starts.</Text> : null}
          {results.map((result) => {
            const outcome = syncOutcome(result);
            return (
              <View key={result.name} style={styles.result} accessibilityLabel={`${result.name} ${outcome.ok ? 'applied' : 'failed'}`} testID={`applied-${result.name}`}>
                <Text style={[styles.mark, { color: outcome.ok ? colors.success : colors.danger }]}>{outcome.ok ? '✓' : '✗'}</Text>
                <View style={styles.resultMain}>
                  <Text style={styles.name}>{result.name}</Text>
                  {outcome.problems.map((problem) => (
                    <Text key={problem} style={styles.problem}>
                      {problem}
                    </Text>
                  ))}
                </View>
              </View>
            );
          })}
        </ScrollView>
      ) : (
        <Text style={styles.text} testID="apply-changes">
          Saved: {changes.join(', ')}. Running workspaces get it when you apply it; stopped ones when they start.
        </Text>
      )}
      {error ? <Notice tone="error">{errorMessage(error)}</Notice> : null}
      {results && changes.length === 0 ? (
        <Button title="Done" kind="secondary" onPress={onDismiss} testID="apply-dismiss" />
      ) : (
        <View style={styles.buttons}>
          <View style={styles.grow}>
            <Button title="Apply to running workspaces" onPress={onApply} busy={busy} testID="apply" />
          </View>
          <Button title="Later" kind="secondary" onPress={onDismiss} disabled={busy} testID="apply-dismiss" />
        </View>
      )}
    </View>
  );
}

const styles = StyleSheet.create({
  bar: {
    padding: spacing(4),
    gap: spacing(3),
    borderTopWidth: 1,
    borderTopColor: colors.border,
    backgroundColor: colors.surface,
  },
  results: { maxHeight: 220 },
  heading: { color: colors.text, fontSize: 15, fontWeight: '700', marginBottom: spacing(2) },
  text: { color: colors.muted, fontSize: 14, lineHeight: 20 },
  result: { flexDirection: 'row', alignItems: 'flex-start', gap: spacing(3), paddingVertical: spacing(1) },
  mark: { fontSize: 15, lineHeight: 20, fontWeight: '700', width: 18 },
  resultMain: { flex: 1, gap: 2 },
  name: { color: colors.text, fontSize: 15, lineHeight: 20, fontWeight: '600' },
  problem: { color: colors.danger, fontSize: 13 },
  buttons: { flexDirection: 'row', gap: spacing(2) },
  grow: { flex: 1 },
});
