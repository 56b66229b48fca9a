import { Redirect } from 'expo-router';
import { ActivityIndicator, View } from 'react-native';

import { useAgents } from '../src/agents/agents-context';
import { colors } from '../src/ui/theme';

/** The workspaces of the active agent, or the connect screen when there is none yet. */
export default function Index() {
  const { loaded, active } = useAgents();
  if (!loaded) {
    return (
      <View style={{ flex: 1, alignItems: 'center', justifyContent: 'center', backgroundColor: colors.background }}>
        <ActivityIndicator color={colors.accent} />
      </View>
    );
  }
  return <Redirect href={active ? '/workspaces' : '/connect'} />;
}
