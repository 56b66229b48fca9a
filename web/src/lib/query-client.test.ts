import { ORPCError } from '@perry/client';
import { describe, expect, it, vi } from 'vitest';

import { createQueryClient } from './query-client';

function setup() {
  const onUnauthorized = vi.fn();
  const onMutationError = vi.fn();
  const client = createQueryClient({ onUnauthorized, onMutationError });
  client.setDefaultOptions({ queries: { retry: false } });
  return { client, onUnauthorized, onMutationError };
}

describe('createQueryClient', () => {
  it('signs out when any query is answered UNAUTHORIZED', async () => {
    const { client, onUnauthorized } = setup();
    await expect(
      client.fetchQuery({ queryKey: ['x'], queryFn: () => Promise.reject(new ORPCError('UNAUTHORIZED', { status: 401, message: 'bad token' })) }),
    ).rejects.toThrow('bad token');
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
  });

  it('does not sign out on other query errors, and leaves them to the component (no toast)', async () => {
    const { client, onUnauthorized, onMutationError } = setup();
    await expect(
      client.fetchQuery({ queryKey: ['y'], queryFn: () => Promise.reject(new ORPCError('SERVICE_UNAVAILABLE', { message: 'Docker is down' })) }),
    ).rejects.toThrow();
    expect(onUnauthorized).not.toHaveBeenCalled();
    expect(onMutationError).not.toHaveBeenCalled();
  });

  it('signs out on an UNAUTHORIZED mutation without a toast', async () => {
    const { client, onUnauthorized, onMutationError } = setup();
    const mutation = client.getMutationCache().build(client, {
      mutationFn: () => Promise.reject(new ORPCError('UNAUTHORIZED', { message: 'no' })),
    });
    await expect(mutation.execute(undefined)).rejects.toThrow();
    expect(onUnauthorized).toHaveBeenCalledTimes(1);
    expect(onMutationError).not.toHaveBeenCalled();
  });

  it("toasts a failed mutation with the server's message", async () => {
    const { client, onMutationError } = setup();
    const mutation = client.getMutationCache().build(client, {
      mutationFn: () => Promise.reject(new ORPCError('CONFLICT', { message: 'The workspace is already stopped.' })),
      meta: { errorTitle: 'Could not stop alpha' },
    });
    await expect(mutation.execute(undefined)).rejects.toThrow();
    expect(onMutationError).toHaveBeenCalledWith('Could not stop alpha', 'The workspace is already stopped.');
  });

  it('does not toast a mutation whose component shows its errors', async () => {
    const { client, onMutationError } = setup();
    const mutation = client.getMutationCache().build(client, {
      mutationFn: () => Promise.reject(new ORPCError('CONFLICT', { message: 'taken' })),
      meta: { handlesErrors: true },
    });
    await expect(mutation.execute(undefined)).rejects.toThrow();
    expect(onMutationError).not.toHaveBeenCalled();
  });

  it('retries network failures and 503s, but not client errors', () => {
    const client = createQueryClient({ onUnauthorized: vi.fn(), onMutationError: vi.fn() });
    const retry = client.getDefaultOptions().queries?.retry;
    expect(typeof retry).toBe('function');
    const shouldRetry = retry as (count: number, error: unknown) => boolean;
    expect(shouldRetry(0, new TypeError('Failed to fetch'))).toBe(true);
    expect(shouldRetry(0, new ORPCError('SERVICE_UNAVAILABLE'))).toBe(true);
    expect(shouldRetry(0, new ORPCError('NOT_FOUND'))).toBe(false);
    expect(shouldRetry(0, new ORPCError('UNAUTHORIZED'))).toBe(false);
    expect(shouldRetry(2, new TypeError('Failed to fetch'))).toBe(false);
  });
});
