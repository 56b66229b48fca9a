import type { ErrorCode, ErrorData } from '@perry/client';
import { vi } from 'vitest';

const STATUS: Record<ErrorCode, number> = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_SUPPORTED: 405,
  TIMEOUT: 408,
  CONFLICT: 409,
  PRECONDITION_FAILED: 412,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNPROCESSABLE_CONTENT: 422,
  TOO_MANY_REQUESTS: 429,
  INTERNAL_SERVER_ERROR: 500,
  NOT_IMPLEMENTED: 501,
  BAD_GATEWAY: 502,
  SERVICE_UNAVAILABLE: 503,
  GATEWAY_TIMEOUT: 504,
};

/** What a fake procedure answers: a value, or an oRPC error as the agent sends it. */
export class AgentError {
  constructor(
    readonly code: ErrorCode,
    readonly message: string,
    readonly data: ErrorData | null = null,
  ) {}
}

export type Procedure = (input: unknown, request: { token: string | null }) => unknown;

export interface FakeAgent {
  /** Every call made, as "workspaces/list" paths with their input and token. */
  calls: { path: string; input: unknown; token: string | null }[];
  fetch: ReturnType<typeof vi.fn>;
}

/**
 * Stubs the global fetch with an agent that speaks oRPC's RPC protocol (`POST /rpc/a/b`,
 * `{"json": input}` in, `{"json": output}` or an error body out), answering from `procedures`.
 * Calls to procedures not listed fail with NOT_FOUND, so a test notices a call it did not expect.
 */
export function installFakeAgent(procedures: Record<string, Procedure>): FakeAgent {
  const calls: FakeAgent['calls'] = [];
  const fetchMock = vi.fn(async (request: Request | string, init?: RequestInit) => {
    const req = typeof request === 'string' ? new Request(request, init) : request;
    const url = new URL(req.url);
    const path = url.pathname.replace(/^\/rpc\//, '');
    const authorization = req.headers.get('authorization');
    const token = authorization?.startsWith('Bearer ') ? authorization.slice(7) : null;
    const text = await req.text();
    const body = text ? (JSON.parse(text) as { json?: unknown }) : {};
    calls.push({ path, input: body.json, token });
    const procedure = procedures[path];
    let result: unknown;
    try {
      result = procedure ? await procedure(body.json, { token }) : new AgentError('NOT_FOUND', `no procedure ${path}`);
    } catch (error) {
      result = error;
    }
    if (result instanceof AgentError) {
      const status = STATUS[result.code];
      return new Response(JSON.stringify({ json: { defined: true, code: result.code, status, message: result.message, data: result.data } }), {
        status,
        headers: { 'content-type': 'application/json' },
      });
    }
    return new Response(JSON.stringify(result === undefined ? {} : { json: result }), {
      status: 200,
      headers: { 'content-type': 'application/json' },
    });
  });
  vi.stubGlobal('fetch', fetchMock);
  return { calls, fetch: fetchMock };
}

/** A procedure that answers only to `token`, like an agent with auth on. */
export function withToken(token: string, procedure: Procedure): Procedure {
  return (input, request) => (request.token === token ? procedure(input, request) : new AgentError('UNAUTHORIZED', 'Missing or invalid token.'));
}
