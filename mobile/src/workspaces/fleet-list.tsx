import { describeAgent, unreachableNote, type Workspace } from '@perry/client';
import { useRouter } from 'expo-router';
import { Pressable, SectionList, StyleSheet, Text, View } from 'react-native';

import { agentHost } from '../agents/agent-url';
import { useAgents } from '../agents/agents-context';
import { RecentSessions } from '../sessions/recent-sessions';
import { colors, spacing } from '../ui/theme';
import { WorkspaceRow } from './workspace-row';
import { useFleet, type FleetAgent } from './use-fleet';

/**
 * Every saved agent's workspaces on one screen, under each agent's name with its health, after
 * the recent sessions of every agent that answers. A workspace or session opens on its agent
 * (which becomes the one the app shows).
 */
export function FleetList() {
  const router = useRouter();
  const { select } = useAgents();
  const fleet = useFleet();
  const sections = fleet.map((member) => ({ member, key: member.agent.url, data: member.workspaces }));
  const recentSources = fleet.map((member) => ({ agent: member.agent, enabled: member.health?.state === 'up' }));

  return (
    <SectionList<Workspace, { member: FleetAgent; key: string; data: Workspace[] }>
      testID="fleet-list"
      sections={sections}
      keyExtractor={(workspace) => workspace.name}
      contentContainerStyle={styles.list}
      stickySectionHeadersEnabled={false}
      ListHeaderComponent={<RecentSessions sources={recentSources} showAgent />}
      renderSectionHeader={({ section }) => <AgentHeader member={section.member} />}
      renderSectionFooter={({ section }) =>
        section.member.health?.state === 'up' && section.data.length === 0 ? <Text style={styles.empty}>No workspaces yet.</Text> : null
      }
      renderItem={({ item, section }) => (
        <WorkspaceRow
          workspace={item}
          agentUrl={section.member.agent.url}
          label={`Workspace ${item.name} on ${agentName(section.member)}`}
          onPress={async () => {
            await select(section.member.agent.url);
            router.push({ pathname: '/workspaces/[name]', params: { name: item.name } });
          }}
        />
      )}
    />
  );
}

function agentName(member: FleetAgent): string {
  return member.agent.hostname ?? agentHost(member.agent.url);
}

function AgentHeader({ member }: { member: FleetAgent }) {
  const router = useRouter();
  const { health } = member;
  const state = health?.state ?? 'checking';
  return (
    <View style={styles.header} accessibilityLabel={`Agent ${agentName(member)} ${state}`} testID={`agent-${member.agent.url}-${state}`}>
      <View style={styles.headerLine}>
        <View style={[styles.dot, { backgroundColor: state === 'up' ? colors.success : state === 'unreachable' ? colors.warning : colors.muted }]} />
        <Text style={styles.agent}>{agentName(member)}</Text>
        <Text style={styles.state}>{state === 'up' ? 'up' : state === 'unreachable' ? 'unreachable' : 'checking…'}</Text>
        <Text style={styles.address}>{member.agent.url.replace(/^https?:\/\//, '')}</Text>
        <Pressable
          accessibilityRole="link"
          accessibilityLabel={`Settings of ${agentName(member)}`}
          hitSlop={8}
          onPress={() => router.push({ pathname: '/settings', params: { agent: member.agent.url } })}
          testID={`agent-settings-${member.agent.url}`}
        >
          <Text style={styles.settings}>Settings</Text>
        </Pressable>
      </View>
      <Text style={styles.meta}>
        {health?.state === 'up'
          ? describeAgent(health.info, health.roundTripMs)
          : health?.state === 'unreachable'
            ? unreachableNote(health.reason)
            : member.agent.url}
      </Text>
    </View>
  );
}

const styles = StyleSheet.create({
  list: { padding: spacing(4), gap: spacing(2) },
  header: { paddingTop: spacing(3), paddingBottom: spacing(1), gap: 2 },
  headerLine: { flexDirection: 'row', alignItems: 'center', gap: spacing(2) },
  dot: { width: 8, height: 8, borderRadius: 4 },
  agent: { color: colors.text, fontSize: 15, fontWeight: '700' },
  state: { color: colors.muted, fontSize: 13 },
  address: { color: colors.muted, fontSize: 12, marginLeft: 'auto' },
  settings: { color: colors.accent, fontSize: 14, fontWeight: '600' },
  empty: { color: colors.muted, fontSize: 14, paddingVertical: spacing(2) },
  meta: { color: colors.muted, fontSize: 13 },
});
