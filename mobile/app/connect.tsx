import { useRouter } from 'expo-router';
import { useState } from 'react';
import { Pressable, ScrollView, StyleSheet, Text, View } from 'react-native';

import { useAgents } from '../src/agents/agents-context';
import { useConnect } from '../src/agents/use-connect';
import { Button, Field, Notice } from '../src/ui/controls';
import { colors, spacing } from '../src/ui/theme';

/**
 * Adds an agent: its address (or the sign-in URL the agent prints, token included) and its
 * token. Both are checked against the agent before they are saved. Saved agents are listed
 * below, the active one marked; tapping another makes it active.
 */
export default function ConnectScreen() {
  const router = useRouter();
  const { saved, select, forget } = useAgents();
  const { connect, busy, failure, addressError, clearAddressError } = useConnect();
  const [address, setAddress] = useState('');
  const [token, setToken] = useState('');

  async function submit() {
    if (await connect(address, token)) {
      setAddress('');
      setToken('');
      router.replace('/workspaces');
    }
  }

  return (
    <ScrollView style={styles.screen} contentContainerStyle={styles.content} keyboardShouldPersistTaps="handled">
      <Text style={styles.title}>Connect to an agent</Text>
      <Text style={styles.hint}>
        On the machine that runs your workspaces, perry agent run prints a URL with the token in it: paste
        it whole, or the address and the token apart, or scan the QR code on the agent page of its web UI.
      </Text>
      <Field
        label="Address"
        placeholder="devbox:7391 or http://100.64.0.2:7391/?token=…"
        value={address}
        onChangeText={(text) => {
          setAddress(text);
          clearAddressError();
        }}
        keyboardType="url"
        error={addressError}
        testID="address"
      />
      <Field
        label="Token"
        placeholder="from perry agent run or the agent's web page"
        value={token}
        onChangeText={setToken}
        secureTextEntry
        testID="token"
        onSubmitEditing={submit}
      />
      {failure ? <Notice tone="error">{failure}</Notice> : null}
      <Button title="Connect" onPress={submit} busy={busy} testID="connect" />
      <Button title="Scan the agent's QR code" kind="secondary" onPress={() => router.push('/scan')} testID="scan" />

      {saved.agents.length > 0 ? (
        <View style={styles.saved}>
          <Text style={styles.section}>Saved agents</Text>
          {saved.agents.map((agent) => {
            const isActive = agent.url === saved.active;
            return (
              <View key={agent.url} style={styles.agentRow}>
                <Pressable
                  accessibilityRole="button"
                  accessibilityLabel={`Use ${agent.hostname ?? agent.url}`}
                  style={styles.agentMain}
                  onPress={async () => {
                    await select(agent.url);
                    router.replace('/workspaces');
                  }}
                >
                  <Text style={styles.agentName}>
                    {agent.hostname ?? agent.url} {isActive ? '· active' : ''}
                  </Text>
                  <Text style={styles.agentUrl}>{agent.url}</Text>
                </Pressable>
                <Button title="Forget" kind="secondary" onPress={() => forget(agent.url)} />
              </View>
            );
          })}
        </View>
      ) : null}
    </ScrollView>
  );
}

const styles = StyleSheet.create({
  screen: { flex: 1, backgroundColor: colors.background },
  content: { padding: spacing(5), gap: spacing(4) },
  title: { color: colors.text, fontSize: 24, fontWeight: '700' },
  hint: { color: colors.muted, fontSize: 15, lineHeight: 21 },
  saved: { marginTop: spacing(4), gap: spacing(2) },
  section: { color: colors.muted, fontSize: 13, textTransform: 'uppercase', letterSpacing: 1 },
  agentRow: {
    flexDirection: 'row',
    alignItems: 'center',
    gap: spacing(3),
    padding: spacing(3),
    borderRadius: 10,
    backgroundColor: colors.surface,
  },
  agentMain: { flex: 1, gap: 2 },
  agentName: { color: colors.text, fontSize: 16, fontWeight: '600' },
  agentUrl: { color: colors.muted, fontSize: 13 },
});
