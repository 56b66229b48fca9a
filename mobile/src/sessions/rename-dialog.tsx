import { errorMessage, fieldErrors, type SessionInfo } from '@perry/client';
import { useState } from 'react';
import { Modal, StyleSheet, Text, View } from 'react-native';

import { Button, Field } from '../ui/controls';
import { colors, spacing } from '../ui/theme';
import { useRenameSession } from './use-session-actions';

/**
 * Names a session, or clears its name. Mount it when it should show (it starts from the session's
 * name each time). The agent checks the name; what it says about a bad one is shown as it said it.
 */
export function RenameDialog({ workspaceName, session, onClose }: { workspaceName: string; session: SessionInfo; onClose(): void }) {
  const rename = useRenameSession(workspaceName);
  // What it was called when the dialog opened: the answer to a save changes `session` under it.
  const [named] = useState(session.name);
  const [text, setText] = useState(named ?? '');
  const refusal = rename.error ? (fieldErrors(rename.error).name ?? errorMessage(rename.error)) : null;

  async function save(name: string | undefined) {
    try {
      await rename.mutateAsync({ sessionId: session.sessionId, name });
      onClose();
    } catch {
      // Shown from rename.error.
    }
  }

  return (
    <Modal transparent visible animationType="fade" onRequestClose={onClose}>
      <View style={styles.backdrop}>
        <View style={styles.dialog} testID="rename-dialog">
          <Text style={styles.title}>Rename session</Text>
          <Text style={styles.note} numberOfLines={3}>
            Its title: {session.title || '(untitled)'}
          </Text>
          <Field
            label="Name"
            value={text}
            onChangeText={(value) => {
              setText(value);
              rename.reset();
            }}
            placeholder={session.title}
            autoCapitalize="sentences"
            autoFocus
            returnKeyType="done"
            onSubmitEditing={() => (text.trim() ? void save(text) : undefined)}
            error={refusal}
            testID="session-name"
          />
          <View style={styles.buttons}>
            {named ? (
              <Button title="Clear name" kind="secondary" disabled={rename.isPending} onPress={() => void save(undefined)} testID="clear-name" />
            ) : null}
            <View style={styles.spacer} />
            <Button title="Cancel" kind="secondary" onPress={onClose} />
            <Button title="Save" busy={rename.isPending} disabled={!text.trim()} onPress={() => void save(text)} testID="save-name" />
          </View>
        </View>
      </View>
    </Modal>
  );
}

const styles = StyleSheet.create({
  backdrop: { flex: 1, backgroundColor: 'rgba(0,0,0,0.6)', justifyContent: 'center', padding: spacing(6) },
  dialog: { backgroundColor: colors.surface, borderRadius: 12, padding: spacing(5), gap: spacing(3) },
  title: { color: colors.text, fontSize: 18, fontWeight: '700' },
  note: { color: colors.muted, fontSize: 14 },
  buttons: { flexDirection: 'row', gap: spacing(2), flexWrap: 'wrap' },
  spacer: { flex: 1 },
});
