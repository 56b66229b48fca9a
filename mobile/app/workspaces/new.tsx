import {
  cloneDirectory,
  DEVCONTAINER_DEFAULT_HINT,
  DEVCONTAINER_PLACEHOLDER,
  devcontainerPath,
  devcontainerProblem,
  errorMessage,
  validateCloneUrl,
  validateWorkspaceName,
  WORKSPACE_NAME_RULE,
} from '@perry/client';
import { useRouter } from 'expo-router';
import { useState } from 'react';
import { ScrollView, StyleSheet, Text } from 'react-native';

import { Button, Field, Notice } from '../../src/ui/controls';
import { colors, spacing } from '../../src/ui/theme';
import { useCreateWorkspace } from '../../src/workspaces/use-workspaces';

/**
 * Creates a workspace, optionally cloning a repository into it (and building it from one of the
 * repository's devcontainer.json configs). The name, the URL and the config are checked as they
 * are typed, with the agent's own rules and words (@perry/client).
 */
export default function NewWorkspaceScreen() {
  const router = useRouter();
  const create = useCreateWorkspace();
  const [name, setName] = useState('');
  const [repository, setRepository] = useState('');
  const [devcontainer, setDevcontainer] = useState('');
  const clone = repository.trim();
  const config = devcontainer.trim();
  const nameProblem = name === '' ? null : validateWorkspaceName(name);
  const cloneProblem = clone === '' ? null : validateCloneUrl(clone);
  // Only sent with a repository, so only checked then.
  const configProblem = clone === '' ? null : devcontainerProblem(config);
  const directory = clone === '' ? null : cloneDirectory(clone);
  const ready = name !== '' && nameProblem === null && cloneProblem === null && configProblem === null;

  async function submit() {
    if (!ready) return;
    try {
      const workspace = await create.mutateAsync(clone === '' ? { name } : { name, clone, devcontainer: config });
      router.replace({ pathname: '/workspaces/[name]', params: { name: workspace.name } });
    } catch {
      // Shown from create.error below.
    }
  }

  return (
    <ScrollView style={styles.scroll} contentContainerStyle={styles.content} keyboardShouldPersistTaps="handled">
      <Field
        label="Name"
        placeholder="my-project"
        value={name}
        onChangeText={(text) => {
          setName(text);
          create.reset();
        }}
        error={nameProblem}
        testID="workspace-name"
        onSubmitEditing={submit}
        autoFocus
      />
      <Text style={styles.hint}>{WORKSPACE_NAME_RULE}.</Text>
      <Field
        label="Repository to clone (optional)"
        placeholder="https://github.com/owner/repo.git"
        value={repository}
        onChangeText={(text) => {
          setRepository(text);
          create.reset();
        }}
        error={cloneProblem}
        keyboardType="url"
        testID="workspace-clone"
        onSubmitEditing={submit}
      />
      {directory ? (
        <Text style={styles.hint} testID="clone-directory">
          Cloned into <Text style={styles.path}>~/{directory}</Text> with the agent’s git credentials.
        </Text>
      ) : clone === '' ? (
        <Text style={styles.hint}>Leave empty for an empty workspace.</Text>
      ) : null}
      {clone !== '' ? (
        <>
          <Field
            label="Devcontainer config (optional)"
            placeholder={DEVCONTAINER_PLACEHOLDER}
            value={devcontainer}
            onChangeText={(text) => {
              setDevcontainer(text);
              create.reset();
            }}
            error={configProblem}
            testID="workspace-devcontainer"
            onSubmitEditing={submit}
          />
          <Text style={styles.hint} testID="devcontainer-hint">
            {config === '' || configProblem !== null ? DEVCONTAINER_DEFAULT_HINT : `Built from ${devcontainerPath(config)}.`}
          </Text>
        </>
      ) : null}
      {create.error ? <Notice tone="error">{errorMessage(create.error)}</Notice> : null}
      {create.isPending ? (
        <Notice tone="info">
          Creating {name}: the container, its Docker daemon and SSH start (about half a minute)
          {directory ? `, then ${directory} is cloned` : ''}
          {directory ? ' and, when it has a devcontainer.json, its image is built (minutes)' : ''}.
        </Notice>
      ) : null}
      <Button title="Create" onPress={submit} disabled={!ready} busy={create.isPending} testID="create" />
    </ScrollView>
  );
}

const styles = StyleSheet.create({
  scroll: { flex: 1, backgroundColor: colors.background },
  content: { padding: spacing(5), gap: spacing(4) },
  hint: { color: colors.muted, fontSize: 13, lineHeight: 18 },
  path: { color: colors.text, fontFamily: 'monospace' },
});
