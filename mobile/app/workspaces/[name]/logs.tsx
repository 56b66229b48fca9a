import { errorMessage, mayHaveBuildLog, type LogLine, type LogSource } from '@perry/client';
import { Stack, useLocalSearchParams } from 'expo-router';
import { useRef, useState } from 'react';
import { FlatList, Pressable, StyleSheet, Text, View, type NativeScrollEvent, type NativeSyntheticEvent } from 'react-native';
import { useSafeAreaInsets } from 'react-native-safe-area-context';

import { LogLineRow } from '../../../src/logs/log-line';
import { LogSourceSwitch } from '../../../src/logs/log-source-switch';
import { LOG_TAIL, useWorkspaceLogs } from '../../../src/logs/use-logs';
import { Notice } from '../../../src/ui/controls';
import { colors, spacing } from '../../../src/ui/theme';
import { useWorkspaces } from '../../../src/workspaces/use-workspaces';

/** How close to the end (in points) still counts as reading the end, so new lines scroll in. */
const AT_END_SLACK = 48;

/**
 * A workspace container's log (its entrypoint, dockerd, sshd and the post-start scripts), followed
 * as it grows; for a workspace from a repository, its last image build's log beside it (`log`
 * `build` opens that one). The view stays at the end while the person is there; scrolled up, it
 * stays put and a button brings them back.
 */
export default function LogsScreen() {
  const { name, log } = useLocalSearchParams<{ name: string; log?: string }>();
  const [source, setSource] = useState<LogSource>(log === 'build' ? 'build' : 'container');
  const workspace = useWorkspaces().workspaces.find((candidate) => candidate.name === name);
  const logs = useWorkspaceLogs(name, source);
  const list = useRef<FlatList<LogLine>>(null);
  const [following, setFollowing] = useState(true);
  const insets = useSafeAreaInsets();

  function scrolled(event: NativeSyntheticEvent<NativeScrollEvent>) {
    const { contentOffset, contentSize, layoutMeasurement } = event.nativeEvent;
    setFollowing(contentOffset.y + layoutMeasurement.height >= contentSize.height - AT_END_SLACK);
  }

  return (
    <View style={styles.screen}>
      <Stack.Screen options={{ title: `${name}: ${source === 'build' ? 'build log' : 'log'}` }} />
      {source === 'build' || (workspace && mayHaveBuildLog(workspace)) ? (
        <LogSourceSwitch
          source={source}
          onChange={(next) => {
            setSource(next);
            setFollowing(true);
          }}
        />
      ) : null}
      {logs.error ? (
        <View style={styles.notice}>
          <Notice tone="error">{errorMessage(logs.error)}</Notice>
        </View>
      ) : null}
      <FlatList
        ref={list}
        style={styles.list}
        contentContainerStyle={styles.content}
        data={logs.lines}
        keyExtractor={(line, index) => `${index}:${line.time}`}
        renderItem={({ item }) => <LogLineRow line={item} />}
        onScroll={scrolled}
        scrollEventThrottle={100}
        onContentSizeChange={() => {
          if (following) list.current?.scrollToEnd({ animated: false });
        }}
        initialNumToRender={LOG_TAIL}
        ListEmptyComponent={
          <Text style={styles.empty}>
            {!logs.loaded
              ? 'Loading…'
              : source === 'build'
                ? 'No image build yet: the build from the repository’s devcontainer.json writes here.'
                : 'The container has written nothing yet. New lines appear here.'}
          </Text>
        }
        testID="log"
      />
      <View style={[styles.footer, { paddingBottom: insets.bottom }]}>
        <View style={[styles.dot, { backgroundColor: logs.error ? colors.danger : colors.success }]} />
        <Text style={styles.footerText} testID="log-status">
          {logs.error ? 'Not following: retrying' : following ? 'Following new lines' : 'Paused while you read'} · {logs.lines.length} lines
        </Text>
        {following ? null : (
          <Pressable
            accessibilityRole="button"
            onPress={() => {
              setFollowing(true);
              list.current?.scrollToEnd({ animated: false });
            }}
            style={({ pressed }) => [styles.jump, pressed && styles.pressed]}
            testID="log-jump"
          >
            <Text style={styles.jumpText}>Jump to end ↓</Text>
          </Pressable>
        )}
      </View>
    </View>
  );
}

const styles = StyleSheet.create({
  screen: { flex: 1, backgroundColor: colors.background },
  notice: { padding: spacing(3) },
  list: { flex: 1 },
  content: { paddingVertical: spacing(2) },
  empty: { color: colors.muted, padding: spacing(5), fontSize: 14 },
  footer: {
    flexDirection: 'row',
    alignItems: 'center',
    gap: spacing(2),
    minHeight: 52,
    paddingHorizontal: spacing(4),
    borderTopWidth: 1,
    borderTopColor: colors.border,
    backgroundColor: colors.surface,
  },
  dot: { width: 8, height: 8, borderRadius: 4 },
  footerText: { flex: 1, color: colors.muted, fontSize: 13 },
  jump: { minHeight: 44, justifyContent: 'center', paddingHorizontal: spacing(3), borderRadius: 8, backgroundColor: colors.accent },
  pressed: { opacity: 0.8 },
  jumpText: { color: colors.text, fontWeight: '600', fontSize: 14 },
});
