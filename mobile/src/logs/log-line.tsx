import type { LogLine } from '@perry/client';
import { memo } from 'react';
import { StyleSheet, Text, View } from 'react-native';

import { colors, spacing } from '../ui/theme';

/** A log time (RFC 3339, nanoseconds) as the phone's local HH:MM:SS, or '' when unreadable. */
export function clockTime(time: string): string {
  // Some JavaScript engines refuse more than three digits of a second.
  const date = new Date(time.replace(/(\.\d{3})\d+/, '$1'));
  if (Number.isNaN(date.getTime())) return '';
  const two = (value: number) => String(value).padStart(2, '0');
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}

/** One line of a container's log: its time, and stderr marked in the margin and in colour. */
export const LogLineRow = memo(function LogLineRow({ line }: { line: LogLine }) {
  const stderr = line.stream === 'stderr';
  return (
    <View style={[styles.row, stderr && styles.stderrRow]} accessibilityLabel={stderr ? `stderr: ${line.text}` : undefined}>
      <Text style={styles.time}>{clockTime(line.time)}</Text>
      <Text selectable style={[styles.text, stderr && styles.stderrText]} testID={stderr ? 'log-stderr' : 'log-stdout'}>
        {line.text === '' ? ' ' : line.text}
      </Text>
    </View>
  );
});

const styles = StyleSheet.create({
  row: {
    flexDirection: 'row',
    gap: spacing(2),
    paddingVertical: 1,
    paddingLeft: spacing(2),
    paddingRight: spacing(3),
    borderLeftWidth: 3,
    borderLeftColor: 'transparent',
  },
  stderrRow: { borderLeftColor: colors.danger, backgroundColor: 'rgba(242, 95, 92, 0.08)' },
  time: { color: colors.muted, fontFamily: 'monospace', fontSize: 11, lineHeight: 18, opacity: 0.8 },
  text: { flex: 1, color: colors.text, fontFamily: 'monospace', fontSize: 13, lineHeight: 18 },
  // Only a tint: many programs (the workspace's entrypoint too) say ordinary things on stderr.
  stderrText: { color: '#ffd7d6' },
});
