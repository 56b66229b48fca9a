import type { ReactNode } from 'react';
import { ActivityIndicator, Modal, Pressable, StyleSheet, Text, TextInput, View, type TextInputProps } from 'react-native';

import { colors, spacing } from './theme';

export function Button({
  title,
  onPress,
  kind = 'primary',
  disabled = false,
  busy = false,
  testID,
}: {
  title: string;
  onPress(): void;
  kind?: 'primary' | 'secondary' | 'danger';
  disabled?: boolean;
  busy?: boolean;
  testID?: string;
}) {
  const inactive = disabled || busy;
  return (
    <Pressable
      accessibilityRole="button"
      accessibilityState={{ disabled: inactive, busy }}
      testID={testID}
      disabled={inactive}
      onPress={onPress}
      style={({ pressed }) => [styles.button, styles[kind], inactive && styles.inactive, pressed && styles.pressed]}
    >
      {busy ? <ActivityIndicator color={colors.text} /> : <Text style={styles.buttonText}>{title}</Text>}
    </Pressable>
  );
}

export function Field({ label, error, ...input }: TextInputProps & { label: string; error?: string | null }) {
  return (
    <View style={styles.field}>
      <Text style={styles.label}>{label}</Text>
      <TextInput
        accessibilityLabel={label}
        placeholderTextColor={colors.muted}
        autoCapitalize="none"
        autoCorrect={false}
        style={[styles.input, error ? styles.inputError : null]}
        {...input}
      />
      {error ? (
        <Text accessibilityRole="alert" style={styles.error}>
          {error}
        </Text>
      ) : null}
    </View>
  );
}

export function Notice({ tone, children }: { tone: 'error' | 'info' | 'warning'; children: ReactNode }) {
  return (
    <View accessibilityRole={tone === 'error' ? 'alert' : 'text'} style={[styles.notice, styles[`notice_${tone}`]]}>
      <Text style={styles.noticeText}>{children}</Text>
    </View>
  );
}

/**
 * A yes/no question in a modal. React Native's Alert does nothing in a browser, and the web
 * export must ask too before it deletes a workspace.
 */
export function ConfirmDialog({
  visible,
  title,
  message,
  confirmTitle,
  onConfirm,
  onCancel,
}: {
  visible: boolean;
  title: string;
  message: string;
  confirmTitle: string;
  onConfirm(): void;
  onCancel(): void;
}) {
  return (
    <Modal transparent visible={visible} animationType="fade" onRequestClose={onCancel}>
      <View style={styles.backdrop}>
        <View accessibilityRole="alert" style={styles.dialog}>
          <Text style={styles.dialogTitle}>{title}</Text>
          <Text style={styles.dialogMessage}>{message}</Text>
          <View style={styles.dialogButtons}>
            <Button title="Cancel" kind="secondary" onPress={onCancel} />
            <Button title={confirmTitle} kind="danger" onPress={onConfirm} />
          </View>
        </View>
      </View>
    </Modal>
  );
}

const styles = StyleSheet.create({
  button: {
    minHeight: 44,
    paddingHorizontal: spacing(4),
    borderRadius: 8,
    alignItems: 'center',
    justifyContent: 'center',
  },
  primary: { backgroundColor: colors.accent },
  secondary: { backgroundColor: colors.surface, borderWidth: 1, borderColor: colors.border },
  danger: { backgroundColor: colors.danger },
  inactive: { opacity: 0.5 },
  pressed: { opacity: 0.8 },
  buttonText: { color: colors.text, fontWeight: '600', fontSize: 16 },
  field: { gap: spacing(1) },
  label: { color: colors.muted, fontSize: 14 },
  input: {
    minHeight: 44,
    borderRadius: 8,
    borderWidth: 1,
    borderColor: colors.border,
    backgroundColor: colors.surface,
    color: colors.text,
    paddingHorizontal: spacing(3),
    fontSize: 16,
  },
  inputError: { borderColor: colors.danger },
  error: { color: colors.danger, fontSize: 14 },
  notice: { borderRadius: 8, padding: spacing(3), borderWidth: 1 },
  notice_error: { borderColor: colors.danger, backgroundColor: '#2a1416' },
  notice_info: { borderColor: colors.border, backgroundColor: colors.surface },
  notice_warning: { borderColor: colors.warning, backgroundColor: '#2a2210' },
  noticeText: { color: colors.text, fontSize: 14, lineHeight: 20 },
  backdrop: { flex: 1, backgroundColor: 'rgba(0,0,0,0.6)', justifyContent: 'center', padding: spacing(6) },
  dialog: { backgroundColor: colors.surface, borderRadius: 12, padding: spacing(5), gap: spacing(3) },
  dialogTitle: { color: colors.text, fontSize: 18, fontWeight: '700' },
  dialogMessage: { color: colors.muted, fontSize: 15, lineHeight: 21 },
  dialogButtons: { flexDirection: 'row', justifyContent: 'flex-end', gap: spacing(3) },
});
