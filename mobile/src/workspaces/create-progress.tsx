import type { WorkspaceProgress } from '@perry/client';
import { StyleSheet, Text, View } from 'react-native';

import { colors } from '../ui/theme';

/** What a create under way is doing: its step, and a bar when the agent can tell how far it is. */
export function CreateProgress({ progress: { step, percent }, name }: { progress: WorkspaceProgress; name: string }) {
  const shown = percent === undefined ? undefined : Math.max(0, Math.min(100, Math.round(percent)));
  // The agent's steps are lower-case words ("copying", "pausing alpha").
  const said = step.charAt(0).toUpperCase() + step.slice(1);
  return (
    <View style={styles.progress} testID={`progress-${name}`}>
      <Text style={styles.step} numberOfLines={2}>
        {shown === undefined ? `${said}…` : `${said} · ${shown}%`}
      </Text>
      {shown === undefined ? null : (
        <View
          style={styles.track}
          accessible
          accessibilityRole="progressbar"
          accessibilityValue={{ min: 0, max: 100, now: shown }}
          accessibilityLabel={said}
        >
          <View style={[styles.fill, { width: `${shown}%` }]} />
        </View>
      )}
    </View>
  );
}

const styles = StyleSheet.create({
  progress: { gap: 4, paddingTop: 2 },
  step: { color: colors.warning, fontSize: 13 },
  track: { height: 4, borderRadius: 2, backgroundColor: colors.border, overflow: 'hidden' },
  fill: { height: 4, backgroundColor: colors.warning },
});
