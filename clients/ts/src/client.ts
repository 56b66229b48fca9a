import { createORPCClient } from '@orpc/client';
import { RPCLink } from '@orpc/client/fetch';
import type { ContractRouterClient } from '@orpc/contract';

import { contract } from './api.gen.ts';

/** A typed client for every procedure of a Perry agent. */
export type PerryClient = ContractRouterClient<typeof contract>;

export interface PerryClientOptions {
  /** The agent's base URL, e.g. `http://127.0.0.1:7391` (procedures live under `/rpc`). */
  url: string;
  /** The agent's bearer token (`auth.token` in the agent's config.json). */
  token?: string | undefined;
  /** A `fetch` to use instead of the global one (proxies, custom TLS, tracing in tests). */
  fetch?: ((request: Request, init?: RequestInit) => Promise<Response>) | undefined;
}

/** Creates a client that calls the agent over oRPC's RPC protocol (`POST <url>/rpc/<path>`). */
export function createPerryClient({ url, token, fetch }: PerryClientOptions): PerryClient {
  const link = new RPCLink({
    url: url.replace(/\/+$/, '') + '/rpc',
    headers: token ? { authorization: 'Bearer ' + token } : {},
    ...(fetch ? { fetch: (request: Request, init: RequestInit) => fetch(request, init) } : {}),
  });
  return createORPCClient<PerryClient>(link);
}
