import { attentionFirst, errorMessage, sessionKey, sessionSubtitle, sessionTitle, type SessionInfo } from '@perry/client';
import { Stack, useLocalSearchParams, useRouter } from 'expo-router';
import { useState } from 'react';
import { FlatList, Pressable, StyleSheet, Text, View } from 'react-native';

import { formatSeen } from '../../../src/offline/last-known';
import { AGENT_LOOKS, agentName, STATE_LOOKS } from '../../../src/sessions/looks';
import { RenameDialog } from '../../../src/sessions/rename-dialog';
import { useSessions } from '../../../src/sessions/use-sessions';
import { Notice } from '../../../src/ui/controls';
import { colors, spacing } from '../../../src/ui/theme';

const FEED_LABELS = { live: 'Live', connecting: 'Connecting…', polling: 'Updating every 5 s' } as const;

/**
 * The workspace's coding-agent sessions (Claude Code, OpenCode, Codex), live, newest first; touch
 * and hold one to rename it.
 */
export default function SessionsScreen() {
  const { name } = useLocalSearchParams<{ name: string }>();
  const router = useRouter();
  const sessions = useSessions(name);
  const offline = sessions.staleSince !== null;
  const [renamingKey, setRenamingKey] = useState<string | null>(null);
  const renaming = sessions.sessions.find((session) => sessionKey(session) === renamingKey);
  return (
    <View style={styles.screen}>
      <Stack.Screen options={{ title: `${name}: sessions` }} />
      <View style={styles.banner}>
        {offline ? (
          <Notice tone="warning">
            Offline: the sessions as of {formatSeen(sessions.staleSince ?? 0)}. {errorMessage(sessions.error)}
          </Notice>
        ) : sessions.error && sessions.sessions.length === 0 ? (
          <Notice tone="error">{errorMessage(sessions.error)}</Notice>
        ) : (
          <Text style={styles.feed} testID="sessions-feed">
            {FEED_LABELS[sessions.feed]}
          </Text>
        )}
        {!offline && sessions.sessions.length > 0 ? <Text style={styles.feed}>Touch and hold a session to rename it.</Text> : null}
      </View>
      {renaming ? <RenameDialog workspaceName={name} session={renaming} onClose={() => setRenamingKey(null)} /> : null}
      <FlatList<SessionInfo>
        testID="session-list"
        data={attentionFirst(sessions.sessions)}
        keyExtractor={sessionKey}
        refreshing={sessions.isRefetching && !sessions.isLoading}
        onRefresh={sessions.refetch}
        contentContainerStyle={styles.list}
        ListEmptyComponent={
          <Text style={styles.empty}>
            {sessions.isLoading ? 'Loading…' : sessions.error ? '' : 'No sessions yet. Start Claude Code, OpenCode or Codex in a terminal.'}
          </Text>
        }
        renderItem={({ item }) => (
          <Pressable
            accessibilityRole="button"
            accessibilityLabel={`Session ${item.name || item.title || item.sessionId}`}
            style={({ pressed }) => [styles.row, offline && styles.stale, pressed && styles.pressed]}
            onPress={() => router.push({ pathname: '/workspaces/[name]/session', params: { name, id: item.sessionId, agent: item.agent } })}
            onLongPress={offline ? undefined : () => setRenamingKey(sessionKey(item))}
            accessibilityHint="Touch and hold to rename"
          >
            <Text style={styles.title} numberOfLines={2}>
              {sessionTitle(item)}
            </Text>
            {sessionSubtitle(item) ? (
              <Text style={styles.meta} numberOfLines={1}>
                {sessionSubtitle(item)}
              </Text>
            ) : null}
            {item.status ? (
              <Text style={[styles.status, { color: STATE_LOOKS[item.status.state].tint }]} testID={`session-status-${item.sessionId}`} numberOfLines={2}>
                {STATE_LOOKS[item.status.state].label}
                {item.status.state === 'needs_input' && item.status.detail ? `: ${item.status.detail}` : ''}
              </Text>
            ) : null}
            <View style={styles.metaRow}>
              <Text style={[styles.agent, { color: AGENT_LOOKS[item.agent]?.tint ?? colors.muted }]}>{agentName(item.agent)}</Text>
              <Text style={styles.meta}>
                {item.messageCount} messages · {formatSeen(Date.parse(item.lastActivity) || 0)}
              </Text>
            </View>
            {item.projectPath ? (
              <Text style={styles.meta} numberOfLines={1}>
                {item.projectPath}
              </Text>
            ) : null}
          </Pressable>
        )}
      />
    </View>
  );
}

const styles = StyleSheet.create({
  screen: { flex: 1, backgroundColor: colors.background },
  banner: { paddingHorizontal: spacing(4), paddingTop: spacing(3), gap: spacing(1) },
  feed: { color: colors.muted, fontSize: 13 },
  list: { padding: spacing(4), gap: spacing(2) },
  status: { fontSize: 14, fontWeight: '600' },
  empty: { color: colors.muted, textAlign: 'center', marginTop: spacing(10), fontSize: 15 },
  row: { padding: spacing(4), borderRadius: 10, backgroundColor: colors.surface, gap: spacing(1) },
  pressed: { opacity: 0.8 },
  stale: { opacity: 0.6 },
  title: { color: colors.text, fontSize: 16, fontWeight: '600' },
  metaRow: { flexDirection: 'row', gap: spacing(2), alignItems: 'center' },
  agent: { fontSize: 13, fontWeight: '600' },
  meta: { color: colors.muted, fontSize: 13 },
});
