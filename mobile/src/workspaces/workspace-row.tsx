import type { Workspace } from '@perry/client';
import { Pressable, StyleSheet, Text, View } from 'react-native';

import { useWaitingCount } from '../attention/attention-context';
import { relativeTime, useNow } from '../ui/relative-time';
import { colors, spacing } from '../ui/theme';
import { CreateProgress } from './create-progress';
import { StatusBadge } from './status-badge';

/**
 * One workspace in a list: its name, SSH port, when a terminal or session was last opened in it,
 * its status (with the step and percent of a create under way), and how many of its sessions
 * need the person (on the agent at `agentUrl`); `stale` when it is what the agent said last, not
 * what it says now. `label` names it for screen readers (and tests).
 */
export function WorkspaceRow({
  workspace,
  agentUrl,
  label,
  stale = false,
  onPress,
}: {
  workspace: Workspace;
  agentUrl: string | undefined;
  label: string;
  stale?: boolean;
  onPress: () => void;
}) {
  const waiting = useWaitingCount(agentUrl, workspace.name);
  const now = useNow();
  const progress = workspace.status === 'creating' ? workspace.progress : undefined;
  return (
    <Pressable accessibilityRole="button" accessibilityLabel={label} style={({ pressed }) => [styles.row, stale && styles.stale, pressed && styles.pressed]} onPress={onPress}>
      <View style={styles.rowMain}>
        <Text style={styles.name}>{workspace.name}</Text>
        <Text style={styles.meta}>{workspace.ports.ssh ? `ssh port ${workspace.ports.ssh}` : 'no ssh port'}</Text>
        {workspace.lastUsed ? (
          <Text style={styles.meta} testID={`last-used-${workspace.name}`}>
            Used {relativeTime(workspace.lastUsed, now)}
          </Text>
        ) : null}
        {progress ? <CreateProgress progress={progress} name={workspace.name} /> : null}
      </View>
      {waiting > 0 && (
        <Text style={styles.waiting} accessibilityLabel={waiting === 1 ? '1 session needs you' : `${waiting} sessions need you`}>
          {`🔔 ${waiting}`}
        </Text>
      )}
      <StatusBadge status={workspace.status} stale={stale} />
    </Pressable>
  );
}

const styles = StyleSheet.create({
  row: {
    flexDirection: 'row',
    alignItems: 'center',
    padding: spacing(4),
    borderRadius: 10,
    backgroundColor: colors.surface,
    gap: spacing(3),
  },
  pressed: { opacity: 0.8 },
  stale: { opacity: 0.6 },
  rowMain: { flex: 1, gap: 2 },
  name: { color: colors.text, fontSize: 17, fontWeight: '600' },
  meta: { color: colors.muted, fontSize: 13 },
  waiting: {
    color: colors.warning,
    borderColor: colors.warning,
    borderWidth: 1,
    borderRadius: 999,
    paddingHorizontal: 8,
    paddingVertical: 2,
    fontSize: 13,
    fontWeight: '600',
    overflow: 'hidden',
  },
});
