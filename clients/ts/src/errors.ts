import { ORPCError } from '@orpc/client';

import type { ErrorCode } from './api.gen.ts';

/**
 * The oRPC error code of a failed call, or undefined for anything else (a network failure, a bug).
 * Duck-typed as well as `instanceof`, because a second copy of @orpc/client (tests, a linked
 * package) would make `instanceof` miss.
 */
export function errorCode(error: unknown): ErrorCode | undefined {
  if (error instanceof ORPCError) return error.code as ErrorCode;
  if (typeof error === 'object' && error !== null && 'code' in error && 'status' in error) {
    const code = (error as { code: unknown }).code;
    if (typeof code === 'string' && /^[A-Z_]+$/.test(code)) return code as ErrorCode;
  }
  return undefined;
}

export function isUnauthorized(error: unknown): boolean {
  return errorCode(error) === 'UNAUTHORIZED';
}

/** A sentence for people: the server's own message when it sent one. */
export function errorMessage(error: unknown): string {
  if (errorCode(error) !== undefined && error instanceof Error && error.message) return error.message;
  // fetch fails with a TypeError when nothing answers (its message differs by platform).
  if (error instanceof TypeError) return 'Cannot reach the Perry agent. Is it running?';
  if (error instanceof Error && error.message) return error.message;
  return 'Something went wrong.';
}

/** Client errors (4xx) do not get better by asking again; network failures and 5xx might. */
export function isRetryable(error: unknown): boolean {
  const code = errorCode(error);
  if (code === undefined) return true;
  return code === 'SERVICE_UNAVAILABLE' || code === 'TIMEOUT' || code === 'INTERNAL_SERVER_ERROR';
}
