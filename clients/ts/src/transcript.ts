// Paging through a conversation. `sessions.messages` counts pages from the newest message
// (offset = how many of the newest to skip) and returns each page oldest first. New messages
// arrive at the end while the view is open, which shifts every offset; so the view remembers
// absolute positions (0 = the first message of the session) and derives the offset of the next
// older page from the total the agent last reported.

import type { Message, MessagesPage } from './api.gen.ts';

export const MESSAGES_PAGE_SIZE = 50;

export interface Transcript {
  /** Oldest first, each id once. */
  messages: Message[];
  /** The session's message count in the agent's last answer. */
  total: number;
  /** Absolute position of the oldest message held; 0 when the start is loaded. */
  oldestIndex: number;
}

export const EMPTY_TRANSCRIPT: Transcript = { messages: [], total: 0, oldestIndex: 0 };

/** Where a page starts, from the total, its offset from the newest, and its length. */
export function pageStart(page: Pick<MessagesPage, 'total' | 'messages'>, offset: number): number {
  return Math.max(0, page.total - offset - page.messages.length);
}

/**
 * Merges messages by id, oldest first: a message seen again replaces its old copy (the tool may
 * have rewritten it); messages without an id are kept as they are.
 */
function merge(older: readonly Message[], newer: readonly Message[]): Message[] {
  const newerIds = new Set(newer.map((message) => message.id).filter(Boolean));
  return [...older.filter((message) => !message.id || !newerIds.has(message.id)), ...newer];
}

/**
 * The transcript after a page arrived. `offset` is the one the page was asked with. The newest
 * page (offset 0) refreshes the end; an older page is put in front.
 */
export function addPage(transcript: Transcript, page: MessagesPage, offset: number): Transcript {
  const start = pageStart(page, offset);
  if (offset === 0) {
    // Nothing held yet, or so many new messages that a gap would open after the held ones:
    // start over from this page (older ones load again on demand).
    if (transcript.messages.length === 0 || start > transcript.total) {
      return { messages: [...page.messages], total: page.total, oldestIndex: start };
    }
    // A held message older than this page stays; one inside its range is replaced by the page's copy.
    return { messages: merge(transcript.messages, page.messages), total: page.total, oldestIndex: Math.min(transcript.oldestIndex, start) };
  }
  return {
    messages: merge(page.messages, transcript.messages),
    total: Math.max(transcript.total, page.total),
    oldestIndex: Math.min(transcript.oldestIndex, start),
  };
}

/** Whether messages older than those held remain. */
export function hasOlder(transcript: Transcript): boolean {
  return transcript.oldestIndex > 0;
}

/**
 * The request for the page before the oldest held message, or null at the start. Without new
 * messages in between this is offset += page size.
 */
export function olderPageRequest(transcript: Transcript, pageSize: number = MESSAGES_PAGE_SIZE): { offset: number; limit: number } | null {
  if (!hasOlder(transcript)) return null;
  return { offset: Math.max(0, transcript.total - transcript.oldestIndex), limit: Math.min(pageSize, transcript.oldestIndex) };
}

/** What happens to a held transcript: a page arrived (asked with `offset`), or start over. */
export type TranscriptAction = { type: 'page'; page: MessagesPage; offset: number } | { type: 'reset' };

/** The transcript after `action`, for useReducer. */
export function transcriptReducer(state: Transcript, action: TranscriptAction): Transcript {
  return action.type === 'reset' ? EMPTY_TRANSCRIPT : addPage(state, action.page, action.offset);
}
