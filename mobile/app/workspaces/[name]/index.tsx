import { builtFromText, canRebuild, errorMessage, mayHaveBuildLog, postStartNote, rebuildConfirmation, sshCommand } from '@perry/client';
import * as Clipboard from 'expo-clipboard';
import { Stack, useLocalSearchParams, useRouter } from 'expo-router';
import { useState } from 'react';
import { ScrollView, StyleSheet, Text, View } from 'react-native';

import { agentHost } from '../../../src/agents/agent-url';
import { useAgents } from '../../../src/agents/agents-context';
import { Button, ConfirmDialog, Notice } from '../../../src/ui/controls';
import { colors, spacing } from '../../../src/ui/theme';
import { formatSeen } from '../../../src/offline/last-known';
import { PortsCard } from '../../../src/ports/ports-card';
import { useRunningTerminals } from '../../../src/terminal/use-running-terminals';
import { relativeTime, useNow } from '../../../src/ui/relative-time';
import { CloneOutcome } from '../../../src/workspaces/clone-outcome';
import { CreateProgress } from '../../../src/workspaces/create-progress';
import { StatusBadge } from '../../../src/workspaces/status-badge';
import { useRebuildWorkspace, useWorkspaceAction, useWorkspaces, type WorkspaceAction } from '../../../src/workspaces/use-workspaces';

/**
 * One workspace: its status, the repository it cloned, a terminal, its coding agents' sessions,
 * its forwarded ports, its logs, the SSH command, and start, stop, rebuild (when it was built
 * from a devcontainer.json) and delete.
 */
export default function WorkspaceScreen() {
  const { name } = useLocalSearchParams<{ name: string }>();
  const router = useRouter();
  const { active } = useAgents();
  const workspaces = useWorkspaces();
  const action = useWorkspaceAction();
  const rebuild = useRebuildWorkspace();
  const [confirmingDelete, setConfirmingDelete] = useState(false);
  const [confirmingRebuild, setConfirmingRebuild] = useState(false);
  const [copied, setCopied] = useState(false);
  const workspace = workspaces.workspaces.find((candidate) => candidate.name === name);
  const offline = workspaces.staleSince !== null;
  const running = workspace?.status === 'running' && !offline;
  const terminals = useRunningTerminals(name, running);
  const now = useNow();

  async function run(kind: WorkspaceAction) {
    try {
      await action.mutateAsync({ action: kind, name });
      if (kind === 'delete') router.back();
    } catch {
      // Shown from action.error below.
    }
  }

  if (!workspace) {
    return (
      <View style={styles.screen}>
        <Stack.Screen options={{ title: name }} />
        {workspaces.isLoading ? (
          <Text style={styles.muted}>Loading…</Text>
        ) : (
          <Notice tone="error">{workspaces.error ? errorMessage(workspaces.error) : `There is no workspace ${name} on this agent.`}</Notice>
        )}
      </View>
    );
  }

  const ssh = workspace.ports.ssh && active ? sshCommand(workspace.ports.ssh, agentHost(active.url)) : null;
  const postStart = postStartNote(workspace);
  const busy = action.isPending;
  const rebuilding = rebuild.isPending;
  const inactive = busy || rebuilding || offline;
  const builtFrom = builtFromText(workspace);
  const confirmation = rebuildConfirmation(workspace);
  return (
    <ScrollView style={styles.scroll} contentContainerStyle={styles.content}>
      <Stack.Screen options={{ title: workspace.name }} />
      <StatusBadge status={workspace.status} stale={offline} />
      {workspace.status === 'creating' && workspace.progress ? <CreateProgress progress={workspace.progress} name={workspace.name} /> : null}
      {postStart ? (
        <Notice tone={postStart.tone}>
          {[postStart.text, ...postStart.failed.map((run) => `${run.name}: ${run.error}`)].join('\n')}
        </Notice>
      ) : null}
      {workspace.clone ? <CloneOutcome clone={workspace.clone} /> : null}
      {workspaces.staleSince !== null ? (
        <Notice tone="warning">
          Offline: this is how the workspace was at {formatSeen(workspaces.staleSince)}. Start, stop and delete
          need the agent: {errorMessage(workspaces.error)}
        </Notice>
      ) : null}
      <View style={styles.card}>
        <Text style={styles.label}>Terminal</Text>
        {running ? null : <Text style={styles.muted}>{offline ? 'Needs the agent.' : 'Start the workspace to open a terminal.'}</Text>}
        <Button
          title="Open a terminal"
          disabled={!running}
          onPress={() => router.push({ pathname: '/workspaces/[name]/terminal', params: { name } })}
          testID="open-terminal"
        />
        {running
          ? (terminals.data ?? []).map((terminal, index) => (
              <Button
                key={terminal.id}
                kind="secondary"
                title={`Reattach shell ${index + 1} (${terminal.cols}×${terminal.rows}, ${terminal.clients === 0 ? 'detached' : `${terminal.clients} watching`})`}
                onPress={() =>
                  router.push({ pathname: '/workspaces/[name]/terminal', params: { name, terminal: terminal.id, title: `${name}: shell ${index + 1}` } })
                }
                testID={`reattach-${terminal.id}`}
              />
            ))
          : null}
      </View>
      <Button
        title="Coding agent sessions"
        kind="secondary"
        onPress={() => router.push({ pathname: '/workspaces/[name]/sessions', params: { name } })}
        testID="open-sessions"
      />
      <Button
        title={mayHaveBuildLog(workspace) ? 'Container and build logs' : 'Container log'}
        kind="secondary"
        onPress={() => router.push({ pathname: '/workspaces/[name]/logs', params: { name } })}
        testID="open-logs"
      />
      {active ? <PortsCard workspaceName={name} agentUrl={active.url} running={running} offline={offline} /> : null}
      {ssh ? (
        <View style={styles.card}>
          <Text style={styles.label}>SSH</Text>
          <Text selectable style={styles.code} testID="ssh-command">
            {ssh}
          </Text>
          <Button
            title={copied ? 'Copied' : 'Copy SSH command'}
            kind="secondary"
            onPress={async () => {
              await Clipboard.setStringAsync(ssh);
              setCopied(true);
            }}
          />
        </View>
      ) : null}
      <View style={styles.card}>
        <Text style={styles.label}>Created</Text>
        <Text style={styles.value}>{workspace.created}</Text>
        <Text style={styles.label}>Image</Text>
        <Text style={styles.value}>{workspace.image}</Text>
        {builtFrom ? (
          <Text style={styles.value} testID="built-from">
            {builtFrom}
          </Text>
        ) : null}
        {workspace.lastUsed ? (
          <>
            <Text style={styles.label}>Last used</Text>
            <Text style={styles.value}>{relativeTime(workspace.lastUsed, now)}</Text>
          </>
        ) : null}
      </View>
      {workspace.error && (workspace.status === 'error' || workspace.status === 'unreachable') ? (
        <Notice tone={workspace.status === 'unreachable' ? 'warning' : 'error'}>{workspace.error}</Notice>
      ) : null}
      {action.error ? <Notice tone="error">{errorMessage(action.error)}</Notice> : null}
      {rebuilding ? (
        <Notice tone="info">Rebuilding {workspace.name} from its devcontainer.json: this can take minutes. The build’s output is in its build log.</Notice>
      ) : null}
      {rebuild.error ? (
        <>
          <Notice tone="error">{`Could not rebuild ${workspace.name}: ${errorMessage(rebuild.error)}`}</Notice>
          <Button
            title="Open the build log"
            kind="secondary"
            onPress={() => router.push({ pathname: '/workspaces/[name]/logs', params: { name, log: 'build' } })}
            testID="open-build-log"
          />
        </>
      ) : null}
      <View style={styles.actions}>
        {workspace.status === 'running' ? (
          <Button title="Stop" kind="secondary" busy={busy} disabled={inactive} onPress={() => run('stop')} testID="stop" />
        ) : (
          <Button title="Start" busy={busy} disabled={inactive} onPress={() => run('start')} testID="start" />
        )}
        {canRebuild(workspace) ? (
          <Button
            title="Rebuild"
            kind="secondary"
            busy={rebuilding}
            disabled={inactive || workspace.status === 'creating'}
            onPress={() => setConfirmingRebuild(true)}
            testID="rebuild"
          />
        ) : null}
        <Button title="Delete" kind="danger" disabled={inactive} onPress={() => setConfirmingDelete(true)} testID="delete" />
      </View>
      <ConfirmDialog
        visible={confirmingRebuild}
        title={confirmation.title}
        message={confirmation.message}
        confirmTitle={confirmation.confirm}
        onCancel={() => setConfirmingRebuild(false)}
        onConfirm={() => {
          setConfirmingRebuild(false);
          rebuild.mutate(workspace.name);
        }}
      />
      <ConfirmDialog
        visible={confirmingDelete}
        title={`Delete ${workspace.name}?`}
        message="Its container and its volumes (home directory and Docker data) are removed. This cannot be undone."
        confirmTitle="Delete"
        onCancel={() => setConfirmingDelete(false)}
        onConfirm={() => {
          setConfirmingDelete(false);
          void run('delete');
        }}
      />
    </ScrollView>
  );
}

const styles = StyleSheet.create({
  screen: { flex: 1, backgroundColor: colors.background, padding: spacing(5), gap: spacing(4) },
  scroll: { flex: 1, backgroundColor: colors.background },
  content: { padding: spacing(5), gap: spacing(4) },
  muted: { color: colors.muted },
  card: { backgroundColor: colors.surface, borderRadius: 10, padding: spacing(4), gap: spacing(2) },
  label: { color: colors.muted, fontSize: 13, textTransform: 'uppercase', letterSpacing: 1 },
  value: { color: colors.text, fontSize: 15 },
  code: { color: colors.text, fontFamily: 'monospace', fontSize: 15 },
  actions: { flexDirection: 'row', flexWrap: 'wrap', gap: spacing(3) },
});
