import { useState } from 'react';

import { parseAgentAddress } from './agent-url';
import { useAgents } from './agents-context';
import { checkAgent, connectErrorMessage } from './check';

/**
 * Checks an address and token against the agent and saves them when it answers: the connect
 * form and the QR scanner both come here.
 */
export function useConnect() {
  const { save } = useAgents();
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<string | null>(null);
  const [addressError, setAddressError] = useState<string | null>(null);

  /** Resolves to whether the agent was saved (and made active). */
  async function connect(address: string, typedToken = ''): Promise<boolean> {
    const parsed = parseAgentAddress(address);
    if ('error' in parsed) {
      setAddressError(parsed.error);
      return false;
    }
    setAddressError(null);
    const token = (typedToken.trim() || parsed.token) ?? '';
    if (token === '') {
      setFailure('Paste the token too: perry agent run prints it as "Token:".');
      return false;
    }
    setBusy(true);
    setFailure(null);
    try {
      const info = await checkAgent(parsed.url, token);
      await save({ url: parsed.url, token, hostname: info.hostname });
      return true;
    } catch (error) {
      setFailure(connectErrorMessage(error, parsed.url));
      return false;
    } finally {
      setBusy(false);
    }
  }

  return {
    connect,
    busy,
    failure,
    addressError,
    clearAddressError: () => setAddressError(null),
  };
}
