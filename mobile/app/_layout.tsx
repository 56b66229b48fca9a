import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { Stack } from 'expo-router';
import { StatusBar } from 'expo-status-bar';
import { useState } from 'react';

import { AgentsProvider } from '../src/agents/agents-context';
import { deviceStorage } from '../src/agents/storage';
import { colors } from '../src/ui/theme';

export default function RootLayout() {
  const [queryClient] = useState(
    () => new QueryClient({ defaultOptions: { queries: { retry: 1, staleTime: 2000 } } }),
  );
  const [storage] = useState(deviceStorage);
  return (
    <QueryClientProvider client={queryClient}>
      <AgentsProvider storage={storage}>
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
          <Stack.Screen name="workspaces/index" options={{ title: 'Workspaces' }} />
          <Stack.Screen name="workspaces/new" options={{ title: 'New workspace', presentation: 'modal' }} />
          <Stack.Screen name="workspaces/[name]" options={{ title: 'Workspace' }} />
        </Stack>
      </AgentsProvider>
    </QueryClientProvider>
  );
}
