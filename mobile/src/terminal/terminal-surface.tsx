// The terminal page in a WebView (iOS, Android). terminal-surface.web.tsx is the same page in an
// iframe for the web build; both take the same props and handle.
import { forwardRef, useImperativeHandle, useRef } from 'react';
import type { StyleProp, ViewStyle } from 'react-native';
import { WebView } from 'react-native-webview';

import { parsePageMessage, type HostMessage, type PageMessage } from './bridge';
import { TERMINAL_PAGE_HTML } from './page-html.generated';

export interface TerminalSurfaceHandle {
  send(message: HostMessage): void;
}

export interface TerminalSurfaceProps {
  onMessage(message: PageMessage): void;
  style?: StyleProp<ViewStyle>;
}

export const TerminalSurface = forwardRef<TerminalSurfaceHandle, TerminalSurfaceProps>(function TerminalSurface({ onMessage, style }, ref) {
  const webView = useRef<WebView>(null);
  useImperativeHandle(ref, () => ({
    send(message) {
      webView.current?.injectJavaScript(`window.perryReceive && window.perryReceive(${JSON.stringify(message)});true;`);
    },
  }));
  return (
    <WebView
      ref={webView}
      testID="terminal-surface"
      style={style}
      source={{ html: TERMINAL_PAGE_HTML }}
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
    />
  );
});
