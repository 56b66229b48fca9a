import { AgentPage } from '@/features/agent/agent-page';

export function AgentRoute() {
  return <AgentPage />;
}
