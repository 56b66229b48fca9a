// The terminal page in an iframe, for the web build (react-native-webview has no web support).
// The iframe's srcdoc shares the app's origin, and messages go both ways with postMessage.
import { forwardRef, useEffect, useImperativeHandle, useRef } from 'react';
import { StyleSheet, View } from 'react-native';

import { parsePageMessage } from './bridge';
import { useTerminalPageHtml } from './page-html';
import type { TerminalSurfaceHandle, TerminalSurfaceProps } from './terminal-surface';

export type { TerminalSurfaceHandle, TerminalSurfaceProps } from './terminal-surface';

export const TerminalSurface = forwardRef<TerminalSurfaceHandle, TerminalSurfaceProps>(function TerminalSurface({ onMessage, style }, ref) {
  const frame = useRef<HTMLIFrameElement>(null);
  const onMessageRef = useRef(onMessage);
  onMessageRef.current = onMessage;
  const html = useTerminalPageHtml();
  useImperativeHandle(ref, () => ({
    send(message) {
      frame.current?.contentWindow?.postMessage(JSON.stringify(message), '*');
    },
  }));
  useEffect(() => {
    const listener = (event: MessageEvent) => {
      if (!frame.current || event.source !== frame.current.contentWindow) return;
      const message = parsePageMessage(event.data);
      if (message) onMessageRef.current(message);
    };
    window.addEventListener('message', listener);
    return () => window.removeEventListener('message', listener);
  }, []);
  return (
    <View style={[styles.box, style]} testID="terminal-surface">
      {html === null ? null : (
        <iframe ref={frame} title="Terminal" srcDoc={html} style={{ border: 0, width: '100%', height: '100%', display: 'block' }} />
      )}
    </View>
  );
});

const styles = StyleSheet.create({ box: { flex: 1 } });
