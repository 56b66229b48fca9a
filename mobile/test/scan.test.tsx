// The QR scanner with a stand-in camera: pressing it "sees" the code in mockSeen.
import { fireEvent, screen } from 'expo-router/testing-library';

import { INFO, fakeAgent, memoryStorage, renderApp, rpcOk, TOKEN, ALPHA } from './helpers';

let mockPermission = { granted: true, canAskAgain: true };
let mockSeen = '';

jest.mock('expo-camera', () => {
  const { Pressable: MockPressable } = jest.requireActual('react-native');
  return {
    useCameraPermissions: () => [mockPermission, jest.fn()],
    CameraView: ({ onBarcodeScanned }: { onBarcodeScanned?: (result: { data: string }) => void }) => (
      <MockPressable testID="camera" onPress={() => onBarcodeScanned?.({ data: mockSeen })} />
    ),
  };
});

describe('scan', () => {
  beforeEach(() => {
    mockPermission = { granted: true, canAskAgain: true };
  });

  it('connects with the sign-in URL in the QR code', async () => {
    const storage = memoryStorage();
    const agent = fakeAgent({ 'agent/info': () => rpcOk(INFO), 'workspaces/list': () => rpcOk([ALPHA]) });
    renderApp(storage, agent.fetchImpl as unknown as typeof fetch, '/scan');
    mockSeen = `http://devbox:7391/?token=${TOKEN}`;
    fireEvent.press(await screen.findByTestId('camera'));
    expect(await screen.findByText('alpha')).toBeTruthy();
    expect(storage.values['perry.agents']).toContain('http://devbox:7391');
  });

  it('says so when the code is not an agent’s', async () => {
    const agent = fakeAgent({});
    renderApp(memoryStorage(), agent.fetchImpl as unknown as typeof fetch, '/scan');
    mockSeen = 'WIFI:S:home;T:WPA;P:secret;;';
    fireEvent.press(await screen.findByTestId('camera'));
    expect(await screen.findByText(/That QR code is not an agent's/)).toBeTruthy();
    expect(agent.calls).toEqual([]);
  });

  it('asks for the camera first, and says where to turn it on when it may not ask', async () => {
    mockPermission = { granted: false, canAskAgain: true };
    const view = renderApp(memoryStorage(), fakeAgent({}).fetchImpl as unknown as typeof fetch, '/scan');
    expect(await screen.findByTestId('allow-camera')).toBeTruthy();
    view.unmount();
    mockPermission = { granted: false, canAskAgain: false };
    renderApp(memoryStorage(), fakeAgent({}).fetchImpl as unknown as typeof fetch, '/scan');
    expect(await screen.findByText(/allow it in the phone's settings/)).toBeTruthy();
  });
});
