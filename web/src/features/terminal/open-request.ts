// Asking the workspace page's terminal panel for a new tab running a command, from elsewhere in
// the page (the sessions tab's "Resume in terminal"): the request travels in the router's
// location state of the Terminal tab's address, and the panel consumes it once.

export interface OpenTerminalRequest {
  /** Unique per request; becomes the tab's key, so a request handled twice opens one tab. */
  id: string;
  title: string;
  command: string[];
}

export function openTerminalState(request: OpenTerminalRequest): { openTerminal: OpenTerminalRequest } {
  return { openTerminal: request };
}

/** The request carried by a location's state, or null. */
export function readOpenTerminalRequest(state: unknown): OpenTerminalRequest | null {
  if (typeof state !== 'object' || state === null || !('openTerminal' in state)) return null;
  const request = (state as { openTerminal: unknown }).openTerminal;
  if (typeof request !== 'object' || request === null) return null;
  const { id, title, command } = request as Record<string, unknown>;
  if (typeof id !== 'string' || typeof title !== 'string' || !Array.isArray(command) || command.length === 0) return null;
  if (!command.every((part) => typeof part === 'string')) return null;
  return { id, title, command: command as string[] };
}
