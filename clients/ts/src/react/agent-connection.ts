import type { PerryClient } from '../client.ts';

/**
 * The agent a hook talks to. The web UI has one (the agent that served the page); the phone app
 * the active one of its saved agents, or none yet.
 */
export interface AgentConnection {
  /** The typed client; null while no agent is connected, and then nothing is asked. */
  client: PerryClient | null;
  /** The agent's base URL: where sockets go, and part of every cache key (a device may know several agents). */
  url: string | null;
  token: string | null;
  /**
   * The agent closed a socket opened with `token` because that token was revoked (4001): the
   * hooks stop that socket for good and tell the app, which signs in again.
   */
  onTokenRevoked?: (() => void) | undefined;
}
