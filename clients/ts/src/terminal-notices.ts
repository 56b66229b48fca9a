// The lines a terminal writes between outputs of the shell (a new shell, output the agent
// skipped), the same on the web and the phone. Kept apart from the RPC client so that the phone's
// terminal page can import it alone (`@perry/client/terminal-notices`).

import { formatBytes } from './format-bytes.ts';

/** A line a terminal shows between outputs, dim and set apart: `── new shell ──`. */
export function noticeLine(text: string): string {
  return `\r\n\x1b[2m── ${text} ──\x1b[0m\r\n`;
}

/**
 * What a terminal says where the agent skipped output (`dropped`: the client was far behind, or
 * the user typed while it was), e.g. "8.2 MB of output skipped".
 */
export function skippedOutputNotice(bytes: number): string {
  return `${formatBytes(bytes)} of output skipped`;
}
