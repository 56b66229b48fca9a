import { describe, expect, it } from 'vitest';

import { memoryStorage } from '@/test/memory-storage';

import { initialTabs, loadTabs, saveTabs, storageKey, tabsReducer, type TerminalTabsState } from './tabs';

function keys() {
  let n = 0;
  return () => `k${++n}`;
}

describe('terminal tabs', () => {
  it('start with one new shell', () => {
    expect(initialTabs(keys())).toEqual({ tabs: [{ key: 'k1', title: 'Shell 1', terminalId: null }], activeKey: 'k1', nextNumber: 2 });
  });

  it('survive a reload with their terminal ids (what makes the reattach work)', () => {
    const storage = memoryStorage();
    let state = initialTabs(keys());
    state = tabsReducer(state, { type: 'attached', key: 'k1', terminalId: 't-1' });
    state = tabsReducer(state, { type: 'add', key: 'k2' });
    state = tabsReducer(state, { type: 'attached', key: 'k2', terminalId: 't-2' });
    saveTabs(storage, 'alpha', state);
    const reloaded = loadTabs(storage, 'alpha', keys());
    expect(reloaded).toEqual(state);
    expect(reloaded.tabs.map((tab) => tab.terminalId)).toEqual(['t-1', 't-2']);
    expect(reloaded.activeKey).toBe('k2');
  });

  it('are kept per workspace', () => {
    const storage = memoryStorage();
    saveTabs(storage, 'alpha', tabsReducer(initialTabs(keys()), { type: 'attached', key: 'k1', terminalId: 't-a' }));
    expect(loadTabs(storage, 'beta', keys()).tabs[0]?.terminalId).toBeNull();
    expect(storage.getItem(storageKey('alpha'))).toContain('t-a');
  });

  it('fall back to one new shell when storage holds garbage', () => {
    const storage = memoryStorage({ [storageKey('alpha')]: '{not json' });
    expect(loadTabs(storage, 'alpha', keys()).tabs).toHaveLength(1);
    const wrongShape = memoryStorage({ [storageKey('alpha')]: JSON.stringify({ tabs: [{ key: 1 }], activeKey: 'zz' }) });
    expect(loadTabs(wrongShape, 'alpha', keys())).toEqual({ tabs: [], activeKey: null, nextNumber: 1 });
  });

  it('number new shells on and activate them', () => {
    let state: TerminalTabsState = initialTabs(keys());
    state = tabsReducer(state, { type: 'add', key: 'b' });
    state = tabsReducer(state, { type: 'add', key: 'c' });
    expect(state.tabs.map((tab) => tab.title)).toEqual(['Shell 1', 'Shell 2', 'Shell 3']);
    expect(state.activeKey).toBe('c');
  });

  it('attaching to a shell that already has a tab selects that tab', () => {
    let state = tabsReducer(initialTabs(keys()), { type: 'attached', key: 'k1', terminalId: 't-1' });
    state = tabsReducer(state, { type: 'add', key: 'other' });
    state = tabsReducer(state, { type: 'add', key: 'dup', terminalId: 't-1' });
    expect(state.tabs).toHaveLength(2);
    expect(state.activeKey).toBe('k1');
  });

  it('closing the active tab activates its neighbour', () => {
    let state = initialTabs(keys());
    state = tabsReducer(state, { type: 'add', key: 'b' });
    state = tabsReducer(state, { type: 'add', key: 'c' });
    state = tabsReducer(state, { type: 'select', key: 'b' });
    state = tabsReducer(state, { type: 'close', key: 'b' });
    expect(state.activeKey).toBe('c');
    state = tabsReducer(state, { type: 'close', key: 'c' });
    expect(state.activeKey).toBe('k1');
    state = tabsReducer(state, { type: 'close', key: 'k1' });
    expect(state).toMatchObject({ tabs: [], activeKey: null });
  });

  it('a lost shell clears the id so the tab opens a new one', () => {
    let state = tabsReducer(initialTabs(keys()), { type: 'attached', key: 'k1', terminalId: 't-1' });
    state = tabsReducer(state, { type: 'detached', key: 'k1' });
    expect(state.tabs[0]?.terminalId).toBeNull();
  });

  it('a tab can run a command under its own title until it has attached', () => {
    let state = initialTabs(keys());
    const command = ['bash', '-lc', 'claude --resume s1'];
    state = tabsReducer(state, { type: 'add', key: 'r1', title: 'Resume: Fix the footer', command });
    expect(state.activeKey).toBe('r1');
    expect(state.tabs[1]).toEqual({ key: 'r1', title: 'Resume: Fix the footer', terminalId: null, command });
    // The same request handled twice opens one tab.
    state = tabsReducer(state, { type: 'add', key: 'r1', title: 'Resume: Fix the footer', command });
    expect(state.tabs).toHaveLength(2);
    // Named tabs leave the shell numbers alone.
    state = tabsReducer(state, { type: 'add', key: 'b' });
    expect(state.tabs[2]?.title).toBe('Shell 2');
    // Once attached the terminal id stands for the command: a reload reattaches instead of running it again.
    state = tabsReducer(state, { type: 'attached', key: 'r1', terminalId: 't-9' });
    expect(state.tabs[1]).toEqual({ key: 'r1', title: 'Resume: Fix the footer', terminalId: 't-9' });
  });

  it('keep a pending command across a reload and drop malformed ones', () => {
    const storage = memoryStorage();
    const command = ['bash', '-lc', 'codex resume x'];
    let state = tabsReducer(initialTabs(keys()), { type: 'add', key: 'r1', title: 'Resume: x', command });
    saveTabs(storage, 'alpha', state);
    state = loadTabs(storage, 'alpha', keys());
    expect(state.tabs[1]).toMatchObject({ key: 'r1', command });
    expect(state.nextNumber).toBe(2);
    const bad = memoryStorage({
      [storageKey('alpha')]: JSON.stringify({ tabs: [{ key: 'x', title: 'T', terminalId: null, command: [1] }], activeKey: 'x', nextNumber: 2 }),
    });
    expect(loadTabs(bad, 'alpha', keys()).tabs).toEqual([]);
  });
});
