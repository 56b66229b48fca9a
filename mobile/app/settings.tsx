import { errorMessage } from '@perry/client';
import { Stack, useLocalSearchParams } from 'expo-router';
import { useState } from 'react';
import { ScrollView, StyleSheet, Text, View } from 'react-native';

import { agentHost } from '../src/agents/agent-url';
import { ApplyBar } from '../src/settings/apply-bar';
import { accountKeyTitle } from '../src/settings/rules';
import { AccountsSection, EnvironmentSection, type Editing, type Editor } from '../src/settings/sections';
import { TerminalSection } from '../src/settings/terminal-section';
import { TokenSection } from '../src/settings/token-section';
import { useApplyToWorkspaces, useSavedAgent, useSettings, useSettingsChange } from '../src/settings/use-settings';
import { Button, ConfirmDialog, Notice } from '../src/ui/controls';
import { colors, spacing } from '../src/ui/theme';

/**
 * One saved agent's settings, the ones a person fixes from a phone: the environment of every
 * workspace, the coding agents' logins, and the agent's token. Secrets are write-only: the agent
 * answers with names, times and fingerprints. After a save, the settings can be applied to the
 * running workspaces at once. Last, this phone's own terminal setting (local echo), for every agent.
 */
export default function SettingsScreen() {
  const { agent: url } = useLocalSearchParams<{ agent: string }>();
  const { agent, client } = useSavedAgent(url);
  const settings = useSettings(url, client);
  const change = useSettingsChange(url, client);
  const apply = useApplyToWorkspaces(client);
  const [editing, setEditing] = useState<Editing | null>(null);
  const [removing, setRemoving] = useState<Editing | null>(null);
  const [changes, setChanges] = useState<string[]>([]);
  const [barShown, setBarShown] = useState(false);

  if (!agent || !url) {
    return (
      <View style={styles.screen}>
        <Stack.Screen options={{ title: 'Settings' }} />
        <View style={styles.content}>
          <Notice tone="error">This agent is not saved on this phone any more.</Notice>
        </View>
      </View>
    );
  }
  const agentName = agent.hostname ?? agentHost(agent.url);

  function saved(what: string) {
    setEditing(null);
    apply.reset();
    setChanges((current) => [...current.filter((earlier) => earlier !== what), what]);
    setBarShown(true);
  }

  const editor: Editor = {
    editing,
    open(target) {
      change.reset();
      setEditing(target);
    },
    cancel() {
      change.reset();
      setEditing(null);
    },
    busy: change.isPending,
    error: change.error,
    edited() {
      if (change.error) change.reset();
    },
    save(target, name, value) {
      if (target.kind === 'env') {
        change.mutate((perry) => perry.settings.setEnv({ name, value }), { onSuccess: () => saved(`${name} set`) });
      } else {
        const { account } = target;
        change.mutate((perry) => perry.settings.setAccount({ account, key: name, value: value.trim() }), {
          onSuccess: () => saved(`${accountKeyTitle(account, name)} set`),
        });
      }
    },
    remove(target) {
      setRemoving(target);
    },
  };

  function confirmRemove() {
    const target = removing;
    setRemoving(null);
    if (target?.kind === 'env' && target.name !== null) {
      const name = target.name;
      change.mutate((perry) => perry.settings.unsetEnv({ name }), { onSuccess: () => saved(`${name} removed`) });
    } else if (target?.kind === 'account' && target.key !== null) {
      const { account, key } = target;
      change.mutate((perry) => perry.settings.unsetAccount({ account, key }), {
        onSuccess: () => saved(`${accountKeyTitle(account, key)} removed`),
      });
    }
  }

  const removingName =
    removing?.kind === 'env' ? removing.name : removing?.kind === 'account' && removing.key !== null ? accountKeyTitle(removing.account, removing.key) : null;

  return (
    <View style={styles.screen}>
      <Stack.Screen options={{ title: `Settings · ${agentName}` }} />
      <ScrollView
        style={styles.scroll}
        contentContainerStyle={styles.content}
        keyboardShouldPersistTaps="handled"
        automaticallyAdjustKeyboardInsets
        testID="settings"
      >
        <Text style={styles.agent}>
          {agentName} · {agent.url.replace(/^https?:\/\//, '')}
        </Text>
        <Text style={styles.hint}>Secrets are write-only: the agent shows when each was set and a fingerprint to tell values apart, never the value.</Text>
        {settings.data ? (
          <>
            <EnvironmentSection env={settings.data.env} editor={editor} />
            <AccountsSection accounts={settings.data.accounts} editor={editor} />
          </>
        ) : settings.error ? (
          <View style={styles.failed}>
            <Notice tone="error">{errorMessage(settings.error)}</Notice>
            <Button title="Try again" kind="secondary" busy={settings.isFetching} onPress={() => void settings.refetch()} testID="settings-retry" />
          </View>
        ) : (
          <Text style={styles.hint}>Loading…</Text>
        )}
        <TokenSection url={url} client={client} agentName={agentName} />
        <TerminalSection />
      </ScrollView>
      {barShown ? (
        <ApplyBar
          changes={changes}
          results={apply.data}
          busy={apply.isPending}
          error={apply.error}
          onApply={() => apply.mutate(undefined, { onSuccess: () => setChanges([]) })}
          onDismiss={() => {
            setBarShown(false);
            if (apply.data) apply.reset();
          }}
        />
      ) : null}
      <ConfirmDialog
        visible={removing !== null}
        title={`Remove ${removingName ?? 'it'}?`}
        message="The agent forgets it. Running workspaces keep it until the settings are applied to them; stopped ones lose it when they start."
        confirmTitle="Remove"
        onCancel={() => setRemoving(null)}
        onConfirm={confirmRemove}
      />
    </View>
  );
}

const styles = StyleSheet.create({
  screen: { flex: 1, backgroundColor: colors.background },
  scroll: { flex: 1 },
  content: { padding: spacing(5), gap: spacing(6) },
  agent: { color: colors.text, fontSize: 15, fontWeight: '600', marginBottom: -spacing(4) },
  hint: { color: colors.muted, fontSize: 14, lineHeight: 20 },
  failed: { gap: spacing(3) },
});
