// @perry/client/react: the React Query glue web and mobile share (the DOM-free logic stays in the
// main entry). React and @tanstack/react-query are peer dependencies: each app brings its own copy,
// and exactly one copy of each must be loaded.
export type { AgentConnection } from './agent-connection.ts';
export { followSessions, type FollowSessionsOptions } from './follow-sessions.ts';
export { sessionKeys } from './session-keys.ts';
export { useSessions, type LiveSessions, type UseSessionsOptions } from './use-sessions.ts';
export { useTranscript, type TranscriptState } from './use-transcript.ts';
export { useStatusFeed, type StatusChange, type StatusFeed } from './use-status-feed.ts';
