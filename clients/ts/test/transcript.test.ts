import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import type { Message, MessagesPage, Transcript } from '../src/index.ts';
import { addPage, EMPTY_TRANSCRIPT, hasOlder, olderPageRequest, pageStart, transcriptReducer } from '../src/index.ts';

const msg = (n: number, text = `m${n}`): Message => ({ id: `m${n}`, role: n % 2 ? 'assistant' : 'user', text, toolCalls: [], timestamp: '' });

/** What the agent answers for a session of `total` messages m0…m(total-1). */
function serve(total: number, offset: number, limit: number): MessagesPage {
  const end = Math.max(0, total - offset);
  const start = Math.max(0, end - limit);
  return { messages: Array.from({ length: end - start }, (_, i) => msg(start + i)), total, hasMore: start > 0 };
}

const ids = (t: Transcript) => t.messages.map((m) => m.id);

describe('paging through a conversation', () => {
  test('starts with the newest page and asks for older ones at offset += page size', () => {
    let t = addPage(EMPTY_TRANSCRIPT, serve(120, 0, 50), 0);
    assert.deepEqual(ids(t), Array.from({ length: 50 }, (_, i) => `m${70 + i}`));
    assert.equal(hasOlder(t), true);
    assert.deepEqual(olderPageRequest(t, 50), { offset: 50, limit: 50 });
    t = addPage(t, serve(120, 50, 50), 50);
    assert.equal(t.messages[0]?.id, 'm20');
    assert.deepEqual(olderPageRequest(t, 50), { offset: 100, limit: 20 });
    t = addPage(t, serve(120, 100, 20), 100);
    assert.deepEqual(ids(t), Array.from({ length: 120 }, (_, i) => `m${i}`));
    assert.equal(hasOlder(t), false);
    assert.equal(olderPageRequest(t, 50), null);
  });

  test('a short session fits one page', () => {
    const t = addPage(EMPTY_TRANSCRIPT, serve(3, 0, 50), 0);
    assert.deepEqual(ids(t), ['m0', 'm1', 'm2']);
    assert.equal(hasOlder(t), false);
  });

  test('refreshing the newest page appends new messages and keeps the older ones', () => {
    let t = addPage(EMPTY_TRANSCRIPT, serve(60, 0, 50), 0); // m10…m59
    t = addPage(t, serve(60, 50, 50), 50); // m0…m9
    t = addPage(t, serve(62, 0, 50), 0); // two new: m12…m61
    assert.deepEqual(ids(t), Array.from({ length: 62 }, (_, i) => `m${i}`));
    assert.equal(t.total, 62);
  });

  test('counts new messages into the offset of the next older page', () => {
    let t = addPage(EMPTY_TRANSCRIPT, serve(120, 0, 50), 0); // m70…m119
    t = addPage(t, serve(125, 0, 50), 0); // five new arrived: m75…m124
    assert.equal(t.oldestIndex, 70);
    // Without the five new ones this would be offset 50; it must skip them too.
    assert.deepEqual(olderPageRequest(t, 50), { offset: 55, limit: 50 });
    t = addPage(t, serve(125, 55, 50), 55);
    assert.deepEqual(ids(t), Array.from({ length: 105 }, (_, i) => `m${20 + i}`));
  });

  test('a message seen again replaces its old copy (the tool rewrote it)', () => {
    let t = addPage(EMPTY_TRANSCRIPT, serve(3, 0, 50), 0);
    const page = serve(3, 0, 50);
    page.messages[2] = msg(2, 'edited');
    t = addPage(t, page, 0);
    assert.deepEqual(t.messages.map((m) => m.text), ['m0', 'm1', 'edited']);
  });

  test('starts over from the newest page when so much arrived that a gap would open', () => {
    let t = addPage(EMPTY_TRANSCRIPT, serve(100, 0, 50), 0); // m50…m99
    t = addPage(t, serve(300, 0, 50), 0); // m250…m299
    assert.equal(ids(t)[0], 'm250');
    assert.equal(t.messages.length, 50);
    assert.deepEqual(olderPageRequest(t, 50), { offset: 50, limit: 50 });
  });

  test('pageStart is the absolute position of a page’s first message', () => {
    assert.equal(pageStart(serve(120, 50, 50), 50), 20);
    assert.equal(pageStart(serve(10, 0, 50), 0), 0);
  });
});

test('transcriptReducer adds a page, and reset starts over', () => {
  const page: MessagesPage = { messages: [msg(2, 'hi')], total: 1, hasMore: false };
  const held = transcriptReducer(EMPTY_TRANSCRIPT, { type: 'page', page, offset: 0 });
  assert.deepEqual(held, addPage(EMPTY_TRANSCRIPT, page, 0));
  assert.equal(held.messages.length, 1);
  assert.equal(transcriptReducer(held, { type: 'reset' }), EMPTY_TRANSCRIPT);
});
