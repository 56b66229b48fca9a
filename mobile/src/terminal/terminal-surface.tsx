// The terminal page in a WebView (iOS, Android). terminal-surface.web.tsx is the same page in an
// iframe for the web build; both take the same props and handle.
import { forwardRef, useImperativeHandle, useRef, useState } from 'react';
import { StyleSheet, View, type StyleProp, type ViewStyle } from 'react-native';
import { WebView } from 'react-native-webview';

import { parsePageMessage, type HostMessage, type PageMessage } from './bridge';
import { useTerminalPageHtml } from './page-html';

export interface TerminalSurfaceHandle {
  send(message: HostMessage): void;
}

export interface TerminalSurfaceProps {
  onMessage(message: PageMessage): void;
  style?: StyleProp<ViewStyle>;
}

export const TerminalSurface = forwardRef<TerminalSurfaceHandle, TerminalSurfaceProps>(function TerminalSurface({ onMessage, style }, ref) {
  const webView = useRef<WebView>(null);
  const html = useTerminalPageHtml();
  // The OS may kill the WebView's process (iOS does in the background): a new view loads the
  // page again, and its "ready" reattaches with the whole screen replayed.
  const [generation, setGeneration] = useState(0);
  const reload = () => setGeneration((current) => current + 1);
  useImperativeHandle(ref, () => ({
    send(message) {
      webView.current?.injectJavaScript(`window.perryReceive && window.perryReceive(${JSON.stringify(message)});true;`);
    },
  }));
  if (html === null) return <View style={[styles.loading, style]} testID="terminal-surface" />;
  return (
    <WebView
      key={generation}
      ref={webView}
      testID="terminal-surface"
      style={style}
      source={{ html }}
      originWhitelist={['*']}
      onMessage={(event) => {
        const message = parsePageMessage(event.nativeEvent.data);
        if (message) onMessage(message);
      }}
      // The terminal takes the keyboard when it is tapped, like a text field.
      keyboardDisplayRequiresUserAction={false}
      hideKeyboardAccessoryView
      scrollEnabled={false}
      bounces={false}
      overScrollMode="never"
      setSupportMultipleWindows={false}
      javaScriptEnabled
      onContentProcessDidTerminate={reload}
      onRenderProcessGone={reload}
    />
  );
});

const styles = StyleSheet.create({ loading: { flex: 1, backgroundColor: '#0a0a0b' } });
