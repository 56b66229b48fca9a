import { errorMessage, type PortForwardStatus } from '@perry/client';
import { useState } from 'react';
import { Linking, Pressable, StyleSheet, Text, View } from 'react-native';

import { Button, Field, Notice } from '../ui/controls';
import { colors, spacing } from '../ui/theme';
import { forwardUrl, parsePort } from './rules';
import { usePortChange, usePorts } from './use-ports';

/**
 * A workspace's port forwards on its screen: each with its live status, opened in the phone's
 * browser with a tap; a form to add one and a button to remove each. `running` says whether the
 * workspace runs (a stopped one's forwards are kept but do not listen); `offline` disables changes.
 */
export function PortsCard({ workspaceName, agentUrl, running, offline }: { workspaceName: string; agentUrl: string; running: boolean; offline: boolean }) {
  const ports = usePorts(workspaceName, !offline);
  const change = usePortChange(workspaceName);
  const [workspacePort, setWorkspacePort] = useState('');
  const [hostPort, setHostPort] = useState('');
  const [removing, setRemoving] = useState<number | null>(null);

  const workspaceParsed = workspacePort.trim() === '' ? null : parsePort(workspacePort, 'workspace port');
  const hostParsed = hostPort.trim() === '' ? null : parsePort(hostPort, 'host port');
  const ready = workspaceParsed !== null && 'port' in workspaceParsed && (hostParsed === null || 'port' in hostParsed) && !offline;

  function add() {
    if (!ready || !workspaceParsed || !('port' in workspaceParsed)) return;
    const request = hostParsed && 'port' in hostParsed ? { workspacePort: workspaceParsed.port, hostPort: hostParsed.port } : { workspacePort: workspaceParsed.port };
    change.mutate(
      { add: request },
      {
        onSuccess: () => {
          setWorkspacePort('');
          setHostPort('');
        },
      },
    );
  }

  function remove(port: number) {
    setRemoving(port);
    change.mutate({ remove: port }, { onSettled: () => setRemoving(null) });
  }

  const forwards = ports.data ?? [];
  return (
    <View style={styles.card} testID="ports">
      <Text style={styles.label}>Ports</Text>
      {ports.error ? <Notice tone="error">{errorMessage(ports.error)}</Notice> : null}
      {offline ? <Text style={styles.muted}>Needs the agent.</Text> : null}
      {forwards.length === 0 && !offline && ports.isSuccess ? (
        <Text style={styles.muted}>No forwards yet. Forward a port to open a server of the workspace in this phone’s browser.</Text>
      ) : null}
      {forwards.map((forward) => (
        <ForwardRow
          key={forward.hostPort}
          forward={forward}
          url={forwardUrl(agentUrl, forward.hostPort)}
          running={running}
          removing={removing === forward.hostPort}
          disabled={offline || change.isPending}
          onRemove={() => remove(forward.hostPort)}
        />
      ))}
      <View style={styles.form}>
        <View style={styles.formField}>
          <Field
            label="Workspace port"
            placeholder="e.g. 3000"
            keyboardType="number-pad"
            value={workspacePort}
            onChangeText={(text) => {
              setWorkspacePort(text);
              change.reset();
            }}
            error={workspaceParsed && 'error' in workspaceParsed ? workspaceParsed.error : null}
            onSubmitEditing={add}
            testID="port-workspace"
          />
        </View>
        <View style={styles.formField}>
          <Field
            label="Host port"
            placeholder="same"
            keyboardType="number-pad"
            value={hostPort}
            onChangeText={(text) => {
              setHostPort(text);
              change.reset();
            }}
            error={hostParsed && 'error' in hostParsed ? hostParsed.error : null}
            onSubmitEditing={add}
            testID="port-host"
          />
        </View>
      </View>
      <Button title="Forward port" onPress={add} disabled={!ready} busy={change.isPending && removing === null} testID="port-add" />
      {change.error ? <Notice tone="error">{errorMessage(change.error)}</Notice> : null}
    </View>
  );
}

function ForwardRow({
  forward,
  url,
  running,
  removing,
  disabled,
  onRemove,
}: {
  forward: PortForwardStatus;
  url: string;
  running: boolean;
  removing: boolean;
  disabled: boolean;
  onRemove(): void;
}) {
  const state = forward.error ? 'failed' : forward.active ? 'listening' : 'not listening';
  const tone = forward.error ? colors.danger : forward.active ? colors.success : colors.muted;
  const detail = forward.error ?? (forward.active ? url : running ? 'Not listening yet.' : 'Listens again when the workspace starts.');
  return (
    <View style={styles.row} testID={`port-${forward.hostPort}`}>
      <Pressable
        accessibilityRole="link"
        accessibilityLabel={`Open port ${forward.hostPort} (${state})`}
        accessibilityHint={url}
        disabled={!forward.active}
        onPress={() => void Linking.openURL(url)}
        style={({ pressed }) => [styles.rowMain, pressed && styles.pressed]}
        testID={`port-open-${forward.hostPort}`}
      >
        <View style={styles.title}>
          <Text style={styles.ports}>{forward.workspacePort}</Text>
          <Text style={styles.arrow} numberOfLines={1}>
            → host {forward.hostPort}
          </Text>
        </View>
        <View style={styles.status}>
          <View style={[styles.dot, { backgroundColor: tone }]} />
          <Text style={[styles.state, { color: tone }]} testID={`port-state-${forward.hostPort}`}>
            {state}
          </Text>
        </View>
        <Text style={[styles.detail, forward.active && styles.link, forward.error ? styles.failed : null]} numberOfLines={3}>
          {detail}
        </Text>
      </Pressable>
      <Button title="Remove" kind="secondary" busy={removing} disabled={disabled} onPress={onRemove} testID={`port-remove-${forward.hostPort}`} />
    </View>
  );
}

const styles = StyleSheet.create({
  card: { backgroundColor: colors.surface, borderRadius: 10, padding: spacing(4), gap: spacing(3) },
  label: { color: colors.muted, fontSize: 13, textTransform: 'uppercase', letterSpacing: 1 },
  muted: { color: colors.muted, fontSize: 14, lineHeight: 20 },
  row: {
    flexDirection: 'row',
    alignItems: 'center',
    gap: spacing(3),
    borderWidth: 1,
    borderColor: colors.border,
    borderRadius: 8,
    paddingLeft: spacing(3),
    paddingRight: spacing(2),
    paddingVertical: spacing(2),
    backgroundColor: colors.background,
  },
  rowMain: { flex: 1, minHeight: 44, justifyContent: 'center', gap: 2 },
  pressed: { opacity: 0.7 },
  status: { flexDirection: 'row', alignItems: 'center', gap: spacing(1.5) },
  dot: { width: 8, height: 8, borderRadius: 4 },
  ports: { color: colors.text, fontSize: 16, fontWeight: '600', fontFamily: 'monospace' },
  title: { flexDirection: 'row', alignItems: 'baseline', gap: spacing(2) },
  arrow: { flexShrink: 1, color: colors.muted, fontSize: 13 },
  state: { fontSize: 13, fontWeight: '600' },
  detail: { color: colors.muted, fontSize: 13 },
  link: { color: colors.accent },
  failed: { color: colors.danger },
  form: { flexDirection: 'row', gap: spacing(3) },
  formField: { flex: 1 },
});
