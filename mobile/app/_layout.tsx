import { QueryClientProvider } from '@tanstack/react-query';
import { Stack } from 'expo-router';
import { StatusBar } from 'expo-status-bar';
import { useState } from 'react';

import { AgentsProvider } from '../src/agents/agents-context';
import { AttentionProvider } from '../src/attention/attention-context';
import { deviceCache, deviceSecrets } from '../src/agents/storage';
import { createQueryClient } from '../src/query-client';
import { colors } from '../src/ui/theme';

export default function RootLayout() {
  const [queryClient] = useState(() => createQueryClient());
  const [storage] = useState(deviceSecrets);
  const [cache] = useState(deviceCache);
  return (
    <QueryClientProvider client={queryClient}>
      <AgentsProvider storage={storage} cache={cache}>
        <AttentionProvider>
        <StatusBar style="light" />
        <Stack
          screenOptions={{
            headerStyle: { backgroundColor: colors.surface },
            headerTintColor: colors.text,
            contentStyle: { backgroundColor: colors.background },
          }}
        >
          <Stack.Screen name="index" options={{ headerShown: false }} />
          <Stack.Screen name="connect" options={{ title: 'Agents' }} />
          <Stack.Screen name="scan" options={{ title: 'Scan QR code' }} />
          <Stack.Screen name="workspaces/index" options={{ title: 'Workspaces' }} />
          <Stack.Screen name="workspaces/new" options={{ title: 'New workspace', presentation: 'modal' }} />
          <Stack.Screen name="workspaces/[name]/index" options={{ title: 'Workspace' }} />
          <Stack.Screen name="workspaces/[name]/terminal" options={{ title: 'Terminal' }} />
          <Stack.Screen name="workspaces/[name]/sessions" options={{ title: 'Sessions' }} />
          <Stack.Screen name="workspaces/[name]/session" options={{ title: 'Session' }} />
          <Stack.Screen name="workspaces/[name]/logs" options={{ title: 'Log' }} />
          <Stack.Screen name="settings" options={{ title: 'Settings' }} />
        </Stack>
        </AttentionProvider>
      </AgentsProvider>
    </QueryClientProvider>
  );
}
