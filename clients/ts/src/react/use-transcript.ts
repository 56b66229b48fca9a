import { useQuery, type UseQueryResult } from '@tanstack/react-query';
import { useCallback, useEffect, useReducer, useRef, useState } from 'react';

import type { MessagesPage } from '../api.gen.ts';
import { errorCode } from '../errors.ts';
import { EMPTY_TRANSCRIPT, MESSAGES_PAGE_SIZE, olderPageRequest, transcriptReducer, type Transcript } from '../transcript.ts';
import type { AgentConnection } from './agent-connection.ts';
import { sessionKeys } from './session-keys.ts';

/** A conversation as a screen shows it. */
export interface TranscriptState {
  /** The newest page's query: pending, failed (NOT_FOUND: the session is gone) or there. */
  newest: UseQueryResult<MessagesPage>;
  /** Every message held, oldest first. */
  transcript: Transcript;
  /** Asks for the page before the oldest held message (nothing at the start). */
  loadOlder(): Promise<void>;
  loadingOlder: boolean;
  olderError: unknown;
}

/**
 * One session's conversation: the newest page through React Query, asked again when `version`
 * changes (the live list saw the session move on), and older pages on demand, merged into one
 * transcript.
 */
export function useTranscript(
  agent: AgentConnection,
  workspaceName: string,
  sessionId: string,
  version: string | undefined,
): TranscriptState {
  const { client, url } = agent;
  const [transcript, dispatch] = useReducer(transcriptReducer, EMPTY_TRANSCRIPT);
  const newest = useQuery({
    queryKey: sessionKeys.messages(url, workspaceName, sessionId),
    queryFn: ({ signal }) => {
      if (!client) throw new Error('No agent is connected.');
      return client.sessions.messages({ workspaceName, sessionId, limit: MESSAGES_PAGE_SIZE, offset: 0 }, { signal });
    },
    enabled: client !== null,
    retry: (failureCount, error) => errorCode(error) === 'SERVICE_UNAVAILABLE' && failureCount < 3,
  });
  const { refetch } = newest;

  useEffect(() => {
    if (newest.data) dispatch({ type: 'page', page: newest.data, offset: 0 });
  }, [newest.data]);

  // The session changed (an `updated` event moved its count or time): ask for the newest page again.
  const seenVersion = useRef(version);
  useEffect(() => {
    if (version === undefined || version === seenVersion.current) return;
    const first = seenVersion.current === undefined;
    seenVersion.current = version;
    // The first version is the list arriving (a reload on this page), not a change.
    if (!first) void refetch();
  }, [version, refetch]);

  const [older, setOlder] = useState<{ loading: boolean; error: unknown }>({ loading: false, error: null });
  const loadOlder = useCallback(async () => {
    const request = olderPageRequest(transcript);
    if (!request || !client) return;
    setOlder({ loading: true, error: null });
    try {
      const page = await client.sessions.messages({ workspaceName, sessionId, ...request });
      dispatch({ type: 'page', page, offset: request.offset });
      setOlder({ loading: false, error: null });
    } catch (error) {
      setOlder({ loading: false, error });
    }
  }, [client, workspaceName, sessionId, transcript]);

  return { newest, transcript, loadOlder, loadingOlder: older.loading, olderError: older.error };
}
