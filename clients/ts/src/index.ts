export * from './api.gen.ts';
export { createPerryClient } from './client.ts';
export type { PerryClient, PerryClientOptions } from './client.ts';
export { ORPCError } from '@orpc/client';
