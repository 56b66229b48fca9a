import { errorMessage, type PerryClient } from '@perry/client';
import * as Clipboard from 'expo-clipboard';
import { useState } from 'react';
import { StyleSheet, Text, View } from 'react-native';

import { Button, ConfirmDialog, Notice } from '../ui/controls';
import { colors, spacing } from '../ui/theme';
import { Section } from './sections';
import { useRevealToken, useRotateToken } from './use-settings';

/**
 * The agent's token: shown only after a tap (for another client, or its QR code on the web UI),
 * and rotated after a question. A rotation from here stores the new token for this phone before
 * anything else is asked, since the agent refuses the old one at once.
 */
export function TokenSection({ url, client, agentName }: { url: string; client: PerryClient | null; agentName: string }) {
  const reveal = useRevealToken(client);
  const rotate = useRotateToken(url, client);
  const [shown, setShown] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [copied, setCopied] = useState(false);

  const error = reveal.error ?? rotate.error;
  return (
    <Section title="Token" hint={`What this phone, the web UI and the CLI present to ${agentName}.`} testID="token-section">
      <View style={styles.card}>
        {shown === null ? (
          <Text style={styles.hidden} accessibilityLabel="Token hidden">
            ••••••••••••••••
          </Text>
        ) : (
          <Text selectable style={styles.token} testID="token-value">
            {shown}
          </Text>
        )}
        {rotate.isSuccess ? (
          <Notice tone="info">
            Rotated: the old token is refused now. This phone uses the new one; sign your other clients in again with it.
          </Notice>
        ) : null}
        {error ? <Notice tone="error">{errorMessage(error)}</Notice> : null}
        <View style={styles.buttons}>
          {shown === null ? (
            <Button
              title="Show"
              kind="secondary"
              busy={reveal.isPending}
              onPress={() => reveal.mutate(undefined, { onSuccess: (token) => setShown(token) })}
              testID="token-show"
            />
          ) : (
            <>
              <Button
                title={copied ? 'Copied' : 'Copy'}
                kind="secondary"
                onPress={async () => {
                  await Clipboard.setStringAsync(shown);
                  setCopied(true);
                }}
                testID="token-copy"
              />
              <Button
                title="Hide"
                kind="secondary"
                onPress={() => {
                  setShown(null);
                  setCopied(false);
                }}
                testID="token-hide"
              />
            </>
          )}
          <View style={styles.grow} />
          <Button title="Rotate" kind="danger" busy={rotate.isPending} onPress={() => setConfirming(true)} testID="token-rotate" />
        </View>
      </View>
      <ConfirmDialog
        visible={confirming}
        title="Rotate the token?"
        message={`${agentName} refuses the current token at once: the web UI, other phones and the CLI on other machines must sign in again with the new one. This phone switches to it by itself.`}
        confirmTitle="Rotate"
        onCancel={() => setConfirming(false)}
        onConfirm={() => {
          setConfirming(false);
          setCopied(false);
          reveal.reset();
          rotate.mutate(undefined, { onSuccess: (token) => setShown((current) => (current === null ? null : token)) });
        }}
      />
    </Section>
  );
}

const styles = StyleSheet.create({
  card: { backgroundColor: colors.surface, borderRadius: 10, padding: spacing(4), gap: spacing(3) },
  hidden: { color: colors.muted, fontSize: 18, letterSpacing: 2 },
  token: { color: colors.text, fontFamily: 'monospace', fontSize: 14 },
  buttons: { flexDirection: 'row', gap: spacing(2) },
  grow: { flex: 1 },
});
