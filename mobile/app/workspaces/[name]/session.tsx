import { errorCode, errorMessage, hasOlder, resumeCommandLine, resumeTerminalCommand, sessionSubtitle, sessionTitle, type Message } from '@perry/client';
import { Stack, useLocalSearchParams, useRouter } from 'expo-router';
import { useState } from 'react';
import { FlatList, StyleSheet, Text, View } from 'react-native';

import { formatSeen } from '../../../src/offline/last-known';
import { AGENT_LOOKS, agentName } from '../../../src/sessions/looks';
import { RenameDialog } from '../../../src/sessions/rename-dialog';
import { useDeleteSession } from '../../../src/sessions/use-session-actions';
import { useSessions, useTranscript } from '../../../src/sessions/use-sessions';
import { Button, ConfirmDialog, Notice } from '../../../src/ui/controls';
import { colors, spacing } from '../../../src/ui/theme';

const ROLE_LABELS: Record<Message['role'], string> = { user: 'You', assistant: 'Agent', system: 'System', tool: 'Tool' };

/**
 * One session's conversation, newest at the bottom, with "Resume in terminal", and renaming or
 * deleting it (after a question).
 */
export default function SessionScreen() {
  const { name, id } = useLocalSearchParams<{ name: string; id: string; agent?: string }>();
  const router = useRouter();
  const sessions = useSessions(name);
  const session = sessions.sessions.find((candidate) => candidate.sessionId === id);
  const version = session ? `${session.messageCount}|${session.lastActivity}` : undefined;
  const { newest, transcript, loadOlder, loadingOlder, olderError } = useTranscript(name, id, version);
  const offline = sessions.staleSince !== null;
  const remove = useDeleteSession(name);
  const [renaming, setRenaming] = useState(false);
  const [confirmingDelete, setConfirmingDelete] = useState(false);
  // Newest first for the inverted list: the conversation reads upwards from the bottom, like a chat.
  const messages = [...transcript.messages].reverse();

  return (
    <View style={styles.screen}>
      <Stack.Screen options={{ title: session ? sessionTitle(session) : 'Session' }} />
      <View style={styles.header}>
        {session ? (
          <Text style={styles.name} numberOfLines={2} testID="session-title">
            {sessionTitle(session)}
          </Text>
        ) : null}
        {session && sessionSubtitle(session) ? (
          <Text style={styles.meta} numberOfLines={2} testID="session-original-title">
            {sessionSubtitle(session)}
          </Text>
        ) : null}
        {session ? (
          <Text style={styles.meta}>
            <Text style={{ color: AGENT_LOOKS[session.agent]?.tint ?? colors.muted }}>{agentName(session.agent)}</Text> · {session.messageCount}{' '}
            messages · {formatSeen(Date.parse(session.lastActivity) || 0)}
          </Text>
        ) : null}
        {session?.resumeCommand ? (
          <>
            <Text selectable style={styles.code} numberOfLines={2}>
              {resumeCommandLine(session)}
            </Text>
            <Button
              title="Resume in terminal"
              disabled={offline}
              onPress={() =>
                router.push({
                  pathname: '/workspaces/[name]/terminal',
                  params: { name, cmd: JSON.stringify(resumeTerminalCommand(session)), title: `Resume: ${sessionTitle(session)}`.slice(0, 40) },
                })
              }
              testID="resume"
            />
          </>
        ) : null}
        {session ? (
          <View style={styles.actions}>
            <Button title="Rename" kind="secondary" disabled={offline} onPress={() => setRenaming(true)} testID="rename" />
            <Button title="Delete" kind="danger" disabled={offline} busy={remove.isPending} onPress={() => setConfirmingDelete(true)} testID="delete-session" />
          </View>
        ) : null}
        {remove.error ? <Notice tone="error">{errorMessage(remove.error)}</Notice> : null}
        {offline ? <Notice tone="warning">Offline: resuming, renaming and deleting need the agent. {errorMessage(sessions.error)}</Notice> : null}
      </View>
      {session && renaming ? <RenameDialog workspaceName={name} session={session} onClose={() => setRenaming(false)} /> : null}
      {session ? (
        <ConfirmDialog
          visible={confirmingDelete}
          title={`Delete “${sessionTitle(session)}”?`}
          message={`Its transcript is removed from ${name}, so ${agentName(session.agent)} cannot resume it either. This cannot be undone.`}
          confirmTitle="Delete"
          onCancel={() => setConfirmingDelete(false)}
          onConfirm={() => {
            setConfirmingDelete(false);
            remove.mutate(session, {
              onSuccess: () => (router.canGoBack() ? router.back() : router.replace({ pathname: '/workspaces/[name]/sessions', params: { name } })),
            });
          }}
        />
      ) : null}
      {newest.isPending && transcript.messages.length === 0 ? (
        <Text style={styles.empty}>Loading messages…</Text>
      ) : newest.isError && transcript.messages.length === 0 ? (
        <View style={styles.banner}>
          <Notice tone="error">
            {errorCode(newest.error) === 'NOT_FOUND' ? 'This session no longer exists in the workspace.' : errorMessage(newest.error)}
          </Notice>
        </View>
      ) : (
        <FlatList<Message>
          testID="conversation"
          inverted
          data={messages}
          keyExtractor={(message, index) => message.id || `at-${index}`}
          contentContainerStyle={styles.list}
          ListEmptyComponent={<Text style={styles.empty}>No messages yet.</Text>}
          ListFooterComponent={
            hasOlder(transcript) ? (
              <View style={styles.older}>
                {olderError ? <Notice tone="error">{errorMessage(olderError)}</Notice> : null}
                <Button title="Load older messages" kind="secondary" busy={loadingOlder} onPress={() => void loadOlder()} />
              </View>
            ) : null
          }
          renderItem={({ item }) => <MessageBubble message={item} />}
        />
      )}
    </View>
  );
}

function MessageBubble({ message }: { message: Message }) {
  const mine = message.role === 'user';
  return (
    <View style={[styles.bubble, mine ? styles.mine : styles.theirs]} accessibilityLabel={ROLE_LABELS[message.role]} testID={`message-${message.role}`}>
      <Text style={styles.role}>{ROLE_LABELS[message.role]}</Text>
      {message.text ? (
        <Text selectable style={styles.text}>
          {message.text}
        </Text>
      ) : null}
      {message.toolCalls.map((call, index) => (
        <Text key={index} style={styles.tool} numberOfLines={2}>
          {call.name}
          {call.summary ? `: ${call.summary}` : ''}
        </Text>
      ))}
    </View>
  );
}

const styles = StyleSheet.create({
  screen: { flex: 1, backgroundColor: colors.background },
  header: { padding: spacing(4), gap: spacing(2), borderBottomWidth: 1, borderBottomColor: colors.border },
  banner: { padding: spacing(4) },
  name: { color: colors.text, fontSize: 17, fontWeight: '700' },
  meta: { color: colors.muted, fontSize: 13 },
  actions: { flexDirection: 'row', gap: spacing(3) },
  code: { color: colors.text, fontFamily: 'monospace', fontSize: 13 },
  list: { padding: spacing(3), gap: spacing(2) },
  empty: { color: colors.muted, textAlign: 'center', marginTop: spacing(10), fontSize: 15 },
  older: { gap: spacing(2), paddingVertical: spacing(2) },
  bubble: { borderRadius: 10, padding: spacing(3), gap: spacing(1), maxWidth: '92%' },
  mine: { alignSelf: 'flex-end', backgroundColor: '#1f3a66' },
  theirs: { alignSelf: 'flex-start', backgroundColor: colors.surface },
  role: { color: colors.muted, fontSize: 12, fontWeight: '600' },
  text: { color: colors.text, fontSize: 15, lineHeight: 21 },
  tool: { color: colors.muted, fontFamily: 'monospace', fontSize: 12 },
});
