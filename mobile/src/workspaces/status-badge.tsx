import type { WorkspaceStatus } from '@perry/client';
import { StyleSheet, Text, View } from 'react-native';

import { colors } from '../ui/theme';

const tone: Record<WorkspaceStatus, string> = {
  running: colors.success,
  stopped: colors.muted,
  creating: colors.warning,
  error: colors.danger,
  unreachable: colors.warning,
};

/** A workspace's status; `stale` when it is what the agent said last, not what it says now. */
export function StatusBadge({ status, stale = false }: { status: WorkspaceStatus; stale?: boolean }) {
  const color = stale ? colors.muted : tone[status];
  return (
    <View style={[styles.badge, { borderColor: color }]} accessibilityLabel={`status ${status}${stale ? ' (stale)' : ''}`}>
      <View style={[styles.dot, { backgroundColor: color }]} />
      <Text style={[styles.text, { color }]}>{stale ? `${status}?` : status}</Text>
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
