import { ORPCError } from '@orpc/client';

import type { ErrorCode, ErrorData, Issue } from './api.gen.ts';

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

/** The structured part of a failed call (which workspace, which fields), when the agent sent one. */
export function errorData(error: unknown): ErrorData | undefined {
  if (errorCode(error) === undefined) return undefined;
  const data = (error as { data?: unknown }).data;
  return typeof data === 'object' && data !== null ? (data as ErrorData) : undefined;
}

/** The workspace a NOT_FOUND says does not exist (not a session or a terminal in it). */
export function missingWorkspace(error: unknown): string | undefined {
  return errorCode(error) === 'NOT_FOUND' ? errorData(error)?.workspace : undefined;
}

/**
 * What is wrong with each field of the input, keyed by its path (`name`, `limits.cpus`,
 * `command.0`), for a form to show beside the field; '' keys the input as a whole.
 */
export function fieldErrors(error: unknown): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const issue of errorData(error)?.issues ?? ([] as Issue[])) {
    fields[issue.path.join('.')] ??= issue.message;
  }
  return fields;
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
