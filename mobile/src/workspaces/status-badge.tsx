import type { WorkspaceStatus } from '@perry/client';
import { StyleSheet, Text, View } from 'react-native';

import { colors } from '../ui/theme';

const tone: Record<WorkspaceStatus, string> = {
  running: colors.success,
  stopped: colors.muted,
  creating: colors.warning,
  error: colors.danger,
};

export function StatusBadge({ status }: { status: WorkspaceStatus }) {
  return (
    <View style={[styles.badge, { borderColor: tone[status] }]} accessibilityLabel={`status ${status}`}>
      <View style={[styles.dot, { backgroundColor: tone[status] }]} />
      <Text style={[styles.text, { color: tone[status] }]}>{status}</Text>
    </View>
  );
}

const styles = StyleSheet.create({
  badge: {
    flexDirection: 'row',
    alignItems: 'center',
    gap: 6,
    borderWidth: 1,
    borderRadius: 999,
    paddingHorizontal: 10,
    paddingVertical: 3,
    alignSelf: 'flex-start',
  },
  dot: { width: 8, height: 8, borderRadius: 4 },
  text: { fontSize: 13, fontWeight: '600' },
});
