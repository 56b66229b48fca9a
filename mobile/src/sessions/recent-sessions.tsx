import { sessionTitle } from '@perry/client';
import { useFocusEffect, useRouter } from 'expo-router';
import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useRef } from 'react';
import { Pressable, StyleSheet, Text, View } from 'react-native';

import { agentHost } from '../agents/agent-url';
import { useAgents } from '../agents/agents-context';
import { colors, spacing } from '../ui/theme';
import { relativeTime, useNow } from '../ui/relative-time';

import { AGENT_LOOKS, agentName, STATE_LOOKS } from './looks';
import { recentKeys, useRecentSessions, type RecentItem, type RecentSource } from './use-recent';

/**
 * "Recent sessions" on the home screen: the sessions last active or opened, across every
 * workspace of `sources` (the active agent, or every saved one that answers, each row then
 * naming its agent). A tap opens the conversation on its agent. Nothing shows while there are
 * none; `then` heads what follows it in the list.
 */
export function RecentSessions({ sources, showAgent, then }: { sources: RecentSource[]; showAgent: boolean; then?: string }) {
  const router = useRouter();
  const { active, select } = useAgents();
  const queryClient = useQueryClient();
  const items = useRecentSessions(sources);
  const now = useNow();
  // Back from a conversation, the one just opened leads: ask again rather than wait for the poll
  // (not at the first focus, when the first answer is already on its way).
  const focusedBefore = useRef(false);
  useFocusEffect(
    useCallback(() => {
      if (focusedBefore.current) void queryClient.invalidateQueries({ queryKey: recentKeys.all });
      focusedBefore.current = true;
    }, [queryClient]),
  );
  if (items.length === 0) return null;

  async function open(item: RecentItem) {
    if (active?.url !== item.agent.url) await select(item.agent.url);
    router.push({ pathname: '/workspaces/[name]/session', params: { name: item.workspace, id: item.session.sessionId, agent: item.session.agent } });
  }

  return (
    <View style={styles.section} testID="recent-sessions">
      <Text style={styles.heading} accessibilityRole="header">
        Recent sessions
      </Text>
      {items.map((item) => {
        const { session } = item;
        const title = sessionTitle(session);
        const state = session.status ? STATE_LOOKS[session.status.state] : null;
        const when = relativeTime(item.at, now);
        return (
          <Pressable
            key={`${item.agent.url}|${item.workspace}|${session.agent}:${session.sessionId}`}
            accessibilityRole="button"
            accessibilityLabel={`Recent session ${title} in ${item.workspace}`}
            testID="recent-session"
            style={({ pressed }) => [styles.row, pressed && styles.pressed]}
            onPress={() => void open(item)}
          >
            <View style={styles.titleLine}>
              <Text style={styles.title} numberOfLines={1}>
                {title}
              </Text>
              {state ? (
                <Text style={[styles.state, { color: state.tint }]} numberOfLines={1}>
                  {state.label}
                </Text>
              ) : null}
            </View>
            <Text style={styles.meta} numberOfLines={1}>
              <Text style={styles.workspace}>{item.workspace}</Text>
              {showAgent ? ` on ${item.agent.hostname ?? agentHost(item.agent.url)}` : ''} ·{' '}
              <Text style={{ color: AGENT_LOOKS[session.agent]?.tint ?? colors.muted }}>{agentName(session.agent)}</Text> ·{' '}
              <Text testID="recent-when">{item.openedLast ? `opened ${when}` : `active ${when}`}</Text>
            </Text>
          </Pressable>
        );
      })}
      {then ? <Text style={styles.heading}>{then}</Text> : null}
    </View>
  );
}

const styles = StyleSheet.create({
  section: { gap: spacing(2), paddingBottom: spacing(1) },
  heading: { color: colors.muted, fontSize: 13, textTransform: 'uppercase', letterSpacing: 1, paddingTop: spacing(1) },
  row: { padding: spacing(4), borderRadius: 10, backgroundColor: colors.surface, gap: 2 },
  pressed: { opacity: 0.8 },
  titleLine: { flexDirection: 'row', alignItems: 'center', gap: spacing(2) },
  title: { flex: 1, color: colors.text, fontSize: 15, fontWeight: '600' },
  state: { fontSize: 13, fontWeight: '600' },
  meta: { color: colors.muted, fontSize: 13 },
  workspace: { color: colors.text },
});
