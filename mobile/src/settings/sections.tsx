import { accountKeyProblem, accountValueProblem, valueProblem, variableNameProblem, type AccountKind, type AccountSecret, type SecretInfo } from '@perry/client';
import type { ReactNode } from 'react';
import { Pressable, StyleSheet, Text, View } from 'react-native';

import { Button } from '../ui/controls';
import { colors, spacing } from '../ui/theme';
import { accountKeyTitle, ACCOUNTS, describeSecret, type AccountView } from './rules';
import { SecretForm } from './secret-form';

/** Which secret is being set: a variable or an account's key; `null` for a new one whose name is typed. */
export type Editing = { kind: 'env'; name: string | null } | { kind: 'account'; account: AccountKind; key: string | null };

/** What the sections need of the screen: the one open form, and saving and removing through it. */
export interface Editor {
  editing: Editing | null;
  open(target: Editing): void;
  cancel(): void;
  /** A save or removal is on its way. */
  busy: boolean;
  /** The agent's refusal of the last one. */
  error: unknown;
  /** The person changed the open form. */
  edited(): void;
  save(target: Editing, name: string, value: string): void;
  /** Asks first. */
  remove(target: Editing): void;
}

function isOpen(editor: Editor, target: Editing): boolean {
  const open = editor.editing;
  if (!open || open.kind !== target.kind) return false;
  if (open.kind === 'env' && target.kind === 'env') return open.name === target.name;
  return open.kind === 'account' && target.kind === 'account' && open.account === target.account && open.key === target.key;
}

/** `credentials.env`: every variable with when it was set and its fingerprint; add, change, remove. */
export function EnvironmentSection({ env, editor }: { env: SecretInfo[]; editor: Editor }) {
  const adding: Editing = { kind: 'env', name: null };
  // A variable being changed that another client removed meanwhile keeps its form (and the
  // agent's message about it) until the person closes it.
  const open = editor.editing;
  const vanished = open?.kind === 'env' && open.name !== null && !env.some((secret) => secret.name === open.name) ? open.name : null;
  const rows: { name: string; secret: SecretInfo | undefined }[] = [
    ...env.map((secret) => ({ name: secret.name, secret })),
    ...(vanished !== null ? [{ name: vanished, secret: undefined }] : []),
  ];
  return (
    <Section title="Environment" hint="Variables for every shell in every workspace: terminals, SSH and the coding agents." testID="env-section">
      {rows.length > 0 ? (
        <View style={styles.card}>
          {rows.map(({ name, secret }, index) => {
            const target: Editing = { kind: 'env', name };
            return (
              <View key={name} style={index > 0 ? styles.divided : null}>
                {isOpen(editor, target) ? (
                  <SecretForm
                    title={`Change ${name}`}
                    hint="The new value replaces the old one, which is never shown."
                    valueLabel="New value"
                    checkValue={(value) => (value === '' ? 'Enter the new value, or remove the variable.' : valueProblem(`The value of ${name}`, value))}
                    busy={editor.busy}
                    error={editor.error}
                    onEdit={editor.edited}
                    onSave={(_name, value) => editor.save(target, name, value)}
                    onRemove={secret ? () => editor.remove(target) : undefined}
                    onCancel={editor.cancel}
                    testID={`env-form-${name}`}
                  />
                ) : (
                  <SecretRow
                    title={name}
                    monospace
                    secret={secret}
                    label={`Variable ${name}`}
                    onPress={() => editor.open(target)}
                    testID={`env-${name}`}
                  />
                )}
              </View>
            );
          })}
        </View>
      ) : isOpen(editor, adding) ? null : (
        <Text style={styles.none}>No variables yet.</Text>
      )}
      {isOpen(editor, adding) ? (
        <SecretForm
          title="New variable"
          nameField={{ label: 'Name', placeholder: 'API_URL', check: variableNameProblem }}
          valueLabel="Value"
          checkValue={(value) => valueProblem('The value', value)}
          busy={editor.busy}
          error={editor.error}
          onEdit={editor.edited}
          onSave={(name, value) => editor.save(adding, name, value)}
          onCancel={editor.cancel}
          testID="env-form-new"
        />
      ) : (
        <Button title="Add a variable" kind="secondary" onPress={() => editor.open(adding)} testID="env-add" />
      )}
    </Section>
  );
}

/** The coding agents' logins and the git hosts' tokens: each set or not, with its fingerprint. */
export function AccountsSection({ accounts, editor }: { accounts: AccountSecret[]; editor: Editor }) {
  return (
    <Section title="Coding agents" hint="Logins written where each coding agent reads them, so it starts without asking in every workspace." testID="accounts-section">
      {ACCOUNTS.map((view) => (
        <AccountCard key={view.kind} view={view} secrets={accounts.filter((secret) => secret.account === view.kind)} editor={editor} />
      ))}
    </Section>
  );
}

function AccountCard({ view, secrets, editor }: { view: AccountView; secrets: AccountSecret[]; editor: Editor }) {
  const open = editor.editing;
  // As for variables: a key another client removed meanwhile keeps its open form.
  const vanished =
    !view.fixed && open?.kind === 'account' && open.account === view.kind && open.key !== null && !secrets.some((secret) => secret.name === open.key)
      ? open.key
      : null;
  const rows: { key: string; title: string; detail: string | undefined; secret: SecretInfo | undefined }[] = view.fixed
    ? view.fixed.map((fixed) => ({ key: fixed.key, title: fixed.label, detail: fixed.variable, secret: secrets.find((secret) => secret.name === fixed.key) }))
    : [
        ...secrets.map((secret) => ({ key: secret.name, title: secret.name, detail: undefined, secret })),
        ...(vanished !== null ? [{ key: vanished, title: vanished, detail: undefined, secret: undefined }] : []),
      ];
  const adding: Editing = { kind: 'account', account: view.kind, key: null };
  return (
    <View style={styles.card} testID={`account-${view.kind}`}>
      <View style={styles.cardHead}>
        <Text style={styles.cardTitle}>{view.title}</Text>
        <Text style={styles.cardHint}>{view.purpose}</Text>
      </View>
      {rows.map((row) => {
        const target: Editing = { kind: 'account', account: view.kind, key: row.key };
        return (
          <View key={row.key} style={styles.divided}>
            {isOpen(editor, target) ? (
              <SecretForm
                title={accountKeyTitle(view.kind, row.key)}
                hint={row.secret ? 'The new one replaces the old one, which is never shown.' : undefined}
                valueLabel={row.detail ? `${row.title} (${row.detail})` : (view.open?.valueLabel ?? 'Key')}
                checkValue={(value) => accountValueProblem(view.kind, row.key, value)}
                busy={editor.busy}
                error={editor.error}
                onEdit={editor.edited}
                onSave={(_name, value) => editor.save(target, row.key, value)}
                onRemove={row.secret ? () => editor.remove(target) : undefined}
                onCancel={editor.cancel}
                testID={`account-form-${view.kind}-${row.key}`}
              />
            ) : (
              <SecretRow
                title={row.title}
                detail={row.detail}
                secret={row.secret}
                label={`${view.title} ${row.title}`}
                onPress={() => editor.open(target)}
                testID={`account-${view.kind}-${row.key}`}
              />
            )}
          </View>
        );
      })}
      {view.open && rows.length === 0 && !isOpen(editor, adding) ? <Text style={[styles.empty, styles.divided]}>Not set.</Text> : null}
      {view.open ? (
        <View style={[styles.divided, styles.adding]}>
          {isOpen(editor, adding) ? (
            <SecretForm
              title={`New ${view.title} ${view.open.noun}`}
              nameField={{
                label: view.open.keyLabel,
                placeholder: view.open.keyExample,
                check: (key) => accountKeyProblem(view.kind, key),
              }}
              valueLabel={view.open.valueLabel}
              checkValue={(value) => accountValueProblem(view.kind, view.open?.noun ?? 'key', value)}
              busy={editor.busy}
              error={editor.error}
              onEdit={editor.edited}
              onSave={(key, value) => editor.save(adding, key, value)}
              onCancel={editor.cancel}
              testID={`account-form-${view.kind}-new`}
            />
          ) : (
            <Button
              title={view.kind === 'opencode' ? 'Add a provider key' : 'Add a host token'}
              kind="secondary"
              onPress={() => editor.open(adding)}
              testID={`account-add-${view.kind}`}
            />
          )}
        </View>
      ) : null}
    </View>
  );
}

/** One secret: its name, and "set 3 min ago · a1b2c3d4" or "not set"; a tap sets or changes it. */
function SecretRow({
  title,
  detail,
  monospace = false,
  secret,
  label,
  onPress,
  testID,
}: {
  title: string;
  detail?: string;
  monospace?: boolean;
  secret: SecretInfo | undefined;
  label: string;
  onPress(): void;
  testID: string;
}) {
  return (
    <Pressable
      accessibilityRole="button"
      accessibilityLabel={label}
      onPress={onPress}
      style={({ pressed }) => [styles.row, pressed && styles.pressed]}
      testID={testID}
    >
      <View style={styles.rowMain}>
        <Text style={[styles.rowTitle, monospace && styles.mono]} numberOfLines={1}>
          {title}
          {detail ? <Text style={styles.rowDetail}>{`  ${detail}`}</Text> : null}
        </Text>
        <View style={styles.statusLine}>
          <View style={[styles.dot, secret ? styles.dotSet : styles.dotUnset]} />
          <Text style={styles.status} testID={`${testID}-status`}>
            {secret ? describeSecret(secret) : 'not set'}
          </Text>
        </View>
      </View>
      <Text style={styles.action}>{secret ? 'Change' : 'Set'}</Text>
    </Pressable>
  );
}

export function Section({ title, hint, children, testID }: { title: string; hint?: string; children: ReactNode; testID?: string }) {
  return (
    <View style={styles.section} testID={testID}>
      <Text style={styles.sectionTitle} accessibilityRole="header">
        {title}
      </Text>
      {hint ? <Text style={styles.sectionHint}>{hint}</Text> : null}
      {children}
    </View>
  );
}

const styles = StyleSheet.create({
  section: { gap: spacing(2) },
  sectionTitle: { color: colors.muted, fontSize: 13, textTransform: 'uppercase', letterSpacing: 1 },
  sectionHint: { color: colors.muted, fontSize: 14, lineHeight: 20 },
  card: { backgroundColor: colors.surface, borderRadius: 10, overflow: 'hidden' },
  cardHead: { padding: spacing(4), paddingBottom: spacing(3), gap: 2 },
  cardTitle: { color: colors.text, fontSize: 17, fontWeight: '600' },
  cardHint: { color: colors.muted, fontSize: 13, lineHeight: 18 },
  divided: { borderTopWidth: 1, borderTopColor: colors.border },
  row: { flexDirection: 'row', alignItems: 'center', paddingHorizontal: spacing(4), paddingVertical: spacing(3), gap: spacing(3) },
  pressed: { opacity: 0.7 },
  rowMain: { flex: 1, gap: 2 },
  rowTitle: { color: colors.text, fontSize: 16, fontWeight: '600' },
  rowDetail: { color: colors.muted, fontSize: 12, fontWeight: '400', fontFamily: 'monospace' },
  mono: { fontFamily: 'monospace' },
  statusLine: { flexDirection: 'row', alignItems: 'center', gap: spacing(2) },
  dot: { width: 8, height: 8, borderRadius: 4 },
  dotSet: { backgroundColor: colors.success },
  dotUnset: { borderWidth: 1, borderColor: colors.muted },
  status: { color: colors.muted, fontSize: 13 },
  action: { color: colors.accent, fontSize: 15, fontWeight: '600' },
  empty: { color: colors.muted, fontSize: 14, padding: spacing(4) },
  adding: { padding: spacing(3) },
  none: { color: colors.muted, fontSize: 14 },
});
