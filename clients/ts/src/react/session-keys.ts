/** React Query keys of the sessions data: per agent (`url`, its base URL) and workspace. */
export const sessionKeys = {
  list: (url: string | null, workspaceName: string) => ['sessions', url, workspaceName, 'list'] as const,
  search: (url: string | null, workspaceName: string, query: string) => ['sessions', url, workspaceName, 'search', query] as const,
  messages: (url: string | null, workspaceName: string, sessionId: string) => ['sessions', url, workspaceName, 'messages', sessionId] as const,
};
