import { isUnauthorized } from '@perry/client';

import { createApiClient } from '@/lib/api';

/** Whether the agent that served this page accepts `token` (asked with `agent.info`); rejects when it cannot tell. */
export async function agentAcceptsToken(token: string): Promise<boolean> {
  try {
    await createApiClient(token).agent.info();
    return true;
  } catch (error) {
    if (isUnauthorized(error)) return false;
    throw error;
  }
}
