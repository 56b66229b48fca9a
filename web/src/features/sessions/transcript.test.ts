import type { Message, MessagesPage } from '@perry/client';
import { describe, expect, it } from 'vitest';

import { addPage, EMPTY_TRANSCRIPT, hasOlder, olderPageRequest, pageStart, type Transcript } from '@perry/client';

const msg = (n: number, text = `m${n}`): Message => ({ id: `m${n}`, role: n % 2 ? 'assistant' : 'user', text, toolCalls: [], timestamp: '' });

/** What the agent answers for a session of `total` messages m0…m(total-1). */
function serve(total: number, offset: number, limit: number): MessagesPage {
  const end = Math.max(0, total - offset);
  const start = Math.max(0, end - limit);
  return { messages: Array.from({ length: end - start }, (_, i) => msg(start + i)), total, hasMore: start > 0 };
}

const ids = (t: Transcript) => t.messages.map((m) => m.id);

describe('paging through a conversation', () => {
  it('starts with the newest page and asks for older ones at offset += page size', () => {
    let t = addPage(EMPTY_TRANSCRIPT, serve(120, 0, 50), 0);
    expect(ids(t)).toEqual(Array.from({ length: 50 }, (_, i) => `m${70 + i}`));
    expect(hasOlder(t)).toBe(true);
    expect(olderPageRequest(t, 50)).toEqual({ offset: 50, limit: 50 });
    t = addPage(t, serve(120, 50, 50), 50);
    expect(t.messages[0]?.id).toBe('m20');
    expect(olderPageRequest(t, 50)).toEqual({ offset: 100, limit: 20 });
    t = addPage(t, serve(120, 100, 20), 100);
    expect(ids(t)).toEqual(Array.from({ length: 120 }, (_, i) => `m${i}`));
    expect(hasOlder(t)).toBe(false);
    expect(olderPageRequest(t, 50)).toBeNull();
  });

  it('a short session fits one page', () => {
    const t = addPage(EMPTY_TRANSCRIPT, serve(3, 0, 50), 0);
    expect(ids(t)).toEqual(['m0', 'm1', 'm2']);
    expect(hasOlder(t)).toBe(false);
  });

  it('refreshing the newest page appends new messages and keeps the older ones', () => {
    let t = addPage(EMPTY_TRANSCRIPT, serve(60, 0, 50), 0); // m10…m59
    t = addPage(t, serve(60, 50, 50), 50); // m0…m9
    t = addPage(t, serve(62, 0, 50), 0); // two new: m12…m61
    expect(ids(t)).toEqual(Array.from({ length: 62 }, (_, i) => `m${i}`));
    expect(t.total).toBe(62);
  });

  it('counts new messages into the offset of the next older page', () => {
    let t = addPage(EMPTY_TRANSCRIPT, serve(120, 0, 50), 0); // m70…m119
    t = addPage(t, serve(125, 0, 50), 0); // five new arrived: m75…m124
    expect(t.oldestIndex).toBe(70);
    // Without the five new ones this would be offset 50; it must skip them too.
    expect(olderPageRequest(t, 50)).toEqual({ offset: 55, limit: 50 });
    t = addPage(t, serve(125, 55, 50), 55);
    expect(ids(t)).toEqual(Array.from({ length: 105 }, (_, i) => `m${20 + i}`));
  });

  it('a message seen again replaces its old copy (the tool rewrote it)', () => {
    let t = addPage(EMPTY_TRANSCRIPT, serve(3, 0, 50), 0);
    const page = serve(3, 0, 50);
    page.messages[2] = msg(2, 'edited');
    t = addPage(t, page, 0);
    expect(t.messages.map((m) => m.text)).toEqual(['m0', 'm1', 'edited']);
  });

  it('starts over from the newest page when so much arrived that a gap would open', () => {
    let t = addPage(EMPTY_TRANSCRIPT, serve(100, 0, 50), 0); // m50…m99
    t = addPage(t, serve(300, 0, 50), 0); // m250…m299
    expect(ids(t)[0]).toBe('m250');
    expect(t.messages).toHaveLength(50);
    expect(olderPageRequest(t, 50)).toEqual({ offset: 50, limit: 50 });
  });

  it('pageStart is the absolute position of a page’s first message', () => {
    expect(pageStart(serve(120, 50, 50), 50)).toBe(20);
    expect(pageStart(serve(10, 0, 50), 0)).toBe(0);
  });
});
