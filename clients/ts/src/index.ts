export * from './api.gen.ts';
export { createPerryClient } from './client.ts';
export type { PerryClient, PerryClientOptions } from './client.ts';
export { ORPCError } from '@orpc/client';
export { errorCode, errorData, errorMessage, fieldErrors, isRetryable, isUnauthorized, missingWorkspace } from './errors.ts';
export { sshCommand } from './ssh.ts';
export { cloneDirectory, validateCloneUrl } from './clone-url.ts';
export { validateWorkspaceName, WORKSPACE_NAME_PATTERN, WORKSPACE_NAME_RULE } from './workspace-name.ts';
export * from './terminal-protocol.ts';
export { diagnoseRefusedTerminal, TerminalConnection, TOKEN_REVOKED_MESSAGE } from './terminal-connection.ts';
export type { ConnectionOptions, ConnectionStatus, Diagnosis, TerminalSocket } from './terminal-connection.ts';
export * from './round-trip.ts';
export { noticeLine, skippedOutputNotice } from './terminal-notices.ts';
export { formatBytes } from './format-bytes.ts';
export { LocalEcho, type EchoTerminal, type LocalEchoMode, type LocalEchoOptions, type LocalEchoStats } from './local-echo.ts';
export * from './local-echo-settings.ts';
export * from './session-events.ts';
export * from './status-events.ts';
export { isTokenRevoked, socketUrl, TOKEN_REVOKED_CLOSE_CODE, type EventSocket, type SocketFeed } from './socket.ts';
export * from './transcript.ts';
export * from './resume.ts';
export { TERMINAL_THEME } from './terminal-theme.ts';
export * from './fleet.ts';
export { postStartNote, type PostStartNote } from './post-start.ts';
export * from './settings-rules.ts';
export { recentTime, SESSION_NAME_MAX, sessionSubtitle, sessionTitle } from './session-names.ts';
export {
  builtFromText,
  canRebuild,
  DEVCONTAINER_DEFAULT_HINT,
  DEVCONTAINER_PLACEHOLDER,
  devcontainerInput,
  devcontainerPath,
  devcontainerProblem,
  logsInput,
  mayHaveBuildLog,
  rebuildConfirmation,
  type LogSource,
} from './devcontainer.ts';
