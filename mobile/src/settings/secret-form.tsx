import { errorMessage, fieldErrors } from '@perry/client';
import { useState } from 'react';
import { StyleSheet, Text, View } from 'react-native';

import { Button, Field, Notice } from '../ui/controls';
import { colors, spacing } from '../ui/theme';

/** The name half of a new secret (a variable's name, a provider, a git host). */
export interface NameField {
  label: string;
  placeholder: string;
  /** What is wrong with it as typed, or null. */
  check(name: string): string | null;
}

/**
 * Sets (or changes) one secret. Its value goes into a password field that the form never
 * renders back: the input is uncontrolled and the value lives only in this form's state, gone
 * when the form closes, so no rendered tree (nor a screenshot of it) ever holds it. Rules are
 * checked as it is typed; the agent's refusal shows beside the field it names.
 */
export function SecretForm({
  title,
  hint,
  nameField,
  valueLabel,
  valuePlaceholder,
  checkValue,
  busy,
  error,
  onEdit,
  onSave,
  onRemove,
  onCancel,
  testID,
}: {
  title: string;
  hint?: string;
  /** Present for a new entry whose name is typed; absent when changing a named one. */
  nameField?: NameField;
  valueLabel: string;
  valuePlaceholder?: string;
  /** What is wrong with the value, or null (an account's key refuses an empty one; a variable may be empty). */
  checkValue(value: string): string | null;
  busy: boolean;
  /** The agent's refusal of the last save or removal. */
  error: unknown;
  /** Called at every keystroke, so an old refusal goes away once the person changes something. */
  onEdit(): void;
  onSave(name: string, value: string): void;
  /** Present when there is something to remove. */
  onRemove?(): void;
  onCancel(): void;
  testID: string;
}) {
  const [name, setName] = useState('');
  const [value, setValue] = useState('');
  const server = error ? fieldErrors(error) : {};
  const nameProblem = nameField && name !== '' ? nameField.check(name) : null;
  const valueProblem = value !== '' ? checkValue(value) : null;
  const nameError = nameProblem ?? server.name ?? server.key ?? null;
  const valueError = valueProblem ?? server.value ?? null;
  const otherError = error && !server.name && !server.key && !server.value ? errorMessage(error) : null;
  const ready = (nameField ? nameField.check(name) === null : true) && checkValue(value) === null;

  function submit() {
    if (ready && !busy) onSave(name, value);
  }

  return (
    <View style={styles.form} testID={testID}>
      <Text style={styles.title}>{title}</Text>
      {hint ? <Text style={styles.hint}>{hint}</Text> : null}
      {nameField ? (
        <Field
          label={nameField.label}
          placeholder={nameField.placeholder}
          value={name}
          onChangeText={(text) => {
            setName(text);
            onEdit();
          }}
          error={nameError}
          autoFocus
          testID={`${testID}-name`}
        />
      ) : null}
      <Field
        label={valueLabel}
        placeholder={valuePlaceholder ?? 'paste the value'}
        onChangeText={(text) => {
          setValue(text);
          onEdit();
        }}
        error={valueError}
        secureTextEntry
        autoComplete="off"
        autoFocus={!nameField}
        onSubmitEditing={submit}
        testID={`${testID}-value`}
      />
      {otherError ? <Notice tone="error">{otherError}</Notice> : null}
      <View style={styles.buttons}>
        <View style={styles.grow}>
          <Button title="Save" onPress={submit} disabled={!ready} busy={busy} testID={`${testID}-save`} />
        </View>
        <Button title="Cancel" kind="secondary" onPress={onCancel} disabled={busy} testID={`${testID}-cancel`} />
        {onRemove ? <Button title="Remove" kind="danger" onPress={onRemove} disabled={busy} testID={`${testID}-remove`} /> : null}
      </View>
    </View>
  );
}

const styles = StyleSheet.create({
  form: {
    backgroundColor: colors.surface,
    borderRadius: 10,
    borderWidth: 1,
    borderColor: colors.accent,
    padding: spacing(4),
    gap: spacing(3),
  },
  title: { color: colors.text, fontSize: 16, fontWeight: '700' },
  hint: { color: colors.muted, fontSize: 13, lineHeight: 18 },
  buttons: { flexDirection: 'row', gap: spacing(2) },
  grow: { flex: 1 },
});
