import { errorMessage, type Workspace } from '@perry/client';
import { Link, Stack, useRouter } from 'expo-router';
import { FlatList, StyleSheet, Text, View } from 'react-native';

import { useAgents } from '../../src/agents/agents-context';
import { useWaitingWorkspaces, waitingFirst } from '../../src/attention/attention-context';
import { Button, Notice } from '../../src/ui/controls';
import { colors, spacing } from '../../src/ui/theme';
import { formatSeen } from '../../src/offline/last-known';
import { RecentSessions } from '../../src/sessions/recent-sessions';
import { FleetList } from '../../src/workspaces/fleet-list';
import { WorkspaceRow } from '../../src/workspaces/workspace-row';
import { useWorkspaces } from '../../src/workspaces/use-workspaces';

/**
 * The recent sessions across workspaces, then the workspaces with their live status: with
 * several saved agents, every agent's under its name and health; with one, its list (pull down
 * to ask again at once).
 */
export default function WorkspacesScreen() {
  const router = useRouter();
  const { active, saved } = useAgents();
  if (saved.agents.length > 1) {
    return (
      <View style={styles.screen}>
        <Stack.Screen
          options={{
            title: 'All agents',
            headerRight: () => (
              <Link href="/connect" style={styles.headerLink}>
                Agents
              </Link>
            ),
          }}
        />
        <FleetList />
        <View style={styles.footer}>
          <Button title={`New workspace on ${active?.hostname ?? 'this agent'}`} onPress={() => router.push('/workspaces/new')} testID="new-workspace" />
        </View>
      </View>
    );
  }
  return <SingleAgentList />;
}

function SingleAgentList() {
  const router = useRouter();
  const { active } = useAgents();
  const workspaces = useWorkspaces();
  const waiting = useWaitingWorkspaces(active?.url);

  return (
    <View style={styles.screen}>
      <Stack.Screen
        options={{
          title: active?.hostname ?? 'Workspaces',
          headerRight: () => (
            <View style={styles.headerLinks}>
              {active ? (
                <Link href={{ pathname: '/settings', params: { agent: active.url } }} style={styles.headerLink} testID="agent-settings">
                  Settings
                </Link>
              ) : null}
              <Link href="/connect" style={styles.headerLink}>
                Agents
              </Link>
            </View>
          ),
        }}
      />
      {workspaces.staleSince !== null ? (
        <View style={styles.banner}>
          <Notice tone="warning">
            Offline: the list as of {formatSeen(workspaces.staleSince)}. {errorMessage(workspaces.error)}
          </Notice>
        </View>
      ) : workspaces.error ? (
        <View style={styles.banner}>
          <Notice tone="error">{errorMessage(workspaces.error)}</Notice>
        </View>
      ) : null}
      <FlatList<Workspace>
        testID="workspace-list"
        data={waitingFirst(workspaces.workspaces, waiting)}
        keyExtractor={(workspace) => workspace.name}
        refreshing={workspaces.isRefetching && !workspaces.isLoading}
        onRefresh={workspaces.refetch}
        contentContainerStyle={styles.list}
        ListHeaderComponent={active ? <RecentSessions sources={[{ agent: active, enabled: true }]} showAgent={false} then="Workspaces" /> : null}
        ListEmptyComponent={
          workspaces.isLoading ? (
            <Text style={styles.empty}>Loading…</Text>
          ) : workspaces.error ? null : (
            <Text style={styles.empty}>No workspaces yet. Create one below.</Text>
          )
        }
        renderItem={({ item }) => (
          <WorkspaceRow
            workspace={item}
            agentUrl={active?.url}
            label={`Workspace ${item.name}`}
            stale={workspaces.staleSince !== null}
            onPress={() => router.push({ pathname: '/workspaces/[name]', params: { name: item.name } })}
          />
        )}
      />
      <View style={styles.footer}>
        <Button
          title="New workspace"
          onPress={() => router.push('/workspaces/new')}
          disabled={workspaces.staleSince !== null}
          testID="new-workspace"
        />
      </View>
    </View>
  );
}

const styles = StyleSheet.create({
  screen: { flex: 1, backgroundColor: colors.background },
  headerLinks: { flexDirection: 'row' },
  headerLink: { color: colors.accent, fontSize: 16, paddingHorizontal: spacing(2) },
  banner: { padding: spacing(4), paddingBottom: 0 },
  list: { padding: spacing(4), gap: spacing(2) },
  empty: { color: colors.muted, textAlign: 'center', marginTop: spacing(10), fontSize: 15 },
  footer: { padding: spacing(4), borderTopWidth: 1, borderTopColor: colors.border },
});
