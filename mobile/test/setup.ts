// react-native-webview needs its native module, which jest has not: screens that hold a terminal
// render a plain View in its place (the real page runs in Chromium, web/e2e/mobile-app.e2e.ts).
jest.mock('react-native-webview', () => {
  const { View } = jest.requireActual<typeof import('react-native')>('react-native');
  return { WebView: View };
});

// The page's HTML is loaded with import(), which jest's CommonJS modules cannot do; the stand-in
// WebView above would not run it anyway.
jest.mock('../src/terminal/page-html', () => ({ useTerminalPageHtml: () => '<!doctype html><title>terminal</title>' }));

// expo-notifications' native side is not in jest: a stand-in that records what the app shows
// and lets a test tap a notification (`tap`), as the phone would deliver it.
jest.mock('expo-notifications', () => jest.requireActual('./notifications-stand-in'));
