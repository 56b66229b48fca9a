import { CameraView, useCameraPermissions, type BarcodeScanningResult } from 'expo-camera';
import { useRouter } from 'expo-router';
import { useRef } from 'react';
import { StyleSheet, Text, View } from 'react-native';

import { useConnect } from '../src/agents/use-connect';
import { Button, Notice } from '../src/ui/controls';
import { colors, spacing } from '../src/ui/theme';

/**
 * Reads the QR code on the agent page of the web UI (its sign-in URL, token included) and
 * connects with it, as the connect form does with a pasted URL.
 */
export default function ScanScreen() {
  const router = useRouter();
  const [permission, requestPermission] = useCameraPermissions();
  const { connect, busy, failure, addressError } = useConnect();
  // The camera reports the same code many times a second: one check at a time.
  const handling = useRef(false);

  async function scanned({ data }: BarcodeScanningResult) {
    if (handling.current || busy) return;
    handling.current = true;
    try {
      if (await connect(data)) router.replace('/workspaces');
    } finally {
      handling.current = false;
    }
  }

  if (!permission) return <View style={styles.screen} />;
  if (!permission.granted) {
    return (
      <View style={[styles.screen, styles.padded]}>
        <Text style={styles.text}>
          Perry needs the camera to read the QR code on the agent page of the web UI. Nothing is recorded.
        </Text>
        {permission.canAskAgain ? (
          <Button title="Allow the camera" onPress={() => void requestPermission()} testID="allow-camera" />
        ) : (
          <Notice tone="warning">The camera is turned off for Perry: allow it in the phone's settings, or paste the URL instead.</Notice>
        )}
      </View>
    );
  }
  return (
    <View style={styles.screen}>
      <CameraView
        style={styles.camera}
        facing="back"
        barcodeScannerSettings={{ barcodeTypes: ['qr'] }}
        onBarcodeScanned={busy ? undefined : scanned}
        testID="camera"
      />
      <View style={[styles.padded, styles.status]}>
        {busy ? <Notice tone="info">Checking the agent…</Notice> : null}
        {addressError ? <Notice tone="error">{`That QR code is not an agent's: ${addressError}`}</Notice> : null}
        {failure ? <Notice tone="error">{failure}</Notice> : null}
        {!busy && !failure && !addressError ? (
          <Text style={styles.text}>Point the camera at the QR code on the agent page of Perry's web UI.</Text>
        ) : null}
      </View>
    </View>
  );
}

const styles = StyleSheet.create({
  screen: { flex: 1, backgroundColor: colors.background },
  padded: { padding: spacing(5), gap: spacing(4) },
  camera: { flex: 1 },
  status: { minHeight: 120 },
  text: { color: colors.text, fontSize: 15, lineHeight: 21 },
});
