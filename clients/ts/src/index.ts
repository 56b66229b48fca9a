export * from './api.gen.ts';
export { createPerryClient } from './client.ts';
export type { PerryClient, PerryClientOptions } from './client.ts';
export { ORPCError } from '@orpc/client';
export { errorCode, errorMessage, isRetryable, isUnauthorized } from './errors.ts';
export { sshCommand } from './ssh.ts';
export { validateWorkspaceName, WORKSPACE_NAME_PATTERN, WORKSPACE_NAME_RULE } from './workspace-name.ts';
