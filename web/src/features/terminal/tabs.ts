// Terminal tabs of one workspace and their persistence. A shell outlives its socket for a grace
// period, so a tab remembers its terminal id: after a page reload it reattaches to the same
// shell and the agent replays the output. Kept in sessionStorage: it belongs to this browser
// tab (a reload keeps it, a second window starts with its own shells and can attach to these).

export interface TerminalTab {
  /** Stable key for React and for storage; not the terminal id, which arrives later. */
  key: string;
  title: string;
  /** The agent's terminal id once attached; null until then (a new shell is opened). */
  terminalId: string | null;
  /**
   * A program to run instead of a login shell (e.g. resuming a coding-agent session), until the
   * tab has attached: then the terminal id stands for it, and a reload does not run it again.
   */
  command?: string[];
}

export interface TerminalTabsState {
  tabs: TerminalTab[];
  activeKey: string | null;
  /** The number the next "Shell N" title gets. */
  nextNumber: number;
}

export type TerminalTabsAction =
  | { type: 'add'; key: string; terminalId?: string | null; title?: string; command?: string[] }
  | { type: 'close'; key: string }
  | { type: 'select'; key: string }
  | { type: 'attached'; key: string; terminalId: string }
  | { type: 'detached'; key: string };

export function storageKey(workspace: string): string {
  return `perry.terminals.${workspace}`;
}

/** The first visit to a workspace's terminal opens one shell. */
export function initialTabs(newKey: () => string): TerminalTabsState {
  const key = newKey();
  return { tabs: [{ key, title: 'Shell 1', terminalId: null }], activeKey: key, nextNumber: 2 };
}

export function loadTabs(storage: Pick<Storage, 'getItem'>, workspace: string, newKey: () => string): TerminalTabsState {
  let raw: string | null;
  try {
    raw = storage.getItem(storageKey(workspace));
  } catch {
    return initialTabs(newKey);
  }
  if (raw === null) return initialTabs(newKey);
  try {
    const parsed = JSON.parse(raw) as Partial<TerminalTabsState>;
    if (!Array.isArray(parsed.tabs)) return initialTabs(newKey);
    const tabs = parsed.tabs.filter(
      (tab): tab is TerminalTab =>
        typeof tab === 'object' &&
        tab !== null &&
        typeof tab.key === 'string' &&
        typeof tab.title === 'string' &&
        (tab.terminalId === null || typeof tab.terminalId === 'string') &&
        (tab.command === undefined || (Array.isArray(tab.command) && tab.command.every((part) => typeof part === 'string'))),
    );
    const activeKey = tabs.some((tab) => tab.key === parsed.activeKey) ? (parsed.activeKey ?? null) : (tabs[0]?.key ?? null);
    // Named tabs (a resumed session) take no number, so only the "Shell N" tabs bound it.
    const shells = tabs.filter((tab) => /^Shell \d+$/.test(tab.title)).length;
    const nextNumber = typeof parsed.nextNumber === 'number' && Number.isInteger(parsed.nextNumber) && parsed.nextNumber > shells ? parsed.nextNumber : shells + 1;
    return { tabs, activeKey, nextNumber };
  } catch {
    return initialTabs(newKey);
  }
}

export function saveTabs(storage: Pick<Storage, 'setItem'>, workspace: string, state: TerminalTabsState): void {
  try {
    storage.setItem(storageKey(workspace), JSON.stringify(state));
  } catch {
    // Not remembered across reloads; the shells themselves are unaffected.
  }
}

export function tabsReducer(state: TerminalTabsState, action: TerminalTabsAction): TerminalTabsState {
  switch (action.type) {
    case 'add': {
      // Attaching to a shell that already has a tab just shows that tab.
      const existing = action.terminalId ? state.tabs.find((tab) => tab.terminalId === action.terminalId) : undefined;
      if (existing) return { ...state, activeKey: existing.key };
      // Adding the same key twice (a request handled twice) only selects it.
      if (state.tabs.some((tab) => tab.key === action.key)) return { ...state, activeKey: action.key };
      const tab: TerminalTab = {
        key: action.key,
        title: action.title ?? `Shell ${state.nextNumber}`,
        terminalId: action.terminalId ?? null,
        ...(action.command && action.command.length > 0 && !action.terminalId ? { command: action.command } : {}),
      };
      // Named tabs do not use up a "Shell N" number.
      return { tabs: [...state.tabs, tab], activeKey: tab.key, nextNumber: action.title ? state.nextNumber : state.nextNumber + 1 };
    }
    case 'close': {
      const index = state.tabs.findIndex((tab) => tab.key === action.key);
      if (index === -1) return state;
      const tabs = state.tabs.filter((tab) => tab.key !== action.key);
      // Closing the active tab activates its neighbour, as browsers do.
      const activeKey = state.activeKey === action.key ? (tabs[Math.min(index, tabs.length - 1)]?.key ?? null) : state.activeKey;
      return { ...state, tabs, activeKey };
    }
    case 'select':
      return state.tabs.some((tab) => tab.key === action.key) ? { ...state, activeKey: action.key } : state;
    case 'attached':
    case 'detached': {
      const terminalId = action.type === 'attached' ? action.terminalId : null;
      const changes = (tab: TerminalTab) => tab.terminalId !== terminalId || (action.type === 'attached' && tab.command !== undefined);
      if (!state.tabs.some((tab) => tab.key === action.key && changes(tab))) return state;
      return {
        ...state,
        tabs: state.tabs.map((tab) => {
          if (tab.key !== action.key) return tab;
          if (action.type === 'detached') return { ...tab, terminalId };
          // Attached: the command has run; the terminal id stands for it from now on.
          const { command: _ran, ...rest } = tab;
          return { ...rest, terminalId };
        }),
      };
    }
  }
}
