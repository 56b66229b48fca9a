import { errorMessage, validateWorkspaceName, WORKSPACE_NAME_RULE } from '@perry/client';
import { useRouter } from 'expo-router';
import { useState } from 'react';
import { StyleSheet, Text, View } from 'react-native';

import { Button, Field, Notice } from '../../src/ui/controls';
import { colors, spacing } from '../../src/ui/theme';
import { useCreateWorkspace } from '../../src/workspaces/use-workspaces';

/** Creates a workspace; the name rule is checked as it is typed. */
export default function NewWorkspaceScreen() {
  const router = useRouter();
  const create = useCreateWorkspace();
  const [name, setName] = useState('');
  const problem = name === '' ? null : validateWorkspaceName(name);

  async function submit() {
    if (validateWorkspaceName(name) !== null) return;
    try {
      const workspace = await create.mutateAsync(name);
      router.replace({ pathname: '/workspaces/[name]', params: { name: workspace.name } });
    } catch {
      // Shown from create.error below.
    }
  }

  return (
    <View style={styles.screen}>
      <Field
        label="Name"
        placeholder="my-project"
        value={name}
        onChangeText={(text) => {
          setName(text);
          create.reset();
        }}
        error={problem}
        testID="workspace-name"
        onSubmitEditing={submit}
        autoFocus
      />
      <Text style={styles.rule}>{WORKSPACE_NAME_RULE}.</Text>
      {create.error ? <Notice tone="error">{errorMessage(create.error)}</Notice> : null}
      {create.isPending ? (
        <Notice tone="info">Creating {name}: the container, its Docker daemon and SSH start (about half a minute).</Notice>
      ) : null}
      <Button
        title="Create"
        onPress={submit}
        disabled={name === '' || problem !== null}
        busy={create.isPending}
        testID="create"
      />
    </View>
  );
}

const styles = StyleSheet.create({
  screen: { flex: 1, backgroundColor: colors.background, padding: spacing(5), gap: spacing(4) },
  rule: { color: colors.muted, fontSize: 13 },
});
