// The terminal screen's surface (src/terminal/terminal-surface: xterm.js in a WebView) as the
// screen tests use it: a stand-in that records what the app sends the page (`page.received`), and
// `fromPage` posts to the app what the page would. A test file swaps it in with
//   jest.mock('../src/terminal/terminal-surface', () => jest.requireActual('./terminal-surface-stand-in'));
// and calls `resetPage` before each test. The real page runs in Chromium (web/e2e/mobile-*.e2e.ts).
import { act } from 'expo-router/testing-library';
import { forwardRef, useImperativeHandle } from 'react';
import { View } from 'react-native';

import type { HostMessage, PageMessage } from '../src/terminal/bridge';
import type { TerminalSurfaceHandle, TerminalSurfaceProps } from '../src/terminal/terminal-surface';

/** What the app sent the page, and where the page posts to the app (once the screen rendered it). */
export const page: { onMessage: ((message: PageMessage) => void) | null; received: HostMessage[] } = { onMessage: null, received: [] };

export const TerminalSurface = forwardRef<TerminalSurfaceHandle, TerminalSurfaceProps>(function FakeSurface(props, ref) {
  page.onMessage = props.onMessage;
  useImperativeHandle(ref, () => ({ send: (message: HostMessage) => page.received.push(message) }));
  return <View testID="terminal-surface" />;
});

/** The page posts `message` to the app. */
export function fromPage(message: PageMessage): void {
  act(() => page.onMessage?.(message));
}

/** Forgets the last test's page. */
export function resetPage(): void {
  page.onMessage = null;
  page.received = [];
}
